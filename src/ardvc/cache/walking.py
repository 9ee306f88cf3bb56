"""Listing an artifact folder with its stat data, on helper processes when it is big.

Why: a no-op status of a folder of 10⁵ files is one ``lstat`` and a little Python per file,
most of a second on one core. A folder's signature (:func:`ardvc.cache.tree.signature_of`)
hashes its rows' text in path order, and the rows of one top-level entry are consecutive
in that order, so helper processes can each walk some top-level entries and send back the
text of their runs (:func:`signature_fragment`); the caller hashes the runs in order.
Helpers are started as the cache's workers are (:func:`ardvc.processes.serving_command`)
and import little beyond this module.
"""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ardvc.errors import CacheError
from ardvc.processes import serving_command

TEMP_MARK = ".ardvc-tmp"
StatKey = tuple[str, int, int, int, int, int]
"""``(rel, dev, ino, size, mtime_ns, ctime_ns)``: what the folder signature covers."""
Row = tuple[str, str, os.stat_result | None]
"""``(rel, path, lstat or None)`` of one regular file."""


def walk_rows(
    folder: Path | str,
    *,
    with_stat: bool,
    many: tuple[int, Callable[[], None]] | None = None,
    prefix: str = "",
) -> list[Row]:
    """Every regular file below ``folder``, sorted by relative path (``prefix`` + path
    inside ``folder``). A symlink or special file is refused (following one would track
    content outside the artifact). ``many``: ``(count, call)`` — call once as soon as
    ``count`` files were found."""
    out: list[Row] = []
    stack = [(str(folder), prefix)]
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
                        st = entry.stat(follow_symlinks=False) if with_stat else None
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


def stat_key(rel: str, st: os.stat_result) -> StatKey:
    return (rel, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def stat_keys(rows: list[Row]) -> list[StatKey]:
    """:func:`stat_key` of every row, spelled out: a no-op status of 10⁵ files is this loop."""
    return [
        (rel, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        for rel, _, st in rows
        if st is not None
    ]


def signature_fragment(keys: list[StatKey]) -> str:
    """The text of a run of consecutive rows (one ``repr`` in C instead of a string per
    file); the signature hashes the runs' text joined in order."""
    return repr(keys)[1:-1]


def _group_fragment(folder: str, name: str) -> tuple[str, int]:
    """The run of the top-level entry ``name`` of ``folder`` and its number of files."""
    path = os.path.join(folder, name)
    st = os.lstat(path)
    if stat.S_ISDIR(st.st_mode):
        rows = walk_rows(path, with_stat=True, prefix=f"{name}/")
    elif not stat.S_ISREG(st.st_mode):
        raise CacheError(f"{path} is a symlink or special file")
    else:
        rows = [] if name.endswith(TEMP_MARK) else [(name, path, st)]
    return signature_fragment(stat_keys(rows)), len(rows)


def top_level_groups(folder: Path) -> list[str]:
    """The folder's top-level entries in the order of their runs (a folder's rows start
    with ``name/``)."""
    with os.scandir(folder) as entries:
        keys = [(e.name + "/" if e.is_dir(follow_symlinks=False) else e.name, e.name)
                for e in entries]  # fmt: skip
    return [name for _, name in sorted(keys)]


def fragments_in_parallel(folder: Path, jobs: int) -> tuple[list[str], int] | None:
    """The runs of ``folder``'s top-level entries in order, and its number of files, walked
    by ``jobs`` helper processes; ``None`` when helpers cannot do it (then walk here: that
    walk also says what is wrong, e.g. a symlink)."""
    groups = top_level_groups(folder)
    if len(groups) < 2 or jobs < 2 or not sys.executable:
        return None
    command = serving_command(__name__)
    shares = [groups[i::jobs] for i in range(jobs)]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for share in shares:
            proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            procs.append(proc)
            assert proc.stdin is not None
            proc.stdin.write(pickle.dumps((str(folder), share)))
            proc.stdin.close()
        answers: list[Any] = []
        for proc in procs:
            assert proc.stdout is not None
            data = proc.stdout.read()
            if proc.wait() != 0 or not data:
                return None
            answers.append(pickle.loads(data))  # our own helper's bytes
    except OSError:
        return None
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    by_name: dict[str, tuple[str, int]] = {}
    for share, answer in zip(shares, answers, strict=True):
        if isinstance(answer, str):  # the helper's error: walk here to report it
            return None
        by_name.update(zip(share, answer, strict=True))
    return [by_name[g][0] for g in groups], sum(by_name[g][1] for g in groups)


def serve() -> None:
    """A helper: read ``(folder, names)``, write the runs of those top-level entries (or
    the text of the error met)."""
    folder, names = pickle.loads(sys.stdin.buffer.read())
    answer: Sequence[tuple[str, int]] | str
    try:
        answer = [_group_fragment(folder, name) for name in names]
    except (OSError, CacheError) as exc:
        answer = f"{type(exc).__name__}: {exc}"
    sys.stdout.buffer.write(pickle.dumps(answer))
