"""Storing a chunk of small files in the cache: the per-file work of ``ardvc add``.

Runs in worker processes (small files are system calls and hashing under Python's GIL, so
only processes use several cores) or inline; it imports nothing heavy so a worker starts
fast. One pass per file with as few system calls as Linux allows:

* ``hardlink`` — the workspace file itself becomes the object. It is opened (never
  following a symlink), checked against the stat the walk saw, read, hashed and made
  read-only. After one ``syncfs`` made the whole chunk durable, its stat is checked again
  (unchanged since it was hashed) and the *open inode* is linked under its object name
  (``linkat`` through ``/proc/self/fd``): what gets the name is exactly the inode that was
  hashed, and it needs no temp name, no rename and no ``exists`` test (``EEXIST`` says the
  object is there already; the file is then left as it was, for ``relink``).
* ``copy`` — the bytes just hashed are written to an unnamed file in the object's shard
  folder (``O_TMPFILE``, mode 0444), named the same way after the flush.

An object name therefore appears only for complete content that is on disk, and a process
killed at any point leaves no partial object and no temp file (unnamed files vanish with
their process). Where hard links do not work (``EXDEV``, ``EPERM``, …) the rest of the
chunk is copied. Files from :data:`~ardvc.cache.hashing.LARGE_FILE` on are left to the
caller (they are hashed with every core from a memory map).
"""

from __future__ import annotations

import errno
import os
import pickle
import resource
import stat
import sys
from collections.abc import Iterable, Iterator

from blake3 import blake3

from ardvc.cache.flush import sync_filesystem
from ardvc.cache.hashing import LARGE_FILE
from ardvc.errors import CacheError

READ_ONLY = 0o444
LINKED = 1
"""The workspace file is the object now (its inode carries the object name)."""
STORED = 2
"""This call created the object."""
CHANGED = 4
"""The file changed (or vanished) while it was being added: nothing of it was stored."""
LARGE = 8
"""Not handled here (from ``LARGE_FILE`` on)."""
KNOWN = 32
"""Unchanged since its state DB row, and its object is in the cache: not read."""
NOT_REGULAR = 16
"""Not a regular file any more (a symlink, a folder, a device…)."""

Known = tuple[int, int, int, int, int, str, int]
"""A state DB row: ``(dev, ino, size, mtime_ns, ctime_ns, hash, clock_ns)``."""
Item = tuple[str, Known | None]
"""A file's path and its state DB row, if any."""
Result = tuple[str, int, int, int, int, int, int]
"""``(oid, flags, dev, ino, size, mtime_ns, ctime_ns)``: the file's stat once stored."""
Reply = tuple[list[Result], str]
"""A chunk's results: one per item, and the mode used."""

_OPEN = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_NOATIME = getattr(os, "O_NOATIME", 0)
"""Reading a file just written would update its atime (a metadata write each); only
allowed on one's own files, so dropped for a chunk at the first ``EPERM``."""
_CANNOT_LINK = frozenset(
    {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS,
     errno.EACCES}
)  # fmt: skip
"""``linkat`` errors meaning hard links do not work here: copy instead."""
_FD_MARGIN = 256


class Target:
    """Where and how a chunk is stored (a plain class: ``dataclasses`` would cost each
    worker process 15 ms to import).

    ``files_dir``: the object folder (``…/cache/files/blake3``), its 256 shard folders
    present; ``tmp_dir``: where unnamed copies are made (one folder is faster to create
    files in than 256); ``mode``: ``hardlink`` or ``copy``; ``fallback``: copy where hard
    links do not work (``cache.type`` has ``copy``)."""

    __slots__ = ("fallback", "files_dir", "mode", "tmp_dir")

    def __init__(self, files_dir: str, tmp_dir: str, mode: str, fallback: bool = True) -> None:
        self.files_dir, self.tmp_dir, self.mode, self.fallback = files_dir, tmp_dir, mode, fallback


def supported(files_dir: str) -> bool:
    """Linux with ``/proc/self/fd`` and ``O_TMPFILE`` on the cache's file system."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or not os.path.isdir("/proc/self/fd"):
        return False
    try:
        os.close(os.open(files_dir, flag | os.O_WRONLY, READ_ONLY))
    except OSError:
        return False
    return True


def fd_budget() -> int:
    """How many files one chunk may hold open: the soft ``RLIMIT_NOFILE`` raised towards
    the hard limit (what a process may do unprivileged), less a margin."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 1 << 16 if hard == resource.RLIM_INFINITY else min(hard, 1 << 16)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        soft = want
    return max(16, min(soft, 1 << 16) - _FD_MARGIN)


def _stat_row(oid: str, flags: int, st: os.stat_result) -> Result:
    return (oid, flags, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _tmpfile(folder: int, data: bytes) -> int:
    fd = os.open(".", os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, READ_ONLY, dir_fd=folder)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        os.close(fd)
        raise
    return fd


class _Held:
    """A file between reading and publishing: an open workspace file to link
    (``link``) or an unnamed copy of its bytes."""

    __slots__ = ("before", "fd", "index", "link", "oid")

    def __init__(self, index: int, fd: int, oid: str, before: os.stat_result, link: bool):
        self.index, self.fd, self.oid, self.before, self.link = index, fd, oid, before, link

    def gone(self) -> Result:
        """The result of a file that changed after it was hashed."""
        b = self.before
        return ("", CHANGED, 0, b.st_ino, b.st_size, b.st_mtime_ns, b.st_ctime_ns)


class _Folders:
    """Folders opened once for a series of chunks: ``linkat`` and ``O_TMPFILE`` relative to
    them resolve one name instead of a whole path."""

    def __init__(self, target: Target) -> None:
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
        self.proc = os.open("/proc/self/fd", flags)
        self.tmp = os.open(target.tmp_dir, flags)
        self._root = target.files_dir
        self.shards: dict[str, int] = {}

    def shard(self, oid: str) -> int:
        """The shard folder of ``oid`` (opened on first use)."""
        fd = self.shards.get(oid[:2])
        if fd is None:
            flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
            fd = self.shards[oid[:2]] = os.open(f"{self._root}{os.sep}{oid[:2]}", flags)
        return fd

    def close(self) -> None:
        for fd in (self.proc, self.tmp, *self.shards.values()):
            os.close(fd)
        self.shards = {}


class _Chunk:
    """One chunk's files between reading and publishing."""

    def __init__(self, target: Target, folders: _Folders) -> None:
        self.prefix = f"{target.files_dir}{os.sep}"
        self.folders = folders
        self.links = target.mode == "hardlink"
        self.held: list[_Held] = []
        self.seen: set[str] = set()

    def close(self) -> None:
        for h in self.held:
            os.close(h.fd)
        self.held = []

    def read(self, items: list[Item]) -> list[Result]:
        """Look at, read and hash every item; hold what is to be named (one tight loop:
        this is most of an add's Python time)."""
        out: list[Result] = []
        append, held, seen, links = out.append, self.held, self.seen, self.links
        fopen, fstat, fread, fclose, is_reg = os.open, os.fstat, os.read, os.close, stat.S_ISREG
        flags = _OPEN | _NOATIME
        for index, (path, known) in enumerate(items):
            if known is not None and self._known(path, known, out):
                continue
            try:
                try:
                    fd = fopen(path, flags)
                except PermissionError:
                    if flags == _OPEN:
                        raise
                    flags = _OPEN  # not our file: atime it is
                    fd = fopen(path, flags)
            except OSError as exc:
                if exc.errno not in (errno.ENOENT, errno.ELOOP):
                    raise
                append(("", CHANGED if exc.errno == errno.ENOENT else NOT_REGULAR, 0, 0, 0, 0, 0))
                continue
            keep = False
            try:
                st = fstat(fd)
                size = st.st_size
                if not is_reg(st.st_mode) or size >= LARGE_FILE:
                    append(_stat_row("", LARGE if is_reg(st.st_mode) else NOT_REGULAR, st))
                    continue
                data = fread(fd, size + 1)  # a regular file: all of it, +1 shows growth
                if len(data) != size:
                    append(_stat_row("", CHANGED, st))
                    continue
                oid = blake3(data).hexdigest()
                append((oid, 0, st.st_dev, st.st_ino, size, st.st_mtime_ns, st.st_ctime_ns))
                if oid in seen:
                    continue  # a duplicate within the chunk: relinked by the caller
                seen.add(oid)
                if links and size:  # an empty file is stored, never linked
                    os.fchmod(fd, READ_ONLY)
                    held.append(_Held(index, fd, oid, st, True))
                    keep = True
                elif fstat(fd).st_mtime_ns != st.st_mtime_ns:
                    out[index] = _stat_row("", CHANGED, st)
                else:
                    held.append(_Held(index, self._copy(data), oid, st, False))
            finally:
                if not keep:
                    fclose(fd)
        return out

    def _known(self, path: str, known: Known, out: list[Result]) -> bool:
        """A file whose state row still matches (and not racily) and whose object is in
        the cache: its result without reading it."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return False
        dev, ino, size, mtime, ctime, digest, clock = known
        if (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns, st.st_dev) != (
            mtime, size, ino, ctime, dev
        ) or mtime >= clock or not stat.S_ISREG(st.st_mode):  # fmt: skip
            return False
        try:
            obj = os.stat(f"{self.prefix}{digest[:2]}{os.sep}{digest[2:]}")
        except FileNotFoundError:
            return False
        linked = (obj.st_dev, obj.st_ino) == (dev, ino)
        out.append(_stat_row(digest, KNOWN | (LINKED if linked else 0), st))
        return True

    def _copy(self, data: bytes) -> int:
        return _tmpfile(self.folders.tmp, data)

    def publish(self, out: list[Result]) -> int:
        """Give every held file its object name. Hard links refused stay held (open) for
        :meth:`copy_instead`; returns how many."""
        held, self.held = self.held, []
        refused: list[_Held] = []
        try:
            while held:
                h = held[-1]
                if self._publish(h, out):
                    refused.append(h)
                else:
                    os.close(h.fd)
                held.pop()
        finally:
            self.held = held + refused  # still open: closed by close() on failure
        return len(refused)

    def _publish(self, h: _Held, out: list[Result]) -> bool:
        """Name one object; ``True`` when a hard link was refused."""
        fd, oid = h.fd, h.oid
        if h.link:
            now, before = os.fstat(fd), h.before
            if now.st_mtime_ns != before.st_mtime_ns or now.st_size != before.st_size:
                os.fchmod(fd, stat.S_IMODE(before.st_mode))
                out[h.index] = h.gone()
                return False
        folders = self.folders
        shard = folders.shards.get(oid[:2]) or folders.shard(oid)
        try:
            os.link(str(fd), oid[2:], src_dir_fd=folders.proc, dst_dir_fd=shard,
                    follow_symlinks=True)  # fmt: skip
        except FileExistsError:
            if h.link:
                out[h.index] = self._existing(h, f"{self.prefix}{h.oid[:2]}{os.sep}{h.oid[2:]}")
            return False
        except OSError as exc:
            if h.link and exc.errno in _CANNOT_LINK:
                return True
            raise
        if h.link:
            out[h.index] = _stat_row(h.oid, LINKED | STORED, os.fstat(h.fd))
        else:
            out[h.index] = (h.oid, STORED, *out[h.index][2:])
        return False

    def _existing(self, h: _Held, target: str) -> Result:
        """The object was there already: is this file that object (an earlier add) or a
        copy of it (left writable as it was, for the caller to relink)?"""
        obj = os.stat(target)
        if (obj.st_dev, obj.st_ino) == (h.before.st_dev, h.before.st_ino):
            return _stat_row(h.oid, LINKED, os.fstat(h.fd))
        os.fchmod(h.fd, stat.S_IMODE(h.before.st_mode))
        return _stat_row(h.oid, 0, os.fstat(h.fd))

    def copy_instead(self, out: list[Result]) -> None:
        """Hard links do not work here: store copies of what was hashed instead (the
        workspace files keep their mode)."""
        self.links = False
        refused, self.held = self.held, []
        try:
            while refused:
                h = refused.pop()
                try:
                    os.fchmod(h.fd, stat.S_IMODE(h.before.st_mode))
                    data = os.pread(h.fd, h.before.st_size + 1, 0)
                    if blake3(data).hexdigest() != h.oid:
                        out[h.index] = h.gone()
                        continue
                    out[h.index] = _stat_row(h.oid, 0, os.fstat(h.fd))
                    copy = self._copy(data)
                    self.held.append(_Held(h.index, copy, h.oid, h.before, False))
                finally:
                    os.close(h.fd)
        finally:
            self.held += refused


def _read_all(target: Target, folders: _Folders, items: list[Item]) -> tuple[_Chunk, list[Result]]:
    chunk = _Chunk(target, folders)
    try:
        return chunk, chunk.read(items)
    except BaseException:
        chunk.close()
        raise


def _publish_all(target: Target, chunk: _Chunk, out: list[Result]) -> Reply:
    """Flush the chunk, then name its objects (see the module docstring)."""
    try:
        if chunk.held:
            sync_filesystem(target.files_dir)
            if chunk.publish(out):
                if not target.fallback:
                    raise CacheError(
                        f"cache.type {target.mode}: hard links into {target.files_dir} are "
                        "refused here (another file system, or not permitted)",
                        hint="add copy to cache.type (ardvc config cache.type hardlink,copy)",
                    )
                chunk.copy_instead(out)
                sync_filesystem(target.files_dir)
                chunk.publish(out)
    finally:
        chunk.close()
    return out, "hardlink" if chunk.links else "copy"


def store_chunks(
    target: Target, chunks: Iterable[tuple[int, list[Item]]]
) -> Iterator[tuple[int, Reply]]:
    """Store each chunk of ``items`` (see the module docstring): ``(index, (a result per
    item in order, the mode used))``, ``copy`` when hard links turned out not to work.
    (Flushing a chunk on a thread while the next is read measured slower: the flush
    slows every other file system call down.)"""
    folders = _Folders(target)
    try:
        for index, items in chunks:
            chunk, out = _read_all(target, folders, items)
            yield index, _publish_all(target, chunk, out)
    finally:
        folders.close()


def serve() -> None:
    """A worker process (see :mod:`ardvc.cache.bulk`): read one pickled ``(target,
    [(index, items), …])`` from stdin, answer ``(index, (results, mode))`` per chunk on
    stdout as each is done — or ``(index, error)`` and stop."""
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print must not corrupt the replies
    target, chunks = pickle.load(sys.stdin.buffer)
    fd_budget()
    index = -1
    try:
        for index, reply in store_chunks(target, chunks):
            pickle.dump((index, reply), replies)
            replies.flush()
    except Exception as exc:  # noqa: BLE001 — the parent raises it
        pickle.dump((index, exc), replies)
        replies.flush()


if __name__ == "__main__":
    serve()
