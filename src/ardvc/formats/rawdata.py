"""Raw signal data ``.data/<tail>.dat.json`` (pychron-format.md §5.2).

The only place the measured time series live: every intercept and baseline can be refitted
from these blobs. Blobs stay base64 text until asked for, so listing many files is cheap;
``signal()``/``baseline()``/``sniff()`` decode to float64 NumPy arrays.
"""

from __future__ import annotations

from msgspec import field

from ardvc.errors import NotFoundError
from ardvc.formats.blobs import DEFAULT_FORMAT, FloatArray, decode_pairs
from ardvc.formats.schema import FileStruct


class IsotopeBlob(FileStruct, kw_only=True):
    """A signal or sniff series: keyed by isotope key and detector."""

    isotope: str
    detector: str
    blob: str = ""


class DetectorBlob(FileStruct, kw_only=True):
    """A baseline series: keyed by detector only."""

    detector: str
    blob: str = ""


class RawData(FileStruct, kw_only=True):
    """``.dat.json``: base64 ``(t, y)`` float32 pairs, byte order from ``format``."""

    signals: list[IsotopeBlob] = field(default_factory=list)
    baselines: list[DetectorBlob] = field(default_factory=list)
    sniffs: list[IsotopeBlob] = field(default_factory=list)
    format: str = DEFAULT_FORMAT
    encoding: str = "base64"
    commit: str | None = None
    data_collection_commit: str | None = None
    reviewed: bool | None = None

    def __post_init__(self) -> None:
        if self.encoding != "base64":
            raise ValueError(f"unsupported blob encoding {self.encoding!r} (expected base64)")
        if self.format.lstrip("<>!=@") != "ff":
            raise ValueError(f"unsupported blob format {self.format!r} (expected float32 pairs)")

    @property
    def software_commit(self) -> str | None:
        """The collecting software's commit, under either key."""
        return self.data_collection_commit or self.commit

    def decode(self, blob: str) -> tuple[FloatArray, FloatArray]:
        """``(t, y)`` of one blob of this file; an empty blob gives empty arrays."""
        return decode_pairs(blob, self.format)

    def signal(self, isotope: str, detector: str | None = None) -> tuple[FloatArray, FloatArray]:
        return self.decode(_find(self.signals, isotope, detector, "signal").blob)

    def sniff(self, isotope: str, detector: str | None = None) -> tuple[FloatArray, FloatArray]:
        return self.decode(_find(self.sniffs, isotope, detector, "sniff").blob)

    def baseline(self, detector: str) -> tuple[FloatArray, FloatArray]:
        for entry in self.baselines:
            if entry.detector == detector:
                return self.decode(entry.blob)
        raise NotFoundError(f"no baseline series for detector {detector!r} in the raw data")

    def isotope_keys(self) -> list[str]:
        return [s.isotope for s in self.signals]


def _find(entries: list[IsotopeBlob], isotope: str, detector: str | None, what: str) -> IsotopeBlob:
    for entry in entries:
        if entry.isotope == isotope and (detector is None or entry.detector == detector):
            return entry
    on = f" on {detector}" if detector else ""
    raise NotFoundError(f"no {what} series for {isotope}{on} in the raw data")
