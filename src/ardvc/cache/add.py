"""Putting a workspace file or folder into the cache and making its pointer.

Each changed file is read once and hashed; how its object is made follows ``cache.type``
(the first type that works here, per file):

* ``reflink``: a copy-on-write clone into the cache, hashed there (the object is exactly
  what was hashed; the workspace file stays independent);
* ``hardlink``: the workspace file itself becomes the object (linked into the cache, then
  read-only, "protected"): no bytes are copied. A file whose stat changed between hashing
  and linking is copied instead, so a concurrent writer never puts unhashed bytes into the
  cache;
* ``copy``: the bytes just hashed are written as the object.

Objects appear by rename only after one ``syncfs`` made the batch durable; a folder's
manifest is written after all its files, so a manifest in the cache implies its files.
Then duplicates are linked as ``cache.type`` says, and the final stats go into the state
DB, so the next status hashes nothing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ardvc.cache.hashing import LARGE_FILE, chunked_map, hash_bytes, hash_file
from ardvc.cache.links import FALLBACK, place, reflink
from ardvc.cache.objects import WriteBatch
from ardvc.cache.pointer import Pointer
from ardvc.cache.store import Cache
from ardvc.cache.tree import Built, Progress, WalkedFile, build, remember
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


class _Storer:
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


def stage(cache: Cache, path: Path, progress: Progress | None = None) -> Staged:
    """Put ``path`` into the cache, link the workspace to it; the pointer to commit."""
    path = Path(os.path.abspath(path))
    storer = _Storer(cache)
    try:
        built = build(cache.state, cache.root, path, jobs=cache.settings.hash_jobs, hasher=storer,
                      progress=progress)  # fmt: skip
        if built.memo_hit and not cache.odb.exists(built.hash + ".dir"):
            built = build(cache.state, cache.root, path, jobs=cache.settings.hash_jobs,
                          hasher=storer, use_memo=False, progress=progress)  # fmt: skip
        for f, known in built.files:
            storer.ensure(f, known)
        storer.batch.finish()
    except BaseException:
        storer.batch.discard()
        raise
    if built.kind == "dir" and built.manifest is not None:
        cache.odb.add_bytes(built.manifest.encode(), built.hash + ".dir")
    link = relink(cache, built, storer.linked)
    remember(cache.state, cache.root, path, built, cache.object_inode, linked=storer.linked)
    pointer = Pointer(path.name, built.hash, built.size, built.kind, built.nfiles)
    return Staged(path, pointer, built.hashed, storer.added, link)


def relink(
    cache: Cache, built: Built, linked: set[str], on_file: Callable[[], None] | None = None
) -> str:
    """Swap workspace files for links to their objects when ``cache.type`` prefers a link
    that works here (``linked`` files already are their objects); with ``copy`` first (or
    nothing else working) files stay as they are. Returns the type in use."""
    types = [t for t in cache.settings.link_types]
    todo = [(f, h) for f, h in built.files if f.st.st_size > 0 and f.path not in linked]
    if types[0] == "copy":
        return "copy"
    if not todo:
        return "hardlink" if linked else types[0]
    working: list[str] = []

    def link_one(item: tuple[WalkedFile, str]) -> str:
        f, digest = item
        obj = cache.odb.path_str(digest)
        st = os.stat(obj)
        if (st.st_dev, st.st_ino) == (f.st.st_dev, f.st.st_ino) or _changed(f):
            return working[0]
        return place(obj, Path(f.path), working, f.st.st_size)

    while todo and _changed(todo[0][0]):
        todo.pop(0)
    if not todo:
        return "copy"
    first, *rest = todo
    kind = place(cache.odb.path_str(first[1]), Path(first[0].path), types, first[0].st.st_size)
    working.extend(types[types.index(kind) :])
    if kind == "copy":
        return "copy"  # nothing better works here: the remaining files are copies already
    for _ in chunked_map(link_one, rest, cache.settings.jobs):
        if on_file:
            on_file()
    return kind


def _changed(f: WalkedFile) -> bool:
    """Written since it was hashed: never replace it (that would lose the new content)."""
    try:
        st = os.lstat(f.path)
    except FileNotFoundError:
        return True
    old = f.st
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) != (
        old.st_ino,
        old.st_size,
        old.st_mtime_ns,
        old.st_ctime_ns,
    )
