"""What is in the workspace at an artifact path: its hash (a file) or manifest (a folder),
computed through the state DB so unchanged files are never hashed again.

One walk with one ``lstat`` per file; if the folder's signature equals the memo in the
state DB, that is the answer (no hashing, no per-file lookups, no manifest read).
Otherwise the rows under the folder come in one range query, files whose row does not
match are hashed on a thread pool, and the new hashes are recorded in one transaction.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from blake3 import blake3

from ardvc.cache.hashing import chunked_map, hash_file
from ardvc.cache.manifest import Entry, Manifest
from ardvc.cache.state import DirMemo, StateDB
from ardvc.cache.walking import (
    StatKey,
    fragments_in_parallel,
    signature_fragment,
    stat_key,
    stat_keys,
    walk_rows,
)
from ardvc.errors import CacheError

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class WalkedFile:
    rel: str
    """Path inside the artifact folder (posix)."""
    path: str
    st: os.stat_result


def walk_paths(
    folder: Path | str, many: tuple[int, Callable[[], None]] | None = None
) -> list[tuple[str, str]]:
    """``(relative path, path)`` of every regular file below ``folder``, sorted by relative
    path, from directory listings alone (no ``stat``). ``many``: ``(count, call)`` — call
    once as soon as ``count`` files were found."""
    return [(rel, path) for rel, path, _ in walk_rows(folder, with_stat=False, many=many)]


def walk(folder: Path) -> list[WalkedFile]:
    """Every regular file below ``folder`` with its ``lstat``, sorted by relative path."""
    return [WalkedFile(rel, path, st) for rel, path, st in walk_rows(folder, with_stat=True)]  # type: ignore[arg-type]


def signature(files: list[WalkedFile]) -> str:
    """BLAKE3 over every file's relative path and stat signature."""
    return signature_of([stat_key(f.rel, f.st) for f in files])


def signature_of(keys: list[StatKey]) -> str:
    """:func:`signature` of ``(rel, dev, ino, size, mtime_ns, ctime_ns)`` rows sorted by
    path (one ``repr`` in C instead of a string per file)."""
    return signature_of_fragments([signature_fragment(keys)])


def signature_of_fragments(fragments: list[str]) -> str:
    text = "[" + ", ".join(f for f in fragments if f) + "]"
    return str(blake3(text.encode("utf-8", "surrogateescape")).hexdigest())


@dataclass
class Built:
    """The workspace content of one artifact path."""

    kind: str
    hash: str
    """File hash, or the manifest's hash without ``.dir``."""
    size: int
    nfiles: int | None
    manifest: Manifest | None = None
    """``None`` when the memo answered (the manifest is then in the cache)."""
    hashed: int = 0
    memo_hit: bool = False
    clock: int = 0
    """File-system clock read before hashing (the racy-write guard of new rows)."""
    files: list[tuple[WalkedFile, str]] = field(default_factory=list)


def lab_rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        raise CacheError(f"{path} is not inside the lab {root}") from None


@dataclass
class Scan:
    """A folder compared with the state DB: what is known, what must be hashed."""

    rel: str
    clock: int
    """File-system clock read before the walk (the racy-write guard of new rows)."""
    files: list[WalkedFile]
    signature: str
    memo: DirMemo | None
    """The state DB's memo of this folder when it matches (nothing else was looked up)."""
    known: dict[str, str] = field(default_factory=dict)
    """Relative path → hash, for files whose state row matches their stat."""
    todo: list[WalkedFile] = field(default_factory=list)


PARALLEL_SCAN_FILES = 20_000
"""From this many files (as the folder's memo says), a status walks on helper processes
(:mod:`ardvc.cache.walking`): below it, starting them costs more than they save."""


def scan_folder(
    state: StateDB, root: Path, path: Path, *, use_memo: bool = True, processes: int = 1
) -> Scan:
    """Walk ``path`` and look its files up in the state DB (the memo first); a big folder
    with a memo is walked by ``processes`` helper processes when there are several."""
    rel = lab_rel(root, path)
    clock = state.fs_clock()
    memo = state.dir_memo(rel) if use_memo else None
    if memo is not None and memo.nfiles >= PARALLEL_SCAN_FILES and processes > 1:
        # a big folder seen before: most likely unchanged, and all that is needed to
        # know is its signature
        walked_apart = fragments_in_parallel(path, processes)
        if walked_apart is not None:
            sig = signature_of_fragments(walked_apart[0])
            if sig == memo.signature:
                return Scan(rel, clock, [], sig, memo)
    walked = walk_rows(path, with_stat=True)
    # the keys straight from the walk: no per-file objects until the memo has missed
    sig = signature_of(stat_keys(walked))
    if memo is not None and memo.signature == sig:
        return Scan(rel, clock, [], sig, memo)
    files = [WalkedFile(r, p, st) for r, p, st in walked]  # type: ignore[arg-type]
    out = Scan(rel, clock, files, sig, None)
    rows = state.files_under(rel)
    prefix = rel + "/"
    for f in files:
        row = rows.get(prefix + f.rel)
        known = row.matches(f.st) if row else None
        if known is None:
            out.todo.append(f)
        else:
            out.known[f.rel] = known
    return out


def build(
    state: StateDB,
    root: Path,
    path: Path,
    *,
    jobs: int,
    hasher: Callable[[WalkedFile], str] | None = None,
    use_memo: bool = True,
    progress: Progress | None = None,
    scan_processes: int = 1,
) -> Built:
    """Hash ``path`` (file or folder) through the state DB; ``hasher`` replaces plain
    hashing of changed files (``add`` stores them in the cache as it hashes)."""
    hash_one = hasher or (lambda f: hash_file(f.path, f.st.st_size))
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        if not stat.S_ISREG(st.st_mode):
            raise CacheError(f"{path} is not a regular file or folder")
        rel = lab_rel(root, path)
        clock = state.fs_clock()
        st = os.lstat(path)  # after the clock: a write from now on is racy
        walked = WalkedFile(path.name, str(path), st)
        row = state.files([rel]).get(rel)
        known = row.matches(st) if row else None
        digest = known or hash_one(walked)
        if known is None:
            state.record([(rel, st, digest, clock)])
            if progress:
                progress(1)
        return Built("file", digest, st.st_size, None, hashed=int(known is None),
                     clock=clock, files=[(walked, digest)])  # fmt: skip
    scan = scan_folder(state, root, path, use_memo=use_memo, processes=scan_processes)
    if scan.memo is not None:
        memo = scan.memo
        return Built("dir", memo.oid.removesuffix(".dir"), memo.size, memo.nfiles,
                     memo_hit=True)  # fmt: skip
    hashes = scan.known
    prefix = scan.rel + "/"
    new_rows = []
    for f, digest in chunked_map(hash_one, scan.todo, jobs):
        hashes[f.rel] = digest
        new_rows.append((prefix + f.rel, f.st, digest, scan.clock))
        if progress:
            progress(1)
    state.record(new_rows)
    files = scan.files
    manifest = Manifest(tuple(Entry(f.rel, hashes[f.rel], f.st.st_size) for f in files))
    oid = manifest.oid()
    if all(f.st.st_mtime_ns < scan.clock for f in scan.todo):
        state.remember_dir(scan.rel, DirMemo(scan.signature, oid, manifest.size, len(files)))
    return Built("dir", oid.removesuffix(".dir"), manifest.size, len(files), manifest,
                 hashed=len(scan.todo), clock=scan.clock,
                 files=[(f, hashes[f.rel]) for f in files])  # fmt: skip


def remember(
    state: StateDB,
    root: Path,
    path: Path,
    built: Built,
    object_inode: Callable[[str], tuple[int, int] | None],
    *,
    written: bool = False,
    linked: set[str] | None = None,
) -> None:
    """After ``add`` linked workspace files to the cache (new inodes), record each file's
    final stat with its hash — a file that is now the object itself, or one whose stat is
    what was hashed (then with the clock of that hashing) — and the folder memo, so the
    next status hashes nothing. A file changed meanwhile is left for the next status.
    ``written``: the stats in ``built`` were taken right after ardvc wrote those files
    (checkout), so the clock read now applies to them. ``linked``: paths known to be
    their objects now (no need to compare inodes)."""
    linked = linked or set()
    rel = lab_rel(root, path)
    clock = state.fs_clock()
    now = {f.rel: f for f in ([WalkedFile(path.name, str(path), os.lstat(path))]
                              if built.kind == "file" else walk(path))}  # fmt: skip
    rows = []
    for before, digest in built.files:
        after = now.get(before.rel)
        if after is None:
            continue
        st, old = after.st, before.st
        if after.path in linked or object_inode(digest) == (st.st_dev, st.st_ino):
            rows.append((after, digest, clock))
        elif (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) == (
            old.st_ino,
            old.st_size,
            old.st_mtime_ns,
            old.st_ctime_ns,
        ):
            rows.append((after, digest, clock if written else built.clock))
    if built.kind == "file":
        state.record((rel, f.st, d, c) for f, d, c in rows)
        return
    state.record((f"{rel}/{f.rel}", f.st, d, c) for f, d, c in rows)
    files = sorted(now.values(), key=lambda f: f.rel)
    trusted = all(f.st.st_mtime_ns < c for f, _, c in rows)
    if len(rows) == len(files) == len(built.files) and trusted:
        state.remember_dir(
            rel, DirMemo(signature(files), built.hash + ".dir", built.size, len(files))
        )
