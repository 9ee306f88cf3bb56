"""``add`` of a folder in chunks (:mod:`ardvc.cache.ingest`), on worker processes when
there are enough files to pay for starting them.

Adding 70,000 small files is about ten system calls and one small hash per file, all
under Python's GIL: threads measured slower than one thread. So the folder is listed
(names only), each file's state DB row goes along, and chunks of files are looked at,
hashed and stored by ``cache.processes`` worker processes (:mod:`ardvc.cache.workers`)
from ``CacheSettings.pool_min`` files on, inline below that. Every file comes back with
its hash and its final stat (a hard link changes ``ctime``), so nothing is walked twice and
the state DB is written once. Large files, duplicates to link and files known but not
linked are finished here one by one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from ardvc.cache import ingest, workers
from ardvc.cache.flush import sync_filesystem
from ardvc.cache.hashing import chunked_map
from ardvc.cache.links import FALLBACK, place, reflink
from ardvc.cache.manifest import encode_fragment, join_fragments, manifest_oid
from ardvc.cache.pointer import Pointer
from ardvc.cache.state import DirMemo
from ardvc.cache.store import Cache
from ardvc.cache.storer import Staged, Storer
from ardvc.cache.tree import (
    Progress,
    WalkedFile,
    lab_rel,
    signature_of_fragments,
    walk_paths,
)
from ardvc.cache.walking import StatKey, signature_fragment, stat_key
from ardvc.errors import CacheError

CHUNK = 2500
"""Most files per chunk: each chunk costs one ``syncfs`` and holds this many files open."""
_PROBLEM = ingest.CHANGED | ingest.NOT_REGULAR
_LINKED_NEW = frozenset({ingest.LINKED | ingest.STORED, ingest.KNOWN | ingest.LINKED})
"""Flags of files a hard-linking chunk finished itself (nothing to link here)."""
_COPIED = frozenset({ingest.STORED, 0, ingest.KNOWN, ingest.KNOWN | ingest.LINKED})
"""… and of a copying chunk (0: the object was there already)."""
_CAPABLE: dict[str, tuple[bool, bool]] = {}


def _capabilities(cache: Cache) -> tuple[bool, bool]:
    """(the chunked path works here, the cache's file system clones files), found out
    once per cache and process."""
    key = str(cache.odb.files_dir)
    if key not in _CAPABLE:
        tmp = cache.odb.tmp_dir
        tmp.mkdir(parents=True, exist_ok=True)
        _CAPABLE[key] = (ingest.supported(str(tmp)),
                         _clones(cache.odb.temp_name(), cache.odb.temp_name()))  # fmt: skip
    return _CAPABLE[key]


def _clones(probe: str, clone: str) -> bool:
    try:
        with open(probe, "wb") as handle:
            handle.write(b"ardvc")
        reflink(probe, clone)
    except OSError as exc:
        if exc.errno not in FALLBACK:
            raise
        return False
    finally:
        for name in (probe, clone):
            if os.path.lexists(name):
                os.unlink(name)
    return True


def chunked_mode(cache: Cache, folder: str) -> str | None:
    """``hardlink`` or ``copy`` when :func:`stage_folder` can add ``folder`` here as
    ``cache.type`` asks; ``None`` for the per-file path (reflinks that work here, or a
    platform without ``O_TMPFILE``)."""
    types = list(cache.settings.link_types)
    fast, clones = _capabilities(cache)
    if not fast:
        return None
    if types[0] == "reflink":
        cache.odb.files_dir.mkdir(parents=True, exist_ok=True)
        if clones and os.stat(folder).st_dev == os.stat(cache.odb.files_dir).st_dev:
            return None
        types.pop(0)
    return types[0] if types else None


class _Folder:
    """A folder being added. Each chunk's results are taken as they come back and turned
    at once into state rows and manifest and signature fragments, while the workers go on
    — unless some of its files are finished here (large files, duplicates to link)."""

    def __init__(self, cache: Cache, rel: str, clock: int, listed: list[tuple[str, str]],
                 mode: str, size: int) -> None:  # fmt: skip
        self.cache, self.clock, self.listed, self.mode, self.size = cache, clock, listed, mode, size
        self.prefix = rel + "/"
        self.names = [name for name, _ in listed]
        count = len(listed)
        self.digests = [""] * count
        self.sizes = [0] * count
        self.keys: list[StatKey | None] = [None] * count
        """Final stats (``None``: changed meanwhile, so no state row and no memo)."""
        chunks = -(-count // size)
        self.entries: list[bytes | None] = [None] * chunks
        self.signatures: list[str | None] = [None] * chunks
        self.refused = False
        self.added = 0
        self.hashed = 0
        self.bad: list[str] = []
        self.large: list[int] = []
        self.relink: list[int] = []

    def take(self, index: int, part: list[ingest.Result], used: str) -> None:
        start = index * self.size
        refused = used != self.mode
        self.refused |= refused
        names = self.names[start : start + len(part)]
        simple = _LINKED_NEW if self.mode == "hardlink" and not refused else _COPIED
        if all(r[1] in simple for r in part):  # the usual chunk: nothing to finish here
            self.digests[start : start + len(part)] = [r[0] for r in part]
            self.sizes[start : start + len(part)] = [r[4] for r in part]
            keys = [(name, *r[2:]) for name, r in zip(names, part, strict=True)]
            self.keys[start : start + len(part)] = keys
            self.added += sum(1 for r in part if r[1] & ingest.STORED)
            new = [(k, r[0]) for k, r in zip(keys, part, strict=True) if not r[1] & ingest.KNOWN]
            self.hashed += len(new)
            prefix, clock = self.prefix, self.clock
            self.cache.state.record_keys([(prefix + k[0], *k[1:], digest, clock)
                                          for k, digest in new])  # fmt: skip
            self._fragments(index)
            return
        links = simple is _LINKED_NEW
        later = False  # files of this chunk finished in finish(): fragments then
        rows = []
        for n, (digest, flags, dev, ino, size, mtime, ctime) in enumerate(part, start):
            if flags & (_PROBLEM | ingest.LARGE):
                if flags & _PROBLEM:
                    self.bad.append(self.listed[n][1])
                else:
                    self.large.append(n)
                later = True
                continue
            if links and size and not flags & ingest.LINKED:
                self.relink.append(n)
                later = True
            name = self.names[n]
            self.digests[n], self.sizes[n] = digest, size
            self.keys[n] = (name, dev, ino, size, mtime, ctime)
            self.added += flags & ingest.STORED and 1
            if not flags & ingest.KNOWN:
                self.hashed += 1
                rows.append((self.prefix + name, dev, ino, size, mtime, ctime, digest, self.clock))
        self.cache.state.record_keys(rows)
        if not later:
            self._fragments(index)

    def _fragments(self, index: int) -> None:
        span = range(index * self.size, min((index + 1) * self.size, len(self.listed)))
        self.entries[index] = encode_fragment(
            (self.names[n], self.digests[n], self.sizes[n]) for n in span
        )
        keys = [self.keys[n] for n in span]
        if all(k is not None for k in keys):
            self.signatures[index] = signature_fragment(keys)  # type: ignore[arg-type]

    def finish(self, storer: Storer, progress: Progress | None) -> str:
        """Store the large files and link the duplicates as ``cache.type`` says; the link
        type in use."""
        for n in self.large:
            name, where = self.listed[n]
            walked = WalkedFile(name, where, os.lstat(where))
            self.digests[n], self.sizes[n] = storer(walked), walked.st.st_size
            self.keys[n] = stat_key(name, walked.st)
            self.hashed += 1
            if progress:
                progress(1)
        storer.batch.finish()
        for n in self.large:  # a hard-linked large file has a new ctime
            self.keys[n] = _settled(self.cache, self.listed[n][1], self.digests[n], self.keys[n])
        link = "copy" if self.mode == "copy" or self.refused else "hardlink"
        todo = self.relink + [n for n in self.large if self.listed[n][1] not in storer.linked]
        todo = [n for n in todo if self.keys[n] is not None and self.sizes[n]]
        fixed = set(self.large) | set(self.relink)
        if link == "hardlink" and todo:
            link = _relink(self.cache, self, todo)
            touched = {self.digests[n] for n in todo}
            shared = [n for n, d in enumerate(self.digests) if d in touched and self.keys[n]]
            for n in shared:  # a new link to an object changes the ctime of all its files
                where, digest = self.listed[n][1], self.digests[n]
                self.keys[n] = _settled(self.cache, where, digest, self.keys[n])
            fixed.update(shared)
        self.cache.state.record_keys([
            (self.prefix + k[0], *k[1:], self.digests[n], self.clock)
            for n in sorted(fixed) if (k := self.keys[n]) is not None
        ])  # fmt: skip
        for index in sorted({n // self.size for n in fixed}):
            self._fragments(index)
        return link

    def manifest(self) -> bytes:
        missing = [i for i, e in enumerate(self.entries) if e is None]
        if missing:  # every chunk is taken and finished before: a bug, never a short manifest
            raise CacheError(f"internal error: chunks {missing[:5]} have no manifest entries")
        return join_fragments(e for e in self.entries if e is not None)

    def memo(self, oid: str) -> DirMemo | None:
        """The folder's memo, when every file's final stat is known and none was written in
        the clock tick of its hashing (``None``: the next status looks at each file)."""
        if any(s is None for s in self.signatures):
            return None
        if not all(k is not None and k[4] < self.clock for k in self.keys):
            return None
        sig = signature_of_fragments(self.signatures)  # type: ignore[arg-type]
        return DirMemo(sig, oid, sum(self.sizes), len(self.listed))


def _chunks(
    cache: Cache, items: list[ingest.Item], mode: str, pool: workers.Workers | None
) -> tuple[int, Iterator[tuple[int, ingest.Reply]]]:
    """The chunk size, and ``(index, reply)`` per chunk as the chunks are done (by
    ``pool`` when the folder has ``pool_min`` files or more)."""
    cache.odb.make_shards()
    target = ingest.Target(str(cache.odb.files_dir), str(cache.odb.tmp_dir), mode,
                           "copy" in cache.settings.link_types)  # fmt: skip
    jobs = len(pool.procs) if pool is not None else 1
    size = min(CHUNK, ingest.fd_budget(), max(1, -(-len(items) // (jobs * 4))))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]  # ≥ 4 per worker
    if pool is not None and len(items) >= cache.settings.pool_min:
        return size, pool.run(target, chunks)
    return size, ingest.store_chunks(target, enumerate(chunks))


def stage_folder(cache: Cache, path: Path, mode: str, progress: Progress | None = None) -> Staged:
    """Put the folder ``path`` into the cache (``mode`` from :func:`chunked_mode`)."""
    state = cache.state
    rel = lab_rel(cache.root, path)
    clock = state.fs_clock()
    pool: list[workers.Workers] = []
    jobs = cache.settings.processes

    def start_workers() -> None:  # while the rest of the folder is listed
        if jobs > 1 and workers.available():
            pool.append(workers.Workers(jobs))

    storer = Storer(cache)
    try:
        listed = walk_paths(path, (cache.settings.pool_min, start_workers))
        rows = state.files_under(rel) if listed else {}
        prefix = rel + "/"
        items: list[ingest.Item] = []
        for name, where in listed:
            row = rows.get(prefix + name)
            items.append((where, None if row is None else (row.dev, row.ino, row.size,
                          row.mtime_ns, row.ctime_ns, row.hash, row.clock_ns)))  # fmt: skip
        size, done = _chunks(cache, items, mode, pool[0] if pool else None)
        folder = _Folder(cache, rel, clock, listed, mode, size)
        for index, (part, used) in done:
            folder.take(index, part, used)
            if progress:
                progress(len(part) - sum(1 for r in part if r[1] & ingest.LARGE))
        if folder.bad:
            more = f" and {len(folder.bad) - 5} more" if len(folder.bad) > 5 else ""
            raise CacheError(
                f"{', '.join(folder.bad[:5])}{more} changed while being added (or are no "
                "longer regular files)",
                hint="run ardvc add again when the folder is complete; artifacts hold regular "
                "files only",
            )
        if folder.added:
            sync_filesystem(cache.odb.files_dir)  # every name is durable before the manifest
        link = folder.finish(storer, progress)
    except BaseException:
        storer.batch.discard()
        raise
    finally:
        for started in pool:
            started.close()
    raw = folder.manifest()
    oid = manifest_oid(raw)
    cache.odb.add_bytes(raw, oid)
    memo = folder.memo(oid)
    if memo is not None:
        state.remember_dir(rel, memo)
    pointer = Pointer(path.name, oid.removesuffix(".dir"), sum(folder.sizes), "dir", len(listed))
    return Staged(path, pointer, folder.hashed, folder.added + storer.added, link)


def _settled(cache: Cache, where: str, digest: str, before: StatKey | None) -> StatKey | None:
    """The final stat of a file stored or linked one by one: it is its object now, or is
    still what was hashed (``None`` when it changed meanwhile: hashed again next time)."""
    if before is None:
        return None
    try:
        st = os.lstat(where)
    except FileNotFoundError:
        return None
    now = stat_key(before[0], st)
    same = (now[2], now[3], now[4], now[5]) == (before[2], before[3], before[4], before[5])
    if same or cache.object_inode(digest) == (st.st_dev, st.st_ino):
        return now
    return None


def _relink(cache: Cache, folder: _Folder, todo: list[int]) -> str:
    """Make these files of ``folder`` links to their objects (duplicates, files known but
    not linked), never replacing one changed since it was hashed (its ``folder.keys``
    entry becomes ``None``). Returns the link type in use."""
    types = list(cache.settings.link_types)
    working: list[str] = []

    def link_one(n: int) -> StatKey | None:
        name, where = folder.listed[n]
        before = folder.keys[n]
        try:
            if before is None or stat_key(name, os.lstat(where)) != before:
                return None
        except FileNotFoundError:
            return None
        kind = place(cache.odb.path_str(folder.digests[n]), Path(where), working or types,
                     folder.sizes[n])  # fmt: skip
        if not working:
            working.extend(types[types.index(kind) :])
        return before

    folder.keys[todo[0]] = link_one(todo[0])
    for n, key in chunked_map(link_one, todo[1:], cache.settings.jobs):
        folder.keys[n] = key
    return working[0] if working else "copy"
