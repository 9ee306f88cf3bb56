"""Read/write locks on workspace paths: ``.ardvc/tmp/rwlock``.

A JSON table ``{"read": {path: [holder, …]}, "write": {path: holder}}`` (holder = pid,
host, command, since), changed only under the workspace lock. Paths are lab-relative:
artifact paths in data repositories (``repositories/Foo/videos``) and cache areas
(``cache`` — adding objects reads it, since object writes are atomic and idempotent; ``gc``
writes it). A request conflicts with a writer of any overlapping path (equal, parent or
child) and, for its writes, with readers of overlapping paths. Unlike dvc, a busy request
*waits* (``cache.lock_timeout``, ``--wait`` for ever) instead of failing at once, and the
workspace lock is held only while the table changes, never during the work. Entries of
processes that died on this host are dropped and reported.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ardvc.cache.locks import Holder, WorkspaceLock, waits
from ardvc.errors import LockTimeoutError
from ardvc.formats.jsonio import atomic_write_bytes
from ardvc.logs import get_logger

CACHE_AREA = "cache"


def overlaps(a: str, b: str) -> bool:
    a, b = a.rstrip("/"), b.rstrip("/")
    return a == b or a.startswith(b + "/") or b.startswith(a + "/") or not a or not b


@dataclass
class Table:
    read: dict[str, list[Holder]] = field(default_factory=dict)
    write: dict[str, Holder] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Table:
        try:
            raw = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            return cls()
        except orjson.JSONDecodeError:
            get_logger("cache").warning("%s was unreadable and is reset", path)
            return cls()
        return cls(
            {p: [Holder.from_json(h) for h in hs] for p, hs in raw.get("read", {}).items()},
            {p: Holder.from_json(h) for p, h in raw.get("write", {}).items()},
        )

    def dump(self) -> bytes:
        data: dict[str, Any] = {
            "read": {p: [h.as_json() for h in hs] for p, hs in self.read.items() if hs},
            "write": {p: h.as_json() for p, h in self.write.items()},
        }
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)

    def drop_dead(self) -> list[tuple[str, Holder]]:
        dropped = [(p, h) for p, h in self.write.items() if h.dead]
        for p, _ in dropped:
            del self.write[p]
        for p, holders in list(self.read.items()):
            dead = [h for h in holders if h.dead]
            dropped += [(p, h) for h in dead]
            self.read[p] = [h for h in holders if not h.dead]
        return dropped

    def conflicts(self, reads: Iterable[str], writes: Iterable[str]) -> list[str]:
        wanted_w = list(writes)
        wanted = list(reads) + wanted_w
        out = []
        for path, holder in self.write.items():
            if any(overlaps(path, p) for p in wanted):
                out.append(f"{path!r} is being written by {holder.describe()}")
        for path, holders in self.read.items():
            if holders and any(overlaps(path, p) for p in wanted_w):
                out.append(f"{path!r} is being read by {holders[0].describe()}")
        return out


class RWLock:
    """Acquire with :meth:`hold`; see the module docstring."""

    def __init__(self, table: Path, lock: WorkspaceLock) -> None:
        self.table = table
        self.lock = lock
        self.stale: list[tuple[str, Holder]] = []
        """Entries of dead processes this lock dropped (reported to the user)."""

    def entries(self) -> Table:
        return Table.load(self.table)

    @contextlib.contextmanager
    def hold(
        self,
        command: str,
        *,
        reads: Iterable[str] = (),
        writes: Iterable[str] = (),
        timeout: float | None = 60.0,
    ) -> Iterator[None]:
        """Hold read locks on ``reads`` and write locks on ``writes`` for the block."""
        me = Holder.me(command)
        reads, writes = sorted(set(reads)), sorted(set(writes))
        busy: list[str] = []
        for _ in waits(timeout):
            with self.lock.hold(command):
                table = Table.load(self.table)
                dropped = table.drop_dead()
                for path, holder in dropped:
                    get_logger("cache").warning(
                        "dropped the stale lock on %s of %s: that process is gone",
                        path, holder.describe(),
                    )  # fmt: skip
                self.stale += dropped
                busy = table.conflicts(reads, writes)
                if not busy:
                    for path in reads:
                        table.read.setdefault(path, []).append(me)
                    for path in writes:
                        table.write[path] = me
                if not busy or dropped:
                    atomic_write_bytes(self.table, table.dump(), fsync=False)
            if not busy:
                break
        else:
            raise LockTimeoutError(
                f"{busy[0]}; waited {timeout:g} s"
                + (f" (and {len(busy) - 1} more)" if busy[1:] else ""),
                hint="wait for that command to finish (or pass --wait to wait as long as it "
                "takes); `ardvc lock` lists who holds what",
            )
        try:
            yield
        finally:
            self._release(me, reads, writes)

    def _release(self, me: Holder, reads: list[str], writes: list[str]) -> None:
        with self.lock.hold("release"):
            table = Table.load(self.table)
            for path in writes:
                if table.write.get(path) == me:
                    del table.write[path]
            for path in reads:
                holders = table.read.get(path, [])
                if me in holders:
                    holders.remove(me)
            atomic_write_bytes(self.table, table.dump(), fsync=False)
