"""Other processes: is the one that left a lock, journal or marker still there (one answer
for every store — git, cache, acquisition journal — so stale-lock handling agrees
everywhere), and how ardvc starts its helper processes."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

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


def serving_command(module: str) -> list[str]:
    """The command of a helper process running ``module.serve()`` with this very ``ardvc``
    first on its path. Not :mod:`multiprocessing`: its ``spawn`` runs the caller's main
    script again in every helper (a lab's script without a ``__main__`` guard would run
    twice), and ``fork`` is unsafe in a process with threads."""
    root = str(Path(__file__).resolve().parents[1])
    code = f"import sys; sys.path.insert(0, {root!r}); from {module} import serve; serve()"
    return [sys.executable, "-c", code]
