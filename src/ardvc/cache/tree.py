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
from ardvc.errors import CacheError

TEMP_MARK = ".ardvc-tmp"
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
    return [(rel, path) for rel, path, _ in _walk(folder, stat=False, many=many)]


def walk(folder: Path) -> list[WalkedFile]:
    """Every regular file below ``folder`` with its ``lstat``, sorted by relative path."""
    return [WalkedFile(rel, path, st) for rel, path, st in _walk(folder, stat=True)]  # type: ignore[arg-type]


def _walk(
    folder: Path | str, *, stat: bool, many: tuple[int, Callable[[], None]] | None = None
) -> list[tuple[str, str, os.stat_result | None]]:
    """One pass over ``folder``; a symlink or special file is refused (following one would
    track content outside the artifact)."""
    out: list[tuple[str, str, os.stat_result | None]] = []
    stack = [(str(folder), "")]
    while stack:
        if many is not None and len(out) >= many[0]:
            many[1]()
            many = None
        path, rel = stack.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, f"{rel}{entry.name}/"))
                elif entry.is_file(follow_symlinks=False):
                    if not entry.name.endswith(TEMP_MARK):
                        st = entry.stat(follow_symlinks=False) if stat else None
                        out.append((f"{rel}{entry.name}", entry.path, st))
                else:
                    raise CacheError(
                        f"{entry.path} is a symlink or special file; artifacts hold regular "
                        "files only",
                        hint="replace it by the file it points to, or move it out of the folder",
                    )
    if many is not None and len(out) >= many[0]:
        many[1]()
    out.sort(key=lambda item: item[0])
    return out


StatKey = tuple[str, int, int, int, int, int]
"""``(rel, dev, ino, size, mtime_ns, ctime_ns)``: what the folder signature covers."""


def stat_key(f: WalkedFile) -> StatKey:
    st = f.st
    return (f.rel, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def signature(files: list[WalkedFile]) -> str:
    """BLAKE3 over every file's relative path and stat signature."""
    return signature_of([stat_key(f) for f in files])


def signature_of(keys: list[StatKey]) -> str:
    """:func:`signature` of ``(rel, dev, ino, size, mtime_ns, ctime_ns)`` rows sorted by
    path (one ``repr`` in C instead of a string per file)."""
    return signature_of_fragments([signature_fragment(keys)])


def signature_fragment(keys: list[StatKey]) -> str:
    """The part of a run of consecutive rows: :func:`signature_of_fragments` of the runs in
    order is :func:`signature_of` of them all."""
    return repr(keys)[1:-1]


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


def scan_folder(state: StateDB, root: Path, path: Path, *, use_memo: bool = True) -> Scan:
    """Walk ``path`` and look its files up in the state DB (the memo first)."""
    rel = lab_rel(root, path)
    clock = state.fs_clock()
    files = walk(path)
    sig = signature(files)
    if use_memo:
        memo = state.dir_memo(rel)
        if memo is not None and memo.signature == sig:
            return Scan(rel, clock, files, sig, memo)
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
    scan = scan_folder(state, root, path, use_memo=use_memo)
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
