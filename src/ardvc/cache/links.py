"""Putting cache objects into the workspace: reflink → hardlink → copy (``cache.type``).

A reflink shares the object's blocks copy-on-write (btrfs, XFS, APFS): free and safe. A
hardlink is free but *is* the object, so the workspace file is read-only like the object
("protected"); ``ardvc unprotect`` swaps it for a private writable copy. A copy is always
safe. Each file falls back to the next type on the errors that mean "this file system
cannot" (dvc-machinery.md §6), and an empty file is always created, never linked (they
would all share one inode). Every placement writes a temp name in the target folder and
renames it over the target, so a reader sees the old file or the new one.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import shutil
import stat
from collections.abc import Sequence
from pathlib import Path

from ardvc.errors import ConfigError

LINK_TYPES = ("reflink", "hardlink", "copy")
DEFAULT_TYPES = ("reflink", "hardlink", "copy")
FICLONE = 0x40049409
FALLBACK = frozenset(
    {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.ENOTTY, errno.ENOSYS,
     errno.EINVAL, errno.EAGAIN, errno.EMLINK, errno.EBADF}
)  # fmt: skip
"""Errors that mean this link type does not work here; the next type is tried."""
WRITABLE = 0o644


def parse_types(text: str) -> tuple[str, ...]:
    """``cache.type`` ("reflink,hardlink,copy") as a checked tuple."""
    types = tuple(t.strip() for t in text.split(",") if t.strip())
    bad = [t for t in types if t not in LINK_TYPES]
    if bad or not types:
        raise ConfigError(
            f"cache.type {text!r}: unknown link type {', '.join(bad) or '(none)'}",
            hint="use a comma-separated order of reflink, hardlink, copy (symlinks are not "
            "offered: one edit through a symlink corrupts the cache)",
        )
    return types


def reflink(src: Path | str, dst: Path | str) -> None:
    """Clone ``src`` to the new file ``dst`` (``FICLONE``); OSError where unsupported."""
    with open(src, "rb") as source:
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            fcntl.ioctl(fd, FICLONE, source.fileno())
        except OSError:
            os.close(fd)
            os.unlink(dst)
            raise
        os.close(fd)


def _make(kind: str, obj: str, tmp: str) -> None:
    if kind == "reflink":
        reflink(obj, tmp)
        os.chmod(tmp, WRITABLE)
    elif kind == "hardlink":
        os.link(obj, tmp)
    else:
        shutil.copyfile(obj, tmp)
        os.chmod(tmp, WRITABLE)


def place(obj: str, target: Path, types: Sequence[str], size: int) -> str:
    """Make ``target`` hold the object at ``obj`` with the first link type that works;
    returns the type used. Replaces ``target`` atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = f"{target.parent}{os.sep}.{target.name}.{secrets.token_hex(6)}.ardvc-tmp"
    if size == 0:
        with open(tmp, "wb"):
            pass
        os.replace(tmp, target)
        return "copy"
    last: OSError | None = None
    for kind in types:
        try:
            _make(kind, obj, tmp)
        except OSError as exc:
            if exc.errno not in FALLBACK:
                raise
            last = exc
            continue
        try:
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
        return kind
    raise OSError(
        last.errno if last else errno.ENOTSUP,
        f"no link type of {', '.join(types)} works for {target}: {last}",
    )


def is_protected(path: Path) -> bool:
    """A hardlinked (read-only, several links) workspace file."""
    st = path.stat()
    return st.st_nlink > 1 or not (st.st_mode & stat.S_IWUSR)


def unprotect(path: Path) -> bool:
    """Replace a hardlinked or read-only file by a private writable copy (readers never
    see a partial file); returns whether anything changed."""
    if not is_protected(path):
        return False
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.ardvc-tmp"
    try:
        shutil.copyfile(path, tmp)
        os.chmod(tmp, WRITABLE)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True
