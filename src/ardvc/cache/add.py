"""Putting a workspace file or folder into the cache and making its pointer.

A folder goes through :mod:`ardvc.cache.bulk` (chunks of files on worker processes) where
this platform allows it; a single file, reflinks and other platforms through
:class:`~ardvc.cache.storer.Storer`, one file at a time (``cache.type`` decides how, per
file). Either way each changed file is read once, an object appears only complete and
flushed, a folder's manifest is written after all its files (so a manifest in the cache
implies its files), duplicates are then linked as ``cache.type`` says, and the final stats
go into the state DB, so the next status hashes nothing.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from ardvc.cache.bulk import chunked_mode, stage_folder
from ardvc.cache.hashing import chunked_map
from ardvc.cache.links import place
from ardvc.cache.pointer import Pointer
from ardvc.cache.store import Cache
from ardvc.cache.storer import Staged, Storer
from ardvc.cache.tree import Built, Progress, WalkedFile, build, remember

__all__ = ["Staged", "relink", "stage"]


def stage(cache: Cache, path: Path, progress: Progress | None = None) -> Staged:
    """Put ``path`` into the cache, link the workspace to it; the pointer to commit."""
    path = Path(os.path.abspath(path))
    if stat.S_ISDIR(os.lstat(path).st_mode):
        mode = chunked_mode(cache, str(path))
        if mode is not None:
            return stage_folder(cache, path, mode, progress)
    storer = Storer(cache)
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
