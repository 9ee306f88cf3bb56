"""One run being measured: everything acquisition hands over until ``end_run``.

A :class:`Recording` only buffers (in memory) and checks what it is given; nothing touches
git until the persister commits the whole run, so a run that fails or is killed mid-way
leaves nothing partial in a repository. Signals may be streamed in chunks, interleaved
across isotopes, as multicollection produces them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ardvc.errors import UsageError
from ardvc.persist.metadata import RunMetadata

FloatArray = npt.NDArray[np.float64]
State = Literal["recording", "ending", "committed", "aborted"]
ARTIFACT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}")
Pair = tuple[float, float]

EXTRACTION_FIELDS = {
    "extract_device", "extract_value", "extract_units", "extract_duration",
    "cleanup_duration", "pre_cleanup_duration", "post_cleanup_duration", "weight", "tray",
    "load_name", "load_holder", "pattern", "beam_diameter", "ramp_duration", "ramp_rate",
    "cryo_temperature", "light_value", "positions", "snapshots", "videos", "grain_polygons",
    "extraction_context", "measured_response", "requested_output", "setpoint_stream",
}  # fmt: skip
"""Keyword arguments of :meth:`Recording.save_extraction` (pychron-format.md §5.7);
the three response streams are ``(t, value)`` array pairs."""


def _series(what: str, t: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    ta = np.asarray(t, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    if ta.ndim != 1 or ta.shape != ya.shape:
        raise UsageError(f"{what}: t and y must be 1-D arrays of the same length")
    if not (np.isfinite(ta).all() and np.isfinite(ya).all()):
        raise UsageError(f"{what}: NaN or infinite readings cannot be stored")
    if ta.size > 1 and np.any(np.diff(ta) < 0):
        raise UsageError(f"{what}: times must not decrease")
    return ta, ya


@dataclass
class _Stream:
    """Chunks of one series, joined on demand."""

    t: list[FloatArray] = field(default_factory=list)
    y: list[FloatArray] = field(default_factory=list)

    def append(self, what: str, t: FloatArray, y: FloatArray) -> None:
        if self.t and t.size and self.t[-1].size and t[0] < self.t[-1][-1]:
            raise UsageError(f"{what}: a chunk starts before the previous one ended")
        self.t.append(t)
        self.y.append(y)

    def arrays(self) -> tuple[FloatArray, FloatArray]:
        if not self.t:
            empty = np.empty(0, dtype=np.float64)
            return empty, empty.copy()
        return np.concatenate(self.t), np.concatenate(self.y)

    @property
    def size(self) -> int:
        return sum(a.size for a in self.t)


@dataclass(frozen=True)
class PeakCenterScan:
    """The magnet scan before the run: ``{detector: (dac, signal)}`` and the centre found."""

    reference_detector: str
    reference_isotope: str
    scans: Mapping[str, tuple[FloatArray, FloatArray]]
    center_dac: float
    interpolation: str = "cubic"


@dataclass(frozen=True)
class Defaults:
    """Collection-time blanks (per isotope) and IC factors (per detector), ``(value, 1σ)``,
    and the run ID of the blank they came from (``<BLANKS> preceding <runid>``)."""

    blanks: Mapping[str, Pair]
    icfactors: Mapping[str, Pair]
    previous_blank: str | None = None


class Recording:
    """The handle :meth:`~ardvc.persist.persister.Persister.begin_run` returns."""

    def __init__(self, metadata: RunMetadata, repository: str, branch: str) -> None:
        self.metadata = metadata
        self.repository = repository
        self.branch = branch
        self.state: State = "recording"
        self.extraction: dict[str, Any] | None = None
        self.signals: dict[tuple[str, str], _Stream] = {}
        self.sniffs: dict[tuple[str, str], _Stream] = {}
        self.baselines: dict[str, _Stream] = {}
        self.peak_center: PeakCenterScan | None = None
        self.defaults: Defaults | None = None
        self.artifacts: dict[str, bytes | Path] = {}
        """Attached artifacts by name (content or a file path); see :meth:`attach_artifact`."""
        self.future: Future[Any] | None = None
        """Set by ``Persister.run`` when it ended the run."""

    @property
    def record_id(self) -> str:
        return self.metadata.record_id

    @property
    def uuid(self) -> str:
        return self.metadata.uuid

    def _require_recording(self) -> None:
        if self.state != "recording":
            raise UsageError(f"run {self.record_id} is {self.state}; it takes no more data")

    def _check_isotope(self, isotope: str, detector: str) -> None:
        expected = self.metadata.isotopes.get(isotope)
        if expected is None:
            raise UsageError(f"{self.record_id}: {isotope} is not among the run's isotopes")
        if expected != detector:
            raise UsageError(
                f"{self.record_id}: {isotope} is measured on {expected}, not on {detector}"
            )

    # --- what acquisition calls ----------------------------------------------------------

    def save_extraction(self, **fields: Any) -> None:
        """How the gas was released; see :data:`EXTRACTION_FIELDS`."""
        self._require_recording()
        unknown = sorted(set(fields) - EXTRACTION_FIELDS)
        if unknown:
            raise UsageError(f"{self.record_id}: unknown extraction fields {', '.join(unknown)}")
        for name in ("extract_value", "extract_duration", "cleanup_duration", "weight"):
            value = fields.get(name)
            if value is not None and not (isinstance(value, int | float) and math.isfinite(value)):
                raise UsageError(f"{self.record_id}: {name} must be a finite number")
        for name in ("measured_response", "requested_output", "setpoint_stream"):
            if fields.get(name) is not None:
                t, v = fields[name]
                fields[name] = _series(f"{self.record_id} {name}", t, v)
        self.extraction = dict(fields)

    def add_signals(self, isotope: str, detector: str, t: npt.ArrayLike, y: npt.ArrayLike) -> None:
        """Append readings of one isotope (a chunk of the measurement block)."""
        self._require_recording()
        self._check_isotope(isotope, detector)
        what = f"{self.record_id} {isotope} signal"
        ta, ya = _series(what, t, y)
        self.signals.setdefault((isotope, detector), _Stream()).append(what, ta, ya)

    def add_sniffs(self, isotope: str, detector: str, t: npt.ArrayLike, y: npt.ArrayLike) -> None:
        """Append equilibration readings (the inlet, before time zero's block)."""
        self._require_recording()
        self._check_isotope(isotope, detector)
        what = f"{self.record_id} {isotope} sniff"
        ta, ya = _series(what, t, y)
        self.sniffs.setdefault((isotope, detector), _Stream()).append(what, ta, ya)

    def save_baselines(self, detector: str, t: npt.ArrayLike, y: npt.ArrayLike) -> None:
        """Append baseline readings of one detector (beam deflected)."""
        self._require_recording()
        if detector not in self.metadata.detectors:
            raise UsageError(f"{self.record_id}: no isotope is measured on {detector}")
        what = f"{self.record_id} {detector} baseline"
        ta, ya = _series(what, t, y)
        self.baselines.setdefault(detector, _Stream()).append(what, ta, ya)

    def save_peakcenter(
        self,
        *,
        reference_detector: str,
        reference_isotope: str,
        scans: Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike]],
        center_dac: float,
        interpolation: str = "cubic",
    ) -> None:
        self._require_recording()
        if not math.isfinite(center_dac):
            raise UsageError(f"{self.record_id}: the peak centre must be finite")
        checked = {
            det: _series(f"{self.record_id} peak scan {det}", dac, signal)
            for det, (dac, signal) in scans.items()
        }
        self.peak_center = PeakCenterScan(
            reference_detector, reference_isotope, checked, float(center_dac), interpolation
        )

    def save_defaults(
        self,
        *,
        blanks: Mapping[str, Pair],
        icfactors: Mapping[str, Pair],
        previous_blank: str | None = None,
    ) -> None:
        """The blanks and IC factors the run starts with (Pychron's collection defaults)."""
        self._require_recording()
        for what, values in (("blank", blanks), ("IC factor", icfactors)):
            for key, (value, error) in values.items():
                if not (math.isfinite(value) and math.isfinite(error) and error >= 0):
                    raise UsageError(f"{self.record_id}: {what} of {key} must be finite with σ ≥ 0")
        unknown = sorted(set(blanks) - set(self.metadata.isotopes))
        if unknown:
            raise UsageError(f"{self.record_id}: blanks for unmeasured {', '.join(unknown)}")
        self.defaults = Defaults(dict(blanks), dict(icfactors), previous_blank)

    def attach_artifact(self, name: str, content: bytes | Path) -> None:
        """Attach a file that does not belong in git (a laser snapshot, a video, an
        instrument export) to the analysis: at commit its content goes into the lab's
        cache and a pointer file ``<shard>/artifacts/<tail>.<name>.ardvc`` is committed
        with the analysis. ``content`` is the bytes or the path of a file."""
        self._require_recording()
        if not ARTIFACT_NAME.fullmatch(name) or name.endswith(".ardvc"):
            raise UsageError(
                f"{self.record_id}: artifact name {name!r} must be a plain file name "
                "(letters, digits, '.', '_', '-')"
            )
        if isinstance(content, Path):
            if not content.is_file():
                raise UsageError(f"{self.record_id}: artifact {content} is not a file")
        elif not isinstance(content, bytes):
            raise UsageError(f"{self.record_id}: artifact {name} must be bytes or a Path")
        self.artifacts[name] = content

    # --- what the persister reads ---------------------------------------------------------

    def missing(self) -> list[str]:
        """What a complete run still lacks (signals of an isotope, baselines of a detector)."""
        out = [
            f"{iso} signals" for iso, det in self.metadata.isotopes.items()
            if self.signals.get((iso, det), _Stream()).size == 0
        ]  # fmt: skip
        out += [f"{d} baselines" for d in self.metadata.detectors if d not in self.baselines]
        return out

    def signal_arrays(self) -> Sequence[tuple[str, str, FloatArray, FloatArray]]:
        """(isotope, detector, t, y) in the run's isotope order."""
        rows = []
        for iso, det in self.metadata.isotopes.items():
            stream = self.signals.get((iso, det))
            if stream is not None:
                rows.append((iso, det, *stream.arrays()))
        return rows

    def sniff_arrays(self) -> Sequence[tuple[str, str, FloatArray, FloatArray]]:
        return [(iso, det, *s.arrays()) for (iso, det), s in self.sniffs.items()]

    def baseline_arrays(self) -> Sequence[tuple[str, FloatArray, FloatArray]]:
        return [(det, *self.baselines[det].arrays()) for det in self.metadata.detectors
                if det in self.baselines]  # fmt: skip
