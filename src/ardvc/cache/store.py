"""The lab's cache as one value: object store, state DB, link types, locks, run-cache."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ardvc.cache.hashing import default_jobs
from ardvc.cache.links import parse_types
from ardvc.cache.locks import WorkspaceLock
from ardvc.cache.objects import ObjectStore
from ardvc.cache.runcache import RunCache
from ardvc.cache.rwlock import CACHE_AREA, RWLock
from ardvc.cache.state import StateDB
from ardvc.config import Config
from ardvc.workspace import Workspace


def default_processes(configured: int = 0) -> int:
    """``cache.processes``, or one per core and one more: a worker waiting for its
    chunk's flush leaves its core to the extra one (3 measured 10–20 % faster than 2 on
    two cores)."""
    return configured if configured > 0 else (os.cpu_count() or 1) + 1


@dataclass
class CacheSettings:
    link_types: tuple[str, ...] = ("reflink", "hardlink", "copy")
    lock_timeout: float | None = 60.0
    """``None``: wait as long as it takes (``--wait``)."""
    hardlink_lock: bool = False
    jobs: int = field(default_factory=default_jobs)
    """Threads for transfers, verification and checkout."""
    hash_jobs: int = 1
    """Threads for hashing small files while walking a folder. One: on a local disk the
    work is system calls under Python's GIL, and threads measured slower (5.3 s vs 6.1 s
    to add 70,000 files); large files use every core inside BLAKE3 anyway."""
    processes: int = field(default_factory=lambda: default_processes(0))
    """Worker processes for adding a folder of many files (``cache.processes``); a status
    walks a big folder on as many, up to one per core."""
    pool_min: int = 4000
    """Files to store from which ``add`` starts worker processes (they take ~0.1 s to
    start; below this one process is as fast)."""

    @classmethod
    def from_config(cls, config: Config, *, wait: bool = False) -> CacheSettings:
        return cls(
            link_types=parse_types(str(config.get("cache.type"))),
            lock_timeout=None if wait else float(config.get("cache.lock_timeout")),
            hardlink_lock=bool(config.get("cache.hardlink_lock")),
            jobs=default_jobs(int(config.get("cache.jobs"))),
            processes=default_processes(int(config.get("cache.processes"))),
        )


class Cache:
    """Everything under ``.ardvc/cache`` and ``.ardvc/tmp`` that the cache commands use."""

    def __init__(self, workspace: Workspace, settings: CacheSettings | None = None) -> None:
        self.workspace = workspace
        self.settings = settings or CacheSettings()
        self.odb = ObjectStore(workspace.cache_dir)
        self.runs = RunCache(workspace.cache_dir / "runs")

    @property
    def root(self) -> Path:
        return self.workspace.root

    @cached_property
    def state(self) -> StateDB:
        return StateDB(self.workspace.tmp_dir / "state")

    @cached_property
    def rwlock(self) -> RWLock:
        lock = WorkspaceLock(
            self.workspace.lock_file,
            hardlink=self.settings.hardlink_lock,
            timeout=self.settings.lock_timeout,
        )
        return RWLock(self.workspace.tmp_dir / "rwlock", lock)

    @contextlib.contextmanager
    def locked(
        self, command: str, *, reads: list[str] | None = None, writes: list[str] | None = None
    ) -> Iterator[None]:
        """Hold the rwlock (waiting up to ``lock_timeout``) for one operation."""
        with self.rwlock.hold(
            command, reads=reads or [], writes=writes or [], timeout=self.settings.lock_timeout
        ):
            yield

    def reading_cache(
        self, command: str, paths: list[str] | None = None
    ) -> contextlib.AbstractContextManager[None]:
        """Adds objects (idempotent, atomic) and writes ``paths`` in the workspace."""
        return self.locked(command, reads=[CACHE_AREA], writes=paths)

    def writing_cache(self, command: str) -> contextlib.AbstractContextManager[None]:
        """Removes objects (``gc``, ``verify --repair``): nobody else may use the cache."""
        return self.locked(command, writes=[CACHE_AREA])

    def close(self) -> None:
        if "state" in self.__dict__:
            self.state.close()

    def object_inode(self, oid: str) -> tuple[int, int] | None:
        try:
            st = os.stat(self.odb.path_str(oid))
        except FileNotFoundError:
            return None
        return st.st_dev, st.st_ino
