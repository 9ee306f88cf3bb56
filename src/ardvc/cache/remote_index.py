"""What a cache remote is known to hold: ``.ardvc/tmp/index/<remote>`` (SQLite).

Filled by every successful upload and every existence check, so ``ardvc cache status -c``
and a second push ask the remote only about objects not seen there before — standalone
files as well as manifests (dvc indexes only folders). The index is a hint that can go
stale if someone deletes objects on the remote: each use re-checks the manifests it relies
on (one request each) and clears the whole index when one is gone; ``--refresh`` clears it
by hand. Uploads send a manifest only after every file it lists, so a manifest known on
the remote implies its files.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (oid TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (key TEXT, value TEXT, PRIMARY KEY (key, value)) WITHOUT ROWID;
"""
BATCH = 900


class RemoteIndex:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=60.0, check_same_thread=False,
                                   isolation_level=None)  # fmt: skip
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def known(self, oids: Iterable[str]) -> set[str]:
        wanted = list(oids)
        out: set[str] = set()
        with self._lock:
            for i in range(0, len(wanted), BATCH):
                part = wanted[i : i + BATCH]
                marks = ",".join("?" * len(part))
                out.update(r[0] for r in self._db.execute(
                    f"SELECT oid FROM objects WHERE oid IN ({marks})", part))  # fmt: skip
        return out

    def add(self, oids: Iterable[str]) -> None:
        rows = [(o,) for o in oids]
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR IGNORE INTO objects VALUES (?)", rows)
            self._db.execute("COMMIT")

    def known_runs(self) -> set[tuple[str, str]]:
        with self._lock:
            return {(k, v) for k, v in self._db.execute("SELECT key, value FROM runs")}

    def add_runs(self, entries: Iterable[tuple[str, str]]) -> None:
        rows = list(entries)
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR IGNORE INTO runs VALUES (?, ?)", rows)
            self._db.execute("COMMIT")

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM objects")
            self._db.execute("DELETE FROM runs")

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM objects").fetchone()[0])
