"""The state DB ``.ardvc/tmp/state`` (SQLite): never hash an unchanged file twice.

``files``: lab-relative path → (dev, inode, size, mtime_ns, ctime_ns) → hash, with the
file-system clock read just before the content was hashed. An entry is used only when
the whole stat signature matches (``ctime`` catches rewrites that restore ``mtime``) and
the file's ``mtime`` is strictly before that clock: a file written in the same timestamp
tick as its hashing ("racily clean", as git calls it) is hashed again next time instead
of being trusted.

``dirs``: a tracked folder's signature (a BLAKE3 over every file's relative path and stat
signature) → its manifest oid, size and file count. A no-op status of a folder of 10⁵
files is one walk with one ``stat`` per file, one signature and one lookup: no hashing, no
per-file queries, no manifest read.

Reads are batched (one range query per folder); writes go in one transaction. The DB
lives in the lab's ``.ardvc/tmp`` on local disk, keyed by lab-relative paths.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, dev INTEGER, ino INTEGER, size INTEGER, mtime_ns INTEGER,
    ctime_ns INTEGER, hash TEXT NOT NULL, clock_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dirs (
    path TEXT PRIMARY KEY, signature TEXT NOT NULL, oid TEXT NOT NULL, size INTEGER,
    nfiles INTEGER
) WITHOUT ROWID;
"""
BATCH = 900


@dataclass(frozen=True, slots=True)
class FileRow:
    dev: int
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int
    hash: str
    clock_ns: int

    def matches(self, st: os.stat_result) -> str | None:
        """The hash, when ``st`` is the file this row was hashed from and not racy."""
        if (
            st.st_mtime_ns == self.mtime_ns
            and st.st_size == self.size
            and st.st_ino == self.ino
            and st.st_ctime_ns == self.ctime_ns
            and st.st_dev == self.dev
            and st.st_mtime_ns < self.clock_ns
        ):
            return self.hash
        return None


@dataclass(frozen=True, slots=True)
class DirMemo:
    signature: str
    oid: str
    size: int
    nfiles: int


def _range(prefix: str) -> tuple[str, str]:
    """Bounds of every path strictly under ``prefix/`` ('0' follows '/' in ASCII)."""
    return prefix + "/", prefix + "0"


class StateDB:
    """See the module docstring. Safe to share between threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=60.0, check_same_thread=False,
                                   isolation_level=None)  # fmt: skip
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        self._clock_file = path.with_name("state.clock")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- the file-system clock -----------------------------------------------------------

    def fs_clock(self) -> int:
        """A file-system timestamp later than every write that happened before this call
        (waits at most a few ticks for the coarse clock to move)."""
        self._clock_file.touch()
        first = self._clock_file.stat().st_mtime_ns
        deadline = time.monotonic() + 0.1
        while time.monotonic() < deadline:
            time.sleep(0.001)
            os.utime(self._clock_file)
            now = self._clock_file.stat().st_mtime_ns
            if now > first:
                return now
        return first + 1

    # --- files ---------------------------------------------------------------------------

    def files_under(self, prefix: str) -> dict[str, FileRow]:
        """Every row at or below the lab-relative ``prefix`` (one range query)."""
        low, high = _range(prefix)
        with self._lock:
            rows = self._db.execute(
                "SELECT path, dev, ino, size, mtime_ns, ctime_ns, hash, clock_ns FROM files "
                "WHERE (path > ? AND path < ?) OR path = ?",
                (low, high, prefix),
            ).fetchall()
        return {r[0]: FileRow(*r[1:]) for r in rows}

    def files(self, paths: Iterable[str]) -> dict[str, FileRow]:
        wanted = list(paths)
        out: dict[str, FileRow] = {}
        with self._lock:
            for i in range(0, len(wanted), BATCH):
                part = wanted[i : i + BATCH]
                marks = ",".join("?" * len(part))
                for r in self._db.execute(
                    "SELECT path, dev, ino, size, mtime_ns, ctime_ns, hash, clock_ns FROM "
                    f"files WHERE path IN ({marks})",
                    part,
                ):
                    out[r[0]] = FileRow(*r[1:])
        return out

    def record(self, rows: Iterable[tuple[str, os.stat_result, str, int]]) -> int:
        """Upsert ``(path, stat, hash, clock_ns)`` rows in one transaction."""
        return self.record_keys(
            [(p, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, h, clock)
             for p, st, h, clock in rows]
        )  # fmt: skip

    def record_keys(self, values: list[tuple[str, int, int, int, int, int, str, int]]) -> int:
        """Upsert ``(path, dev, ino, size, mtime_ns, ctime_ns, hash, clock_ns)`` rows in one
        transaction."""
        if not values:
            return 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return len(values)

    def forget_under(self, prefix: str) -> None:
        low, high = _range(prefix)
        with self._lock:
            self._db.execute(
                "DELETE FROM files WHERE (path > ? AND path < ?) OR path = ?", (low, high, prefix)
            )
            self._db.execute("DELETE FROM dirs WHERE path = ?", (prefix,))

    # --- folders -------------------------------------------------------------------------

    def dir_memo(self, path: str) -> DirMemo | None:
        with self._lock:
            row = self._db.execute(
                "SELECT signature, oid, size, nfiles FROM dirs WHERE path = ?", (path,)
            ).fetchone()
        return None if row is None else DirMemo(*row)

    def remember_dir(self, path: str, memo: DirMemo) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO dirs VALUES (?, ?, ?, ?, ?)",
                (path, memo.signature, memo.oid, memo.size, memo.nfiles),
            )

    def counts(self) -> tuple[int, int]:
        with self._lock:
            files = self._db.execute("SELECT count(*) FROM files").fetchone()[0]
            dirs = self._db.execute("SELECT count(*) FROM dirs").fetchone()[0]
        return int(files), int(dirs)
