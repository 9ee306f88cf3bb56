"""Run monitors ``monitor/<tail>.moni.json`` (pychron-format.md §5.12).

A list of the automatic checks that watched a run (e.g. "abort if Ar40 > 1000 fA"), whether
each tripped, and the series it watched. None of the shipped bundles has one.
"""

from __future__ import annotations

from typing import Any

from msgspec import field

from ardvc.formats.blobs import DEFAULT_FORMAT, FloatArray, decode_pairs
from ardvc.formats.schema import FileStruct, convert


class MonitorEntry(FileStruct, kw_only=True):
    """One monitor: ``parameter comparator criterion`` and the watched ``(t, y)`` data."""

    name: str | None = None
    parameter: str | None = None
    criterion: float | str | None = None
    comparator: str | None = None
    tripped: bool = False
    data: str | None = None

    def series(self, fmt: str = DEFAULT_FORMAT) -> tuple[FloatArray, FloatArray]:
        return decode_pairs(self.data or "", fmt)


class MonitorFile(FileStruct, kw_only=True):
    entries: list[MonitorEntry] = field(default_factory=list)

    @property
    def tripped(self) -> list[MonitorEntry]:
        return [m for m in self.entries if m.tripped]


def decode_monitor(
    obj: Any, *, path: str, repo: str | None = None, commit: str | None = None
) -> MonitorFile:
    """The file is a JSON list; anything else is corrupt."""
    entries = convert(obj, list[MonitorEntry], path=path, repo=repo, commit=commit)
    return MonitorFile(entries=entries)
