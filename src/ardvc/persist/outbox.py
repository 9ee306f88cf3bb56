"""The durable outbox ``.ardvc/tmp/outbox/``: one JSON file per commit not yet pushed.

Pychron pushes right after each commit and swallows the error when the push fails, so a
lab learns weeks later that an acquisition computer never shared its data. ardvc queues
every commit it makes for a remote; an entry leaves the outbox only when a push is known to
have put its commit on the remote, and keeps the last error (and attempt count) until
then. ``ardvc outbox`` lists them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from ardvc.errors import CorruptFileError
from ardvc.formats.jsonio import atomic_write_bytes

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class OutboxEntry(msgspec.Struct, kw_only=True):
    """A commit of ``repo`` (folder relative to the lab root) waiting to be pushed."""

    repo: str
    branch: str
    commit: str
    created: str
    message: str = ""
    attempts: int = 0
    last_attempt: str | None = None
    last_error: str | None = None

    @property
    def key(self) -> str:
        """File name: creation time first, so listing order is queue order."""
        stamp = self.created.replace(":", "").replace("-", "").replace("+", "p")
        return f"{stamp}-{_SAFE.sub('_', self.repo)}-{self.commit[:16]}.json"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Outbox:
    """The outbox of one lab (``folder`` = ``.ardvc/tmp/outbox``)."""

    folder: Path

    def add(self, repo: str, branch: str, commit: str, message: str = "") -> OutboxEntry:
        """Queue ``commit`` (fsync'd: the queue outlives a crash of the process)."""
        entry = OutboxEntry(
            repo=repo, branch=branch, commit=commit, created=_now(), message=message
        )
        self._write(entry)
        return entry

    def _write(self, entry: OutboxEntry) -> None:
        atomic_write_bytes(self.folder / entry.key, msgspec.json.encode(entry))

    def entries(self, repo: str | None = None) -> list[OutboxEntry]:
        """Pending entries in queue order (of one repository, or all)."""
        if not self.folder.is_dir():
            return []
        out = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue  # pushed and removed meanwhile (another thread or process)
            try:
                entry = msgspec.json.decode(raw, type=OutboxEntry)
            except msgspec.DecodeError as exc:
                raise CorruptFileError(str(path), str(exc)) from exc
            if repo is None or entry.repo == repo:
                out.append(entry)
        return out

    def remove(self, entries: Iterable[OutboxEntry]) -> int:
        removed = 0
        for entry in entries:
            try:
                (self.folder / entry.key).unlink()
            except FileNotFoundError:
                continue
            removed += 1
        return removed

    def record_failure(self, entries: Iterable[OutboxEntry], error: str) -> list[OutboxEntry]:
        """Keep the entries, with this error and one more attempt counted."""
        now = _now()
        updated = []
        for entry in entries:
            new = msgspec.structs.replace(
                entry, attempts=entry.attempts + 1, last_attempt=now, last_error=error
            )
            self._write(new)
            updated.append(new)
        return updated

    def __len__(self) -> int:
        return len(list(self.folder.glob("*.json"))) if self.folder.is_dir() else 0
