"""The peak-centre file of a run (pychron-format.md §5.8) from its magnet scans.

Per detector: the centre, the two flank points where the signal falls to
:data:`FLANK_FRACTION` of the centre signal (real Cornudas files put ``low_signal`` and
``high_signal`` at ~74 % of ``center_signal``), the resolution ``centre / flank width``, the
resolving power of each edge (``centre / edge width`` between 5 % and 95 % of the peak
height), and the scan itself as a ``>ff`` blob. A scan without a peak keeps its points and
nulls the values, as Pychron writes for a detector that saw no peak. Detectors without a
scan (the ion counter) get no entry: Pychron writes one per scan result only (Cornudas has
60 files without ``AX``), and its reader unpacks every entry's ``points``, so a null there
would break loading the analysis.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ardvc.formats.blobs import encode_pairs
from ardvc.persist.recording import FloatArray, Recording

FLANK_FRACTION = 0.75
SCAN_KEYS = (
    "center_dac", "center_signal", "high_dac", "high_resolving_power", "high_signal",
    "low_dac", "low_resolving_power", "low_signal", "points", "resolution",
)  # fmt: skip


def _crossing(x: FloatArray, y: FloatArray, level: float) -> float | None:
    """First x where ``y`` (increasing part) reaches ``level``, linearly interpolated."""
    above = np.flatnonzero(y >= level)
    if above.size == 0 or above[0] == 0:
        return None
    i = int(above[0])
    x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
    return float(x0 + (level - y0) * (x1 - x0) / (y1 - y0)) if y1 != y0 else float(x1)


def _edges(dac: FloatArray, signal: FloatArray, fraction: float) -> tuple[float, float] | None:
    top = float(signal.max())
    if not np.isfinite(top) or top <= 0:
        return None
    peak = int(np.argmax(signal))
    low = _crossing(dac[: peak + 1], signal[: peak + 1], fraction * top)
    high = _crossing(dac[peak:][::-1], signal[peak:][::-1], fraction * top)
    return None if low is None or high is None else (low, high)


def scan_entry(dac: FloatArray, signal: FloatArray, center_dac: float) -> dict[str, Any]:
    entry: dict[str, Any] = dict.fromkeys(SCAN_KEYS)
    entry["points"] = encode_pairs(dac, signal)
    entry["center_dac"] = center_dac
    entry["center_signal"] = float(np.interp(center_dac, dac, signal))
    flanks = _edges(dac, signal, FLANK_FRACTION)
    if flanks is not None:
        low, high = flanks
        entry.update(low_dac=low, high_dac=high)
        entry["low_signal"] = float(np.interp(low, dac, signal))
        entry["high_signal"] = float(np.interp(high, dac, signal))
        if high > low:
            entry["resolution"] = center_dac / (high - low)
    inner, outer = _edges(dac, signal, 0.95), _edges(dac, signal, 0.05)
    if inner is not None and outer is not None:
        if inner[0] > outer[0]:
            entry["low_resolving_power"] = center_dac / (inner[0] - outer[0])
        if outer[1] > inner[1]:
            entry["high_resolving_power"] = center_dac / (outer[1] - inner[1])
    return entry


def peakcenter_file(rec: Recording) -> dict[str, Any]:
    pc = rec.peak_center
    assert pc is not None
    out: dict[str, Any] = {
        "fmt": ">ff",
        "interpolation": pc.interpolation,
        "reference_detector": pc.reference_detector,
        "reference_isotope": pc.reference_isotope,
    }
    for det in rec.metadata.detectors:
        scan = pc.scans.get(det)
        if scan is not None:
            out[det] = scan_entry(*scan, pc.center_dac)
    return out
