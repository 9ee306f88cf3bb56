"""The run-cache ``.ardvc/cache/runs/<key[:2]>/<key>/<value>``: memoised stage results.

A stage (a reduction, an experiment step) is identified by :func:`stage_key` — BLAKE3 of
the canonical JSON of its name, code version, input blob ids and parameters. Its result
is a JSON record stored under that key, named by the BLAKE3 of its own bytes, so a record
is verified on every read (a damaged one is deleted and reported, never returned) and
records can be copied between caches and remotes without coordination. Several records
under one key are several runs with the same inputs; :meth:`RunCache.get` returns the
newest. A record may name cache objects it needs (``objects``): ``gc`` keeps them, and
cache push/pull moves them with the record.

    rc = RunCache(path)
    key = stage_key("reduce", code_version(), {"a.json": blob_id}, {"conventions": …})
    record = rc.get(key)            # None on a miss
    if record is None:
        rc.put(key, {"results": …})
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ardvc.cache.hashing import hash_bytes, is_oid
from ardvc.formats.jsonio import atomic_write_bytes
from ardvc.logs import get_logger

FORMAT = 1


def canonical(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace (orjson writes NaN as null)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY)


def stage_key(stage: str, code_version: str, inputs: Mapping[str, str], params: Any) -> str:
    """The run-cache key of one stage run: BLAKE3 of (stage name, code version, input
    blob ids by name, canonical parameters)."""
    return hash_bytes(
        canonical(
            {"stage": stage, "code": code_version, "inputs": dict(inputs), "params": params,
             "format": FORMAT}
        )
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class RunRecord:
    key: str
    value: str
    created: float
    record: dict[str, Any]
    objects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RunCacheStatus:
    keys: int
    records: int
    bytes: int


class RunCache:
    """See the module docstring."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, key: str) -> Path:
        return self.root / key[:2] / key

    def path(self, key: str, value: str) -> Path:
        return self._dir(key) / value

    def put(self, key: str, record: Mapping[str, Any], objects: Iterable[str] = ()) -> str:
        """Store a record for ``key``; returns its value id. ``objects`` are cache oids
        the record needs (kept by gc, moved by push/pull)."""
        _check(key)
        oids = sorted(set(objects))
        for oid in oids:
            if not is_oid(oid):
                raise ValueError(f"not a cache object id: {oid!r}")
        data = canonical(
            {"key": key, "created": time.time(), "record": dict(record), "objects": oids}
        )
        value = hash_bytes(data)
        path = self.path(key, value)
        if not path.exists():
            atomic_write_bytes(path, data, mode=0o444)
        return value

    def store_raw(self, key: str, value: str, data: bytes) -> bool:
        """Install a record fetched from elsewhere, after verifying it."""
        _check(key)
        if hash_bytes(data) != value:
            return False
        path = self.path(key, value)
        if not path.exists():
            atomic_write_bytes(path, data, mode=0o444)
        return True

    def read(self, key: str, value: str) -> RunRecord | None:
        """One record, or ``None`` (and the file removed) when it is damaged."""
        path = self.path(key, value)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            if hash_bytes(data) != value:
                raise ValueError("content does not match its name")
            raw = orjson.loads(data)
            if raw["key"] != key:
                raise ValueError("filed under another key")
            return RunRecord(key, value, float(raw["created"]), dict(raw["record"]),
                             tuple(raw.get("objects", ())))  # fmt: skip
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            get_logger("cache").warning("removed the damaged run record %s: %s", path, exc)
            path.unlink(missing_ok=True)
            return None

    def records(self, key: str) -> list[RunRecord]:
        """Every intact record of ``key``, newest first."""
        _check(key)
        folder = self._dir(key)
        if not folder.is_dir():
            return []
        found = [self.read(key, p.name) for p in folder.iterdir() if not p.name.startswith(".")]
        return sorted((r for r in found if r is not None), key=lambda r: -r.created)

    def get(self, key: str) -> dict[str, Any] | None:
        """The newest record of ``key``, or ``None`` on a miss."""
        found = self.records(key)
        return found[0].record if found else None

    def entries(self) -> Iterator[tuple[str, str]]:
        """``(key, value)`` of every record file (not read)."""
        if not self.root.is_dir():
            return
        with os.scandir(self.root) as shards:
            for shard in shards:
                if len(shard.name) != 2 or not shard.is_dir():
                    continue
                with os.scandir(shard.path) as keys:
                    for key in keys:
                        if not key.is_dir():
                            continue
                        with os.scandir(key.path) as values:
                            for value in values:
                                if not value.name.startswith("."):
                                    yield key.name, value.name

    def status(self) -> RunCacheStatus:
        keys: set[str] = set()
        count = size = 0
        for key, value in self.entries():
            keys.add(key)
            count += 1
            size += self.path(key, value).stat().st_size
        return RunCacheStatus(len(keys), count, size)

    def referenced_objects(self) -> set[str]:
        out: set[str] = set()
        for key, value in self.entries():
            record = self.read(key, value)
            if record is not None:
                out.update(record.objects)
        return out

    def gc(self, *, keep: int = 1, older_than_days: float | None = None,
           dry_run: bool = False) -> list[tuple[str, str]]:  # fmt: skip
        """Remove all but the ``keep`` newest records of each key, and (with
        ``older_than_days``) any record older than that; returns what was (or would be)
        removed."""
        by_key: dict[str, list[str]] = {}
        for key, value in self.entries():
            by_key.setdefault(key, []).append(value)
        cutoff = None if older_than_days is None else time.time() - older_than_days * 86400
        removed: list[tuple[str, str]] = []
        for key in by_key:
            for i, record in enumerate(self.records(key)):
                if i >= keep or (cutoff is not None and record.created < cutoff):
                    removed.append((key, record.value))
        if not dry_run:
            for key, value in removed:
                self.path(key, value).unlink(missing_ok=True)
                folder = self._dir(key)
                if folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
        return removed


def _check(key: str) -> None:
    if not is_oid(key) or key.endswith(".dir"):
        raise ValueError(f"not a run-cache key: {key!r}")
