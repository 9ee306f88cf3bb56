"""The workspace lock (``.ardvc/tmp/lock``): a short mutex that guards the rwlock table.

Two kinds: an OS lock (``flock`` through filelock; the kernel releases it when a process
dies) and, with ``cache.hardlink_lock``, an NFS-safe one — a claim file hard-linked to the
lock name, which works where ``flock`` does not. A claim left by a process that died on
this host is detected, reported and removed; one from another host is reported with its
owner so a person can decide. Both wait (polling with back-off) up to a timeout.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock
from filelock import Timeout as FileLockTimeout

from ardvc.errors import LockTimeoutError
from ardvc.logs import get_logger
from ardvc.processes import left_by_dead_process

HOST = socket.gethostname()
POLL_START, POLL_MAX = 0.02, 0.5


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds (or held) a lock."""

    pid: int
    host: str
    command: str
    since: float = field(default_factory=time.time)

    @classmethod
    def me(cls, command: str) -> Holder:
        return cls(os.getpid(), HOST, command)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Holder:
        return cls(int(data["pid"]), str(data["host"]), str(data.get("command", "?")),
                   float(data.get("since", 0.0)))  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def dead(self) -> bool:
        """Known dead: same host, no such process. A holder on another host is never
        presumed dead."""
        return left_by_dead_process(self.host, self.pid)

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))
        return f"pid {self.pid} on {self.host} ({self.command!r}, since {when})"


def waits(timeout: float | None) -> Iterator[float]:
    """Sleep intervals with back-off until ``timeout`` seconds passed (``None``: forever)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = POLL_START
    while True:
        yield delay
        if deadline is not None and time.monotonic() >= deadline:
            return
        time.sleep(delay if deadline is None else min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(POLL_MAX, delay * 1.5)


class WorkspaceLock:
    """The mutex on ``tmp/lock`` (see the module docstring)."""

    def __init__(self, path: Path, *, hardlink: bool = False, timeout: float | None = 60.0) -> None:
        self.path = path
        self.hardlink = hardlink
        self.timeout = timeout
        self.stale_removed: list[Holder] = []

    @contextlib.contextmanager
    def hold(self, command: str) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.hardlink:
            lock = FileLock(str(self.path), timeout=-1 if self.timeout is None else self.timeout)
            try:
                lock.acquire()
            except FileLockTimeout:
                raise LockTimeoutError(
                    f"the workspace lock {self.path} stayed busy for {self.timeout:g} s",
                    hint="another ardvc command is updating the lock table; try again, or "
                    "pass --wait",
                ) from None
            try:
                yield
            finally:
                lock.release()
            return
        claim = self._claim(command)
        try:
            yield
        finally:
            self._release(claim)

    # --- NFS-safe hardlink lock --------------------------------------------------------

    def _claim(self, command: str) -> Path:
        holder = Holder.me(command)
        claim = self.path.with_name(f"{self.path.name}.{HOST}.{os.getpid()}.{secrets.token_hex(4)}")
        claim.write_bytes(orjson.dumps(holder.as_json()))
        for _ in waits(self.timeout):
            try:
                os.link(claim, self.path)
            except FileExistsError:
                pass
            except OSError:
                # NFS may report failure of a link that happened: the link count decides
                if claim.stat().st_nlink == 2:
                    return claim
            else:
                return claim
            owner = self._owner()
            if owner is not None and owner.dead:
                self._break(owner)
        claim.unlink(missing_ok=True)
        owner = self._owner()
        raise LockTimeoutError(
            f"the workspace lock {self.path} stayed busy for {self.timeout:g} s"
            + (f"; held by {owner.describe()}" if owner else ""),
            hint="if that process is gone (another host), remove the lock file by hand",
        )

    def _owner(self) -> Holder | None:
        try:
            return Holder.from_json(orjson.loads(self.path.read_bytes()))
        except FileNotFoundError:
            return None
        except (orjson.JSONDecodeError, KeyError, ValueError, TypeError):
            return None

    def _break(self, owner: Holder) -> None:
        """Remove the lock of a process that died on this host (and report it)."""
        get_logger("cache").warning(
            "removed the stale workspace lock of %s: that process is gone", owner.describe()
        )
        self.stale_removed.append(owner)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _release(self, claim: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            if self.path.stat().st_ino == claim.stat().st_ino:
                self.path.unlink()
        claim.unlink(missing_ok=True)
