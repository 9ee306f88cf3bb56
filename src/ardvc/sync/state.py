"""What the last sync of each repository did: ``.ardvc/tmp/sync/<repo>.json``.

``ardvc status`` shows the state of every repository from git alone, plus what git cannot
remember: when it was last fetched and pushed, and the last error of each operation
(a failed push, a merge conflict with its files) until that operation next succeeds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from filelock import FileLock

from ardvc.errors import CorruptFileError
from ardvc.formats.jsonio import atomic_write_bytes

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class OpError(msgspec.Struct, kw_only=True):
    """The last failure of one operation (``fetch``, ``push``, ``merge``, ``collection``)."""

    kind: str
    message: str
    at: str
    branch: str | None = None
    files: list[str] = msgspec.field(default_factory=list)


class SyncRecord(msgspec.Struct, kw_only=True):
    repo: str
    last_fetch: str | None = None
    last_push: str | None = None
    last_merge: str | None = None
    errors: dict[str, OpError] = msgspec.field(default_factory=dict)


@dataclass(frozen=True)
class SyncStates:
    """The records of one lab (``folder`` = ``.ardvc/tmp/sync``)."""

    folder: Path

    def _path(self, repo: str) -> Path:
        return self.folder / f"{_SAFE.sub('_', repo)}.json"

    def load(self, repo: str) -> SyncRecord:
        path = self._path(repo)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return SyncRecord(repo=repo)
        try:
            return msgspec.json.decode(raw, type=SyncRecord)
        except msgspec.DecodeError as exc:
            raise CorruptFileError(str(path), str(exc)) from exc

    def _update(self, repo: str, change: Callable[[SyncRecord], None]) -> SyncRecord:
        self.folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self._path(repo)) + ".lock"):
            record = self.load(repo)
            change(record)
            atomic_write_bytes(self._path(repo), msgspec.json.encode(record))
        return record

    def succeeded(self, repo: str, op: str) -> SyncRecord:
        stamp = now()

        def change(record: SyncRecord) -> None:
            record.errors.pop(op, None)
            if op in ("fetch", "push", "merge"):
                setattr(record, f"last_{op}", stamp)

        return self._update(repo, change)

    def failed(self, repo: str, op: str, error: OpError) -> SyncRecord:
        return self._update(repo, lambda record: record.errors.__setitem__(op, error))

    def clear(self, repo: str, op: str, kind: str | None = None) -> SyncRecord:
        """Forget the last error of ``op`` (only one of ``kind``, when given)."""

        def change(record: SyncRecord) -> None:
            error = record.errors.get(op)
            if error is not None and (kind is None or error.kind == kind):
                del record.errors[op]

        return self._update(repo, change)
