"""The object store: ``.ardvc/cache/files/blake3/<oid[:2]>/<oid[2:]>``.

Objects are immutable: written to a temp file in ``cache/tmp`` (named for the writing
process), made read-only (0444), and renamed into place only when complete, so a reader —
or a process killed mid-write — never sees part of an object. Temps a dead process left
are removed by ``ardvc gc``. Batches of small objects are made durable with one ``syncfs``
before their renames instead of one ``fsync`` per file (the same guarantee, temp → flush →
rename, at a fraction of the cost). Every read re-hashes the bytes, so a bit flip on disk
is reported as :class:`~ardvc.errors.CorruptObjectError`, never returned.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

from ardvc.cache.flush import sync_filesystem
from ardvc.cache.hashing import ALGORITHM, hash_bytes, hash_file, is_oid
from ardvc.cache.links import reflink
from ardvc.errors import CacheError, CorruptObjectError, ObjectMissingError
from ardvc.logs import get_logger
from ardvc.processes import pid_alive

READ_ONLY = 0o444
TEMP_SUFFIX = ".tmp"
_HOST = socket.gethostname()


def protect(path: Path | str) -> None:
    """Make a cache file read-only; file systems without modes (SMB) are left as they are."""
    try:
        os.chmod(path, READ_ONLY)
    except PermissionError as exc:
        get_logger("cache").debug("cannot make %s read-only: %s", path, exc)


class ObjectStore:
    """Content-addressed files under one cache folder (see the module docstring)."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self.files_dir = cache_dir / "files" / ALGORITHM
        self.tmp_dir = cache_dir / "tmp"
        self._prefix = f"{self.files_dir}{os.sep}"
        self._made: set[str] = set()
        self._tmp_made = False
        self._tmp_prefix = f"{self.tmp_dir}{os.sep}.{_HOST}.{os.getpid()}.{secrets.token_hex(6)}-"
        self._counter = itertools.count()
        self._lock = threading.Lock()

    # --- names ---------------------------------------------------------------------------

    def path(self, oid: str) -> Path:
        return Path(self.path_str(oid))

    def path_str(self, oid: str) -> str:
        """String concatenation, not a path join: this is on every hot path."""
        return f"{self._prefix}{oid[:2]}{os.sep}{oid[2:]}"

    def exists(self, oid: str) -> bool:
        return os.path.exists(self.path_str(oid))

    def size(self, oid: str) -> int:
        try:
            return os.stat(self.path_str(oid)).st_size
        except FileNotFoundError:
            raise ObjectMissingError(f"cache object {oid[:16]}… is not in the cache") from None

    def oids(self) -> Iterator[str]:
        """Every object in the store (temp files and foreign names are skipped)."""
        if not self.files_dir.is_dir():
            return
        with os.scandir(self.files_dir) as shards:
            for shard in shards:
                if len(shard.name) != 2 or not shard.is_dir():
                    continue
                with os.scandir(shard.path) as entries:
                    for entry in entries:
                        oid = shard.name + entry.name
                        if is_oid(oid):
                            yield oid

    # --- writing -------------------------------------------------------------------------

    def temp_name(self) -> str:
        """A fresh temp name in ``cache/tmp`` naming this host and process."""
        if not self._tmp_made:
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
            self._tmp_made = True
        return f"{self._tmp_prefix}{next(self._counter)}{TEMP_SUFFIX}"

    def temp_path(self) -> Path:
        return Path(self.temp_name())

    def make_shards(self) -> None:
        """Make all 256 shard folders (one listing when they exist already)."""
        want = {f"{i:02x}" for i in range(256)} - self._made
        if not want:
            return
        self.files_dir.mkdir(parents=True, exist_ok=True)
        want -= set(os.listdir(self.files_dir))
        for shard in sorted(want):
            os.makedirs(f"{self._prefix}{shard}", exist_ok=True)
        with self._lock:
            self._made.update(f"{i:02x}" for i in range(256))

    def _shard(self, oid: str) -> None:
        shard = oid[:2]
        if shard not in self._made:
            os.makedirs(f"{self._prefix}{shard}", exist_ok=True)
            with self._lock:
                self._made.add(shard)

    def install(self, tmp: str | Path, oid: str, *, check: bool = True) -> bool:
        """Rename a complete, flushed temp file into place as ``oid``; ``False`` when the
        object was already there (the temp is then removed). ``check=False`` skips that
        test when the caller just made it: replacing an object by identical bytes is
        harmless."""
        self._shard(oid)
        target = self.path_str(oid)
        if check and os.path.exists(target):
            os.unlink(tmp)
            return False
        protect(tmp)
        os.replace(tmp, target)
        return True

    def write_temp(self, data: bytes) -> str:
        """Write ``data`` to a temp file without flushing it (see :class:`WriteBatch`)."""
        tmp = self.temp_name()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        return tmp

    def add_bytes(self, data: bytes, oid: str | None = None) -> str:
        """Store ``data`` durably (temp → fsync → rename); returns its oid."""
        oid = oid or hash_bytes(data)
        if self.exists(oid):
            return oid
        tmp = self.write_temp(data)
        try:
            _fsync(Path(tmp))
        except BaseException:
            os.unlink(tmp)
            raise
        self.install(tmp, oid)
        _fsync(self.path(oid).parent)
        return oid

    def add_file(self, src: Path, *, suffix: str = "") -> tuple[str, bool]:
        """Copy (or reflink) ``src`` into the store and hash the private copy, so the
        object is exactly what was hashed even if ``src`` changes meanwhile. Returns the
        oid and whether the object is new."""
        tmp = self.temp_path()
        try:
            try:
                reflink(src, tmp)
            except OSError:
                shutil.copyfile(src, tmp)
            oid = hash_file(tmp) + suffix
            if self.exists(oid):
                tmp.unlink()
                return oid, False
            _fsync(tmp)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        added = self.install(tmp, oid)
        _fsync(self.path(oid).parent)
        return oid, added

    def remove(self, oid: str) -> None:
        path = self.path_str(oid)
        try:
            os.unlink(path)
        except FileNotFoundError:
            return

    # --- reading -------------------------------------------------------------------------

    def read_bytes(self, oid: str) -> bytes:
        """The object's content, verified against its name."""
        try:
            with open(self.path_str(oid), "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            raise ObjectMissingError(
                f"cache object {oid[:16]}… is not in the cache",
                hint="ardvc cache fetch brings it from the cache remote",
            ) from None
        actual = hash_bytes(data)
        if actual != oid.removesuffix(".dir"):
            raise CorruptObjectError(oid, self.path_str(oid), actual)
        return data

    def verify(self, oid: str) -> str | None:
        """``None`` when the object hashes to its name, else the hash it has."""
        path = self.path_str(oid)
        try:
            actual = hash_file(path)
        except FileNotFoundError:
            raise ObjectMissingError(f"cache object {oid[:16]}… is not in the cache") from None
        return None if actual == oid.removesuffix(".dir") else actual

    def check(self, oid: str) -> None:
        """Raise :class:`CorruptObjectError` unless the object is intact."""
        actual = self.verify(oid)
        if actual is not None:
            raise CorruptObjectError(oid, self.path_str(oid), actual)

    # --- left-overs ----------------------------------------------------------------------

    def stale_temps(self) -> list[Path]:
        """Temps whose writer (on this host) is gone: what a killed ``add`` or ``fetch``
        left. They were never objects, so removing them loses nothing."""
        if not self.tmp_dir.is_dir():
            return []
        out = []
        for entry in self.tmp_dir.iterdir():
            parts = entry.name.split(".")
            if len(parts) < 5 or not entry.name.endswith(TEMP_SUFFIX):
                continue
            host, pid = ".".join(parts[1:-3]), parts[-3]
            if host == _HOST and pid.isdigit() and not pid_alive(int(pid)):
                out.append(entry)
        return out


class WriteBatch:
    """Small objects staged as temp files, made durable by one file-system flush, then
    renamed into place together (:meth:`commit`). Thread-safe :meth:`stage`."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self._pending: list[tuple[str | Path, str]] = []
        self._lock = threading.Lock()
        self._renamed = False
        self.added = 0

    def stage(self, data: bytes, oid: str) -> None:
        if self.store.exists(oid):
            return
        self.adopt(self.store.write_temp(data), oid)

    def adopt(self, tmp: str | Path, oid: str) -> None:
        """Take a complete temp file (written, linked or cloned) to install as ``oid``."""
        with self._lock:
            self._pending.append((tmp, oid))

    def __len__(self) -> int:
        return len(self._pending)

    def commit(self) -> int:
        """Flush the staged temps, rename each into place; returns how many were new. The
        renames are made durable by :meth:`finish` (or the next commit's flush)."""
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return 0
        sync_filesystem(self.store.tmp_dir)
        added = done = 0
        try:
            for tmp, oid in pending:
                added += self.store.install(tmp, oid, check=False)
                done += 1
        finally:
            for tmp, _ in pending[done:]:
                _unlink(tmp)
        self.added += added
        self._renamed = True
        return added

    def finish(self) -> None:
        """Commit what is staged and make every rename durable."""
        self.commit()
        if self._renamed:
            sync_filesystem(self.store.files_dir)
            self._renamed = False

    def discard(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for tmp, _ in pending:
            _unlink(tmp)


def _unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync(path: Path) -> None:
    """fsync a file or a folder (its entries) by path."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_oid(oid: str) -> str:
    if not is_oid(oid):
        raise CacheError(f"{oid!r} is not a {ALGORITHM} object id")
    return oid
