"""Peak centre ``peakcenter/<tail>.peak.json`` (pychron-format.md §5.8).

Records where the magnet put the reference peak before the run. Current files hold one
object per detector next to a few scalar keys; the legacy form keeps one scan flat at the
top level (``{"fmt", "data", "center_dac", …}``). Values are null for detectors that saw no
peak, and IR998 ``657/peakcenter/62-12A.peak.json`` is an empty ``{}``; both load.
"""

from __future__ import annotations

from typing import Any

from msgspec import field

from ardvc.errors import NotFoundError
from ardvc.formats.blobs import DEFAULT_FORMAT, FloatArray, decode_pairs
from ardvc.formats.schema import FileStruct, convert, key_path, require_object, split_keyed

DEFAULT_INTERPOLATION = "cubic"


class PeakScan(FileStruct, kw_only=True):
    """One detector's scan: the dac/signal at low, centre and high, and the points."""

    low_dac: float | None = None
    center_dac: float | None = None
    high_dac: float | None = None
    low_signal: float | None = None
    center_signal: float | None = None
    high_signal: float | None = None
    resolution: float | None = None
    low_resolving_power: float | None = None
    high_resolving_power: float | None = None
    points: str | None = None


class PeakCenterFile(FileStruct, kw_only=True):
    """``.peak.json``: per-detector scans (``detectors``) or, legacy, one flat scan."""

    fmt: str = DEFAULT_FORMAT
    reference_detector: str | None = None
    reference_isotope: str | None = None
    interpolation: str | None = None
    detectors: dict[str, PeakScan] = field(default_factory=dict)
    # legacy flat form
    data: str | None = None
    low_dac: float | None = None
    center_dac: float | None = None
    high_dac: float | None = None
    low_signal: float | None = None
    center_signal: float | None = None
    high_signal: float | None = None
    resolution: float | None = None

    @property
    def interpolation_kind(self) -> str:
        """Missing ``interpolation`` means cubic."""
        return self.interpolation or DEFAULT_INTERPOLATION

    @property
    def is_legacy(self) -> bool:
        return self.data is not None and not self.detectors

    @property
    def is_empty(self) -> bool:
        return not self.detectors and self.data is None and self.center_dac is None

    def scan(self, detector: str | None = None) -> PeakScan:
        """The scan of ``detector`` (default: the reference detector, or the legacy scan)."""
        if self.is_legacy:
            return PeakScan(
                low_dac=self.low_dac,
                center_dac=self.center_dac,
                high_dac=self.high_dac,
                low_signal=self.low_signal,
                center_signal=self.center_signal,
                high_signal=self.high_signal,
                resolution=self.resolution,
                points=self.data,
            )
        key = detector or self.reference_detector
        if key is None or key not in self.detectors:
            raise NotFoundError(f"no peak-centre scan for detector {key!r}")
        return self.detectors[key]

    def points(self, detector: str | None = None) -> tuple[FloatArray, FloatArray]:
        """``(dac, signal)`` of a scan; empty arrays when no points were stored."""
        return decode_pairs(self.scan(detector).points or "", self.fmt)


def decode_peakcenter(
    obj: Any, *, path: str, repo: str | None = None, commit: str | None = None
) -> PeakCenterFile:
    """Split detector objects from the scalar keys, then validate each part."""
    top = require_object(obj, path=path, repo=repo, commit=commit)
    raw_scans, scalars = split_keyed(top)
    scans = {
        det: convert(value, PeakScan, path=path, repo=repo, commit=commit, at=key_path(det))
        for det, value in raw_scans.items()
    }
    head = convert(scalars, PeakCenterFile, path=path, repo=repo, commit=commit)
    head.detectors = scans
    return head
