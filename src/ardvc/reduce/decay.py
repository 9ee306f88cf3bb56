"""Decay of 37Ar and 39Ar since irradiation, and the chlorine-36 decay time.

McDougall & Harrison (1999) eq. 3.22 over the irradiation segments (reduction-math.md §5):
``DF = Σ P·T / Σ P·(1 − e^(−λT)) / (λ·e^(λt))`` with T the segment length and t the time
from the segment's start (Pychron's stored results) or end to the analysis, in days.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
SECONDS_PER_DAY = 86400.0
Segment = tuple[float, datetime, datetime]


def _days(delta_seconds: float) -> float:
    return delta_seconds / SECONDS_PER_DAY


def segment_arrays(
    run_times: Sequence[datetime],
    segments: Sequence[Sequence[Segment]],
    *,
    decay_from: Literal["start", "end"] = "start",
) -> tuple[Array, Array, Array]:
    """(power, duration, elapsed) as (N, S) arrays, padded with power 0.

    Differences are naive datetime differences with microseconds, as Pychron computes them.
    """
    n = len(run_times)
    width = max((len(s) for s in segments), default=0) or 1
    power = np.zeros((n, width))
    duration = np.zeros((n, width))
    elapsed = np.zeros((n, width))
    for i, (run, segs) in enumerate(zip(run_times, segments, strict=True)):
        for j, (p, start, end) in enumerate(segs):
            power[i, j] = p
            duration[i, j] = _days((end - start).total_seconds())
            origin = start if decay_from == "start" else end
            elapsed[i, j] = _days((run - origin).total_seconds())
    return power, duration, elapsed


_libm_exp = np.frompyfunc(math.exp, 1, 1)


def _exp(x: Array) -> Array:
    """``math.exp`` element-wise: for 39Ar, ``1 − e^(−λT)`` cancels ~6 digits, so the one-ulp
    differences between NumPy's vectorised exp and the C library's (which Pychron uses)
    would show at 1e-11 in the age. Segments are few; this is not a hot path."""
    return np.asarray(_libm_exp(x), dtype=np.float64)


def decay_factors(power: Array, duration: Array, elapsed: Array, lam: float) -> Array:
    """DF for each row; NaN where there is no irradiation (Σ P·T = 0)."""
    numerator = np.sum(power * duration, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = power * (1.0 - _exp(-lam * duration)) / (lam * _exp(lam * elapsed))
        denominator = np.sum(np.where(power != 0, terms, 0.0), axis=-1)
        factor = numerator / denominator
    return np.where(numerator > 0, factor, np.nan)


def epoch_seconds(moment: datetime, timezone: str | None) -> float:
    """Whole seconds since the epoch of a naive lab timestamp.

    With a zone this is Pychron's ``time.mktime(dt.timetuple())`` evaluated in the lab's
    zone (DST-aware, microseconds dropped); without one, naive seconds (no DST).
    """
    whole = moment.replace(microsecond=0)
    if timezone is None:
        return (whole - datetime(1970, 1, 1)).total_seconds()
    return whole.replace(tzinfo=ZoneInfo(timezone)).timestamp()


def chlorine_decay_days(run: datetime, irradiation_start: datetime, timezone: str | None) -> float:
    """Days from the first segment's start to the run, for the 36Cl term (§7)."""
    return _days(epoch_seconds(run, timezone) - epoch_seconds(irradiation_start, timezone))
