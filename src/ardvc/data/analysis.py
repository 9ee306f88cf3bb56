"""The ``Analysis`` record: one analysis with all its modifier files, at one commit.

Files are located once (the main file decides the shard; ``tags``/``ia`` are looked up under
``reduction/`` first) and decoded on first use. Everything is read from git objects at the
pinned commit, so an ``Analysis`` is a consistent snapshot even while others commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pygit2

from ardvc.formats.analysis_file import AnalysisFile
from ardvc.formats.extraction import ExtractionFile
from ardvc.formats.fits import FitsFile
from ardvc.formats.kinds import decode_file
from ardvc.formats.monitor import MonitorFile
from ardvc.formats.paths import MODIFIERS, REDUCTION_MODIFIERS, FileAddress
from ardvc.formats.peakcenter import PeakCenterFile
from ardvc.formats.rawdata import RawData
from ardvc.formats.references import ReferencesFile
from ardvc.formats.tags import DEFAULT_TAG, TagFile
from ardvc.gitstore.objects import blob_at, lookup

ANALYSIS_MODIFIERS: tuple[str, ...] = tuple(
    m for m in MODIFIERS if m not in {"ia", "cosmogenic", "productions"}
)
"""Per-analysis files; interpreted ages belong to a sample, and Pychron's cosmogenic and
productions writers are broken (format §12 #20), so neither is part of an analysis."""


@dataclass(frozen=True, slots=True)
class StoredFile:
    """Where one file of an analysis is in git: path and blob id at the pinned commit."""

    modifier: str | None
    path: str
    blob_id: str


def locate_files(
    raw: pygit2.Repository, tree: pygit2.Tree, shard: str, tail: str
) -> dict[str | None, StoredFile]:
    """The existing files of the analysis whose main file is ``<shard>/<tail>.json``."""
    found: dict[str | None, StoredFile] = {}
    main = FileAddress(shard, tail).path
    obj = lookup(tree, main)
    if obj is not None:
        found[None] = StoredFile(None, main, str(obj.id))
    for modifier in ANALYSIS_MODIFIERS:
        candidates = [FileAddress(shard, tail, modifier)]
        if modifier in REDUCTION_MODIFIERS:
            candidates.insert(0, FileAddress(shard, tail, modifier, reduction=True))
        for address in candidates:
            obj = lookup(tree, address.path)
            if isinstance(obj, pygit2.Blob):
                found[modifier] = StoredFile(modifier, address.path, str(obj.id))
                break
    return found


@dataclass
class Analysis:
    """One analysis of one data repository at one commit."""

    repo: str
    commit: str
    name: str
    files: dict[str | None, StoredFile]
    _raw: pygit2.Repository = field(repr=False)
    _decoded: dict[str | None, Any] = field(default_factory=dict, repr=False)

    # --- files --------------------------------------------------------------------------

    def has(self, modifier: str | None) -> bool:
        return modifier in self.files

    def path(self, modifier: str | None = None) -> str | None:
        stored = self.files.get(modifier)
        return stored.path if stored else None

    def raw_bytes(self, modifier: str | None = None) -> bytes:
        stored = self.files[modifier]
        return blob_at(self._raw, stored.blob_id).data

    def decoded(self, modifier: str | None) -> Any:
        """The decoded file of ``modifier`` (``None`` when the analysis has none).

        Decoding errors are :class:`~ardvc.errors.CorruptFileError` naming repository,
        commit and path.
        """
        if modifier not in self.files:
            return None
        if modifier not in self._decoded:
            stored = self.files[modifier]
            self._decoded[modifier] = decode_file(
                modifier,
                self.raw_bytes(modifier),
                path=stored.path,
                repo=self.repo,
                commit=self.commit,
            )
        return self._decoded[modifier]

    def load_all(self) -> Analysis:
        """Decode every file now (surfacing any corrupt one) and return ``self``."""
        for modifier in self.files:
            if modifier != "logs":
                self.decoded(modifier)
        return self

    # --- typed views --------------------------------------------------------------------

    @cached_property
    def main(self) -> AnalysisFile:
        result: AnalysisFile = self.decoded(None)
        return result

    @property
    def raw_data(self) -> RawData | None:
        result: RawData | None = self.decoded(".data")
        return result

    @property
    def intercepts(self) -> FitsFile | None:
        result: FitsFile | None = self.decoded("intercepts")
        return result

    @property
    def baselines(self) -> FitsFile | None:
        result: FitsFile | None = self.decoded("baselines")
        return result

    @property
    def blanks(self) -> ReferencesFile | None:
        result: ReferencesFile | None = self.decoded("blanks")
        return result

    @property
    def icfactors(self) -> ReferencesFile | None:
        result: ReferencesFile | None = self.decoded("icfactors")
        return result

    @property
    def tag_file(self) -> TagFile | None:
        result: TagFile | None = self.decoded("tags")
        return result

    @property
    def peakcenter(self) -> PeakCenterFile | None:
        result: PeakCenterFile | None = self.decoded("peakcenter")
        return result

    @property
    def extraction(self) -> ExtractionFile | None:
        result: ExtractionFile | None = self.decoded("extraction")
        return result

    @property
    def monitor(self) -> MonitorFile | None:
        result: MonitorFile | None = self.decoded("monitor")
        return result

    @property
    def log_text(self) -> str | None:
        return self.raw_bytes("logs").decode("utf-8", "replace") if self.has("logs") else None

    # --- identity -----------------------------------------------------------------------

    @property
    def record_id(self) -> str:
        return self.main.record_id

    @property
    def uuid(self) -> str | None:
        return self.main.uuid

    @property
    def tag(self) -> str:
        """The analysis tag from git; no tag file means ``ok`` (format §10 step 4)."""
        tag = self.tag_file
        return tag.name if tag is not None else DEFAULT_TAG

    def isotope_detectors(self) -> Iterator[tuple[str, str]]:
        """``(isotope key, detector)`` pairs in the main file's order."""
        for key, info in self.main.isotopes.items():
            yield key, info.detector
