"""Whether the lab is offline: ``.ardvc/offline/state.json``, and the offline index beside it.

Read by every command that would use the network or the shared index, so it stays a
small file with no dependencies beyond the workspace.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import msgspec

from ardvc.errors import ArdvcError, CorruptFileError
from ardvc.formats.jsonio import atomic_write_bytes
from ardvc.workspace import Workspace

FOLDER = "offline"


class LabOfflineError(ArdvcError):
    """The lab is offline (or not), so the operation cannot run now."""


def offline_dir(workspace: Workspace) -> Path:
    return workspace.ardvc_dir / FOLDER


def offline_index_url(workspace: Workspace) -> str:
    """The SQLite index used while offline (built from git by ``offline prepare``)."""
    return f"sqlite:///{offline_dir(workspace) / 'index.sqlite3'}"


class OfflineState(msgspec.Struct, kw_only=True):
    active: bool = False
    since: str | None = None
    remote: str | None = None
    repos: list[str] = msgspec.field(default_factory=list)
    """Data repositories prepared for offline work."""
    meta_commit: str | None = None
    """MetaRepo head when the lab went offline."""
    heads: dict[str, str] = msgspec.field(default_factory=dict)
    """Repository → head when the lab went offline (what was shared then)."""

    @staticmethod
    def path(workspace: Workspace) -> Path:
        return offline_dir(workspace) / "state.json"

    @classmethod
    def load(cls, workspace: Workspace) -> OfflineState:
        path = cls.path(workspace)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls()
        try:
            return msgspec.json.decode(raw, type=cls)
        except msgspec.DecodeError as exc:
            raise CorruptFileError(str(path), str(exc)) from exc

    def save(self, workspace: Workspace) -> None:
        atomic_write_bytes(self.path(workspace), msgspec.json.encode(self))


def is_offline(workspace: Workspace) -> bool:
    return OfflineState.load(workspace).active


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def effective_index_url(workspace: Workspace, shared_url: str) -> str:
    """The offline index while the lab is offline, else the lab's own (``shared_url``)."""
    return offline_index_url(workspace) if is_offline(workspace) else shared_url
