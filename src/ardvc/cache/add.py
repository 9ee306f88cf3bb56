"""Putting a workspace file or folder into the cache and making its pointer.

Each changed file is read once: hashed and, when the cache lacks it, written as a temp
object in the same step (large files are copied or reflinked first and the private copy
is hashed, so the object is exactly what was hashed). Temps are flushed with one
``syncfs`` per batch and renamed into place; a folder's manifest is written only after
all its files, so a manifest in the cache implies its files are there. Then workspace
files are swapped for links to the objects as ``cache.type`` says (a copy needs nothing),
and their final stats go into the state DB so the next status hashes nothing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ardvc.cache.hashing import LARGE_FILE, chunked_map, hash_bytes
from ardvc.cache.links import place
from ardvc.cache.objects import WriteBatch
from ardvc.cache.pointer import Pointer
from ardvc.cache.store import Cache
from ardvc.cache.tree import Built, Progress, WalkedFile, build, remember
from ardvc.errors import CacheError

FLUSH_EVERY = 4096


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


class _Storer:
    """The ``hasher`` of :func:`~ardvc.cache.tree.build` that also stores what it hashes."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.batch = WriteBatch(cache.odb)
        self.large_added = 0
        self._lock = threading.Lock()

    def __call__(self, f: WalkedFile) -> str:
        if f.st.st_size >= LARGE_FILE:
            oid, added = self.cache.odb.add_file(Path(f.path))
            with self._lock:
                self.large_added += added
            return oid
        with open(f.path, "rb") as handle:
            data = handle.read()
        oid = hash_bytes(data)
        self.batch.stage(data, oid)
        if len(self.batch) >= FLUSH_EVERY:
            self.batch.commit()
        return oid

    def ensure(self, f: WalkedFile, known: str) -> None:
        """Store a file the state DB already knew but the cache lacks."""
        if self.cache.odb.exists(known):
            return
        if self(f) != known:
            raise CacheError(
                f"{f.path} changed while it was being added", hint="run ardvc add again"
            )

    @property
    def added(self) -> int:
        return self.batch.added + self.large_added


def stage(cache: Cache, path: Path, progress: Progress | None = None) -> Staged:
    """Put ``path`` into the cache, link the workspace to it; the pointer to commit."""
    path = Path(os.path.abspath(path))
    storer = _Storer(cache)
    try:
        built = build(cache.state, cache.root, path, jobs=cache.settings.jobs, hasher=storer,
                      progress=progress)  # fmt: skip
        if built.memo_hit and not cache.odb.exists(built.hash + ".dir"):
            built = build(cache.state, cache.root, path, jobs=cache.settings.jobs,
                          hasher=storer, use_memo=False, progress=progress)  # fmt: skip
        for f, known in built.files:
            storer.ensure(f, known)
        storer.batch.commit()
    except BaseException:
        storer.batch.discard()
        raise
    if built.kind == "dir" and built.manifest is not None:
        cache.odb.add_bytes(built.manifest.encode(), built.hash + ".dir")
    link = relink(cache, built)
    remember(cache.state, cache.root, path, built, cache.object_inode)
    pointer = Pointer(path.name, built.hash, built.size, built.kind, built.nfiles)
    return Staged(path, pointer, built.hashed, storer.added, link)


def relink(cache: Cache, built: Built, on_file: Callable[[], None] | None = None) -> str:
    """Swap workspace files for links to their objects when ``cache.type`` prefers a link
    that works here; with ``copy`` first (or nothing else working) files stay as they
    are. Returns the type in use."""
    types = [t for t in cache.settings.link_types]
    todo = [(f, h) for f, h in built.files if f.st.st_size > 0]
    if not todo or types[0] == "copy":
        return "copy"
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
