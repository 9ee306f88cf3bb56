"""Markers of runs in progress, so a run killed mid-measurement is noticed after a restart.

``begin_run`` writes ``.ardvc/tmp/runs/<uuid>.json`` (run ID, repository, branch, pid,
host, stage); the marker goes when the run is committed or aborted. A marker whose process
is gone names a run that was interrupted: nothing of it is in git (its files are only
committed at ``end_run``, in one branch move), and it can be recorded again or discarded.
A marker whose run is in git (the process died between the branch move and removing the
marker) is recognised: the persister checks git before calling a run lost.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from ardvc.errors import CorruptFileError, UsageError
from ardvc.formats.jsonio import atomic_write_bytes
from ardvc.processes import left_by_dead_process


class RunMarker(msgspec.Struct, kw_only=True):
    uuid: str
    record_id: str
    repository: str
    branch: str
    pid: int
    host: str
    started: str
    stage: str = "recording"

    @property
    def alive(self) -> bool:
        """The recording process still runs (on this host; other hosts count as alive)."""
        return not left_by_dead_process(self.host, self.pid)


@dataclass(frozen=True)
class RunJournal:
    """The markers of one lab (``folder`` = ``.ardvc/tmp/runs``)."""

    folder: Path

    def _path(self, uuid: str) -> Path:
        return self.folder / f"{uuid}.json"

    def start(self, uuid: str, record_id: str, repository: str, branch: str) -> RunMarker:
        marker = RunMarker(
            uuid=uuid, record_id=record_id, repository=repository, branch=branch,
            pid=os.getpid(), host=socket.gethostname(),
            started=datetime.now(UTC).isoformat(timespec="seconds"),
        )  # fmt: skip
        self._write(marker)
        return marker

    def stage(self, marker: RunMarker, stage: str) -> RunMarker:
        updated = msgspec.structs.replace(marker, stage=stage)
        self._write(updated)
        return updated

    def _write(self, marker: RunMarker) -> None:
        # no fsync: a marker lost in a power cut only loses the message, never data
        atomic_write_bytes(self._path(marker.uuid), msgspec.json.encode(marker), fsync=False)

    def finish(self, uuid: str) -> None:
        self._path(uuid).unlink(missing_ok=True)

    def markers(self) -> list[RunMarker]:
        if not self.folder.is_dir():
            return []
        out = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                out.append(msgspec.json.decode(path.read_bytes(), type=RunMarker))
            except msgspec.DecodeError as exc:
                raise CorruptFileError(str(path), str(exc)) from exc
        return out

    def interrupted(self) -> list[RunMarker]:
        """Runs whose recording process is gone."""
        return [m for m in self.markers() if not m.alive]

    def find(self, name: str) -> RunMarker:
        """The marker of a run by run ID or uuid."""
        for marker in self.markers():
            if name in (marker.uuid, marker.record_id):
                return marker
        raise UsageError(
            f"no run {name!r} is in progress or interrupted",
            hint="ardvc runs lists the runs ardvc knows to be unfinished",
        )
