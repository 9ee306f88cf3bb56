"""Storing files in the cache one by one, as ``cache.type`` says (the first type that works
here, per file):

* ``reflink``: a copy-on-write clone into the cache, hashed there (the object is exactly
  what was hashed; the workspace file stays independent);
* ``hardlink``: the workspace file itself becomes the object (linked into the cache, then
  read-only, "protected"): no bytes are copied. A file whose stat changed between hashing
  and linking is copied instead, so a concurrent writer never puts unhashed bytes into the
  cache;
* ``copy``: the bytes just hashed are written as the object.

Objects appear by rename only after one ``syncfs`` made the batch durable. This is the path
for single files, large files, reflinks and platforms without ``O_TMPFILE``; folders of
small files go through :mod:`ardvc.cache.bulk`.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from ardvc.cache.hashing import LARGE_FILE, hash_bytes, hash_file
from ardvc.cache.links import FALLBACK, reflink
from ardvc.cache.objects import WriteBatch
from ardvc.cache.pointer import Pointer
from ardvc.cache.store import Cache
from ardvc.cache.tree import WalkedFile
from ardvc.errors import CacheError

FLUSH_EVERY = 100_000
"""Small objects per flush: one ``syncfs`` makes each batch of temps durable."""


@dataclass(frozen=True, slots=True)
class Staged:
    """One artifact in the cache."""

    path: Path
    pointer: Pointer
    hashed: int
    """Files read and hashed (0 when the state DB knew everything)."""
    added: int
    """Objects new to the cache."""
    link: str
    """Link type now in the workspace (``copy``: the files were left as they are)."""


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_ino, a.st_dev, a.st_size, a.st_mtime_ns) == (
        b.st_ino,
        b.st_dev,
        b.st_size,
        b.st_mtime_ns,
    )


class Storer:
    """The ``hasher`` of :func:`~ardvc.cache.tree.build` that also stores what it hashes."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.odb = cache.odb
        self.batch = WriteBatch(cache.odb)
        self.types = list(cache.settings.link_types)
        self.stored: set[str] = set()
        self.linked: set[str] = set()
        """Workspace files that became their objects (hardlinked into the cache)."""
        self._lock = threading.Lock()

    def _drop(self, kind: str) -> None:
        """``kind`` does not work on this file system: stop trying it."""
        with self._lock:
            if kind in self.types and len(self.types) > 1:
                self.types.remove(kind)

    def _stage(self, tmp: str | Path, oid: str) -> None:
        self.batch.adopt(tmp, oid)
        with self._lock:
            self.stored.add(oid)
        if len(self.batch) >= FLUSH_EVERY:
            self.batch.commit()

    def __call__(self, f: WalkedFile) -> str:
        for kind in list(self.types):
            try:
                return self._store(kind, f)
            except OSError as exc:
                if exc.errno not in FALLBACK:
                    raise
                self._drop(kind)
        raise CacheError(f"no cache.type of {', '.join(self.types)} works for {f.path}")

    def _store(self, kind: str, f: WalkedFile) -> str:
        large = f.st.st_size >= LARGE_FILE
        if kind == "reflink":
            tmp = self.odb.temp_path()
            reflink(f.path, tmp)
            oid = hash_file(tmp)
            if oid in self.stored or self.odb.exists(oid):
                tmp.unlink()
            else:
                self._stage(tmp, oid)
            return oid
        data = None
        if large:
            oid = hash_file(f.path, f.st.st_size)
        else:
            fd = os.open(f.path, os.O_RDONLY)
            try:
                data = os.read(fd, f.st.st_size + 1)
            finally:
                os.close(fd)
            oid = hash_bytes(data)
        if oid in self.stored or self.odb.exists(oid):
            return oid
        if kind == "hardlink" and f.st.st_size > 0:
            name = self.odb.temp_name()
            os.link(f.path, name)
            if _same(os.lstat(name), f.st) and (data is None or len(data) == f.st.st_size):
                self._stage(name, oid)
                with self._lock:
                    self.linked.add(f.path)
                return oid
            os.unlink(name)  # written meanwhile: copy what was hashed instead
            if data is None:
                raise CacheError(f"{f.path} changed while it was being added",
                                 hint="run ardvc add again when it is complete")  # fmt: skip
        if data is None:
            copied, _ = self.odb.add_file(Path(f.path))
            if copied != oid:
                raise CacheError(f"{f.path} changed while it was being added",
                                 hint="run ardvc add again when it is complete")  # fmt: skip
            return oid
        self._stage(self.odb.write_temp(data), oid)
        return oid

    def ensure(self, f: WalkedFile, known: str) -> None:
        """Store a file the state DB already knew but the cache lacks."""
        if known in self.stored or self.odb.exists(known):
            return
        if self(f) != known:
            raise CacheError(
                f"{f.path} changed while it was being added", hint="run ardvc add again"
            )

    @property
    def added(self) -> int:
        return self.batch.added
