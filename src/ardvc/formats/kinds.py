"""Registry of data-repository file kinds: modifier → schema and decoder.

``decode_file(modifier, raw, path=…)`` is the one entry point from bytes in git to a typed
record: JSON errors and shape errors both surface as CorruptFileError naming the file.
``classify_path`` maps a repository-relative path to its kind, so a caller walking a tree
can decode every file without knowing the layout rules. Logs (``.log``) are plain text and
not decoded; the root spectrometer files are the pseudo-modifier ``"spectrometer"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, overload

from ardvc.errors import UsageError
from ardvc.formats import jsonio
from ardvc.formats.analysis_file import AnalysisFile
from ardvc.formats.extraction import ExtractionFile
from ardvc.formats.fits import FitsFile, decode_fits
from ardvc.formats.ia import IAFile, decode_ia
from ardvc.formats.monitor import MonitorFile, decode_monitor
from ardvc.formats.paths import (
    REDUCTION_MODIFIERS,
    REDUCTION_ROOT,
    extension_for,
    split_main_path,
    suffix,
)
from ardvc.formats.peakcenter import PeakCenterFile, decode_peakcenter
from ardvc.formats.rawdata import RawData
from ardvc.formats.references import ReferencesFile, decode_references
from ardvc.formats.schema import convert
from ardvc.formats.spectrometer_file import SpectrometerFile, is_spectrometer_path
from ardvc.formats.tags import TagFile

SPECTROMETER = "spectrometer"
"""Pseudo-modifier of the ``<spec_sha>.json`` files at the repository root."""
PLAIN_TEXT = frozenset({"logs"})
"""Modifiers whose files are stored but not decoded."""

DataFile = (
    AnalysisFile
    | RawData
    | FitsFile
    | ReferencesFile
    | TagFile
    | PeakCenterFile
    | ExtractionFile
    | MonitorFile
    | IAFile
    | SpectrometerFile
)
Decoder = Callable[..., Any]


def _struct(type_: type[Any]) -> Decoder:
    def decode(obj: Any, *, path: str, repo: str | None = None, commit: str | None = None) -> Any:
        return convert(obj, type_, path=path, repo=repo, commit=commit)

    return decode


@dataclass(frozen=True, slots=True)
class KindSpec:
    """How one file kind is decoded and what it decodes to."""

    modifier: str | None
    result: type[Any] | Any
    decode: Decoder


KINDS: dict[str | None, KindSpec] = {
    spec.modifier: spec
    for spec in (
        KindSpec(None, AnalysisFile, _struct(AnalysisFile)),
        KindSpec(".data", RawData, _struct(RawData)),
        KindSpec("intercepts", FitsFile, decode_fits),
        KindSpec("baselines", FitsFile, decode_fits),
        KindSpec("blanks", ReferencesFile, decode_references),
        KindSpec("icfactors", ReferencesFile, decode_references),
        KindSpec("tags", TagFile, _struct(TagFile)),
        KindSpec("peakcenter", PeakCenterFile, decode_peakcenter),
        KindSpec("extraction", ExtractionFile, _struct(ExtractionFile)),
        KindSpec("monitor", MonitorFile, decode_monitor),
        KindSpec("ia", IAFile, decode_ia),
        KindSpec(SPECTROMETER, SpectrometerFile, _struct(SpectrometerFile)),
    )
}


# fmt: off
@overload
def decode_file(modifier: None, raw: bytes, *, path: str, repo: str | None = ..., commit: str | None = ...) -> AnalysisFile: ...  # noqa: E501
@overload
def decode_file(modifier: Literal[".data"], raw: bytes, *, path: str, repo: str | None = ..., commit: str | None = ...) -> RawData: ...  # noqa: E501
@overload
def decode_file(modifier: Literal["intercepts", "baselines"], raw: bytes, *, path: str, repo: str | None = ..., commit: str | None = ...) -> FitsFile: ...  # noqa: E501
@overload
def decode_file(modifier: Literal["blanks", "icfactors"], raw: bytes, *, path: str, repo: str | None = ..., commit: str | None = ...) -> ReferencesFile: ...  # noqa: E501
@overload
def decode_file(modifier: Literal["tags"], raw: bytes, *, path: str, repo: str | None = ..., commit: str | None = ...) -> TagFile: ...  # noqa: E501
@overload
def decode_file(modifier: Literal["peakcenter"], raw: bytes, *, path: str, repo: str | None = ..., commit: str | None = ...) -> PeakCenterFile: ...  # noqa: E501
@overload
def decode_file(modifier: Literal["extraction"], raw: bytes, *, path: str, repo: str | None = ..., commit: str | None = ...) -> ExtractionFile: ...  # noqa: E501
@overload
def decode_file(modifier: Literal["monitor"], raw: bytes, *, path: str, repo: str | None = ..., commit: str | None = ...) -> MonitorFile: ...  # noqa: E501
@overload
def decode_file(modifier: Literal["ia"], raw: bytes, *, path: str, repo: str | None = ..., commit: str | None = ...) -> IAFile: ...  # noqa: E501
@overload
def decode_file(modifier: Literal["spectrometer"], raw: bytes, *, path: str, repo: str | None = ..., commit: str | None = ...) -> SpectrometerFile: ...  # noqa: E501
@overload
def decode_file(modifier: str | None, raw: bytes, *, path: str, repo: str | None = ..., commit: str | None = ...) -> DataFile: ...  # noqa: E501
# fmt: on


def decode_file(
    modifier: str | None,
    raw: bytes,
    *,
    path: str,
    repo: str | None = None,
    commit: str | None = None,
) -> DataFile:
    """Decode one file of a data repository; CorruptFileError names repo/commit/path."""
    spec = KINDS.get(modifier)
    if spec is None:
        if modifier in PLAIN_TEXT:
            raise UsageError(f"{path}: {modifier} files are plain text and are not decoded")
        raise UsageError(f"{path}: no schema for file kind {modifier!r}")
    obj = jsonio.loads(raw, path=path, repo=repo, commit=commit)
    result: DataFile = spec.decode(obj, path=path, repo=repo, commit=commit)
    return result


@dataclass(frozen=True, slots=True)
class PathKind:
    """What a repository-relative path holds: its modifier (``None`` = main file) and
    whether ardvc decodes it (logs are kept as text)."""

    modifier: str | None
    decoded: bool = True

    @property
    def label(self) -> str:
        return "main" if self.modifier is None else self.modifier


def classify_path(path: str) -> PathKind | None:
    """The kind of a file in a data repository, or ``None`` for anything else
    (``README.md``, ``csv/…``, unknown directories, misnamed files)."""
    if is_spectrometer_path(path):
        return PathKind(SPECTROMETER)
    parts = path.split("/")
    if len(parts) == 2:
        return PathKind(None) if split_main_path(path) is not None else None
    if len(parts) == 4 and parts[0] == REDUCTION_ROOT and parts[2] in REDUCTION_MODIFIERS:
        parts = parts[1:]
    if len(parts) != 3 or parts[0] in {REDUCTION_ROOT, "csv"} or parts[0].startswith("."):
        return None
    modifier, name = parts[1], parts[2]
    if modifier == SPECTROMETER or (modifier not in KINDS and modifier not in PLAIN_TEXT):
        return None
    if not name.endswith(suffix(modifier) + extension_for(modifier)):
        return None
    return PathKind(modifier, decoded=modifier not in PLAIN_TEXT)
