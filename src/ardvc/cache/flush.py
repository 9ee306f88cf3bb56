"""Making a batch of writes durable with one call instead of one ``fsync`` per file."""

from __future__ import annotations

import ctypes
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

_libc = ctypes.CDLL(None, use_errno=True)
"""The C library through the process's own symbols (``find_library`` would run
``ldconfig`` in every worker process)."""


def sync_filesystem(path: Path | str) -> None:
    """Flush everything written on the file system holding ``path`` (Linux ``syncfs``;
    elsewhere ``sync``): one call makes a whole batch of files durable."""
    syncfs = getattr(_libc, "syncfs", None)
    if syncfs is None:
        os.sync()
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"syncfs {path}: {os.strerror(err)}")
    finally:
        os.close(fd)
