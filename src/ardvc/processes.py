"""Is the process that left a lock, journal or marker still there? One answer for every
store (git, cache, acquisition journal), so stale-lock handling agrees everywhere."""

from __future__ import annotations

import os
import socket

HOST = socket.gethostname()


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host (``False`` for ids ≤ 0)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True


def left_by_dead_process(host: str, pid: int) -> bool:
    """A holder recorded as ``(host, pid)`` is known dead: same host and no such process.
    A holder on another host is never presumed dead."""
    return host == socket.gethostname() and not pid_alive(pid)
