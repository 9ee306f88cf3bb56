"""Stage a file ardvc just wrote in the git index from its blob id and its stat data.

Why not ``Index.add(path)``: it reads the file back, looks up its attributes, resolves its
path and streams it into a temporary object only to find the blob exists — about forty
system calls a file, for content ardvc has just hashed. ``Index.add(IndexEntry)`` skips all
that but pygit2's ``IndexEntry`` carries no stat data, and an entry without it makes git
(and GitPython's ``is_dirty``, which Pychron calls) re-hash the file at every status. So the
entry is filled here, as ``git add`` would fill it, through pygit2's own C bindings.
"""

from __future__ import annotations

import os
import stat

import pygit2
from pygit2.errors import check_error
from pygit2.ffi import C, ffi

_U32 = 0xFFFFFFFF  # git stores dev, ino, uid, gid and size in 32 bits, truncated as git does


def git_file_mode(st: os.stat_result) -> int:
    """The mode git records for a regular file: executable or not."""
    return 0o100755 if st.st_mode & stat.S_IXUSR else 0o100644


def stage_file(index: pygit2.Index, path: str, blob: str, st: os.stat_result) -> None:
    """Set ``path`` in ``index`` to ``blob``, with the stat data of the file written for it."""
    entry = ffi.new("git_index_entry *")
    entry.ctime.seconds = st.st_ctime_ns // 1_000_000_000
    entry.ctime.nanoseconds = st.st_ctime_ns % 1_000_000_000
    entry.mtime.seconds = st.st_mtime_ns // 1_000_000_000
    entry.mtime.nanoseconds = st.st_mtime_ns % 1_000_000_000
    entry.dev = st.st_dev & _U32
    entry.ino = st.st_ino & _U32
    entry.mode = git_file_mode(st)
    entry.uid = st.st_uid & _U32
    entry.gid = st.st_gid & _U32
    entry.file_size = st.st_size & _U32
    ffi.buffer(ffi.addressof(entry, "id"))[:] = pygit2.Oid(hex=blob).raw
    name = ffi.new("char[]", os.fsencode(path))
    entry.path = name
    check_error(C.git_index_add(index._index, entry), io=True)
