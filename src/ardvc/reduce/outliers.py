"""Pychron's iterative n-σ outlier filter (reduction-math.md §2), as masks over a batch.

Per iteration every series is refitted on its kept points, the filter scale s is taken
from that fit (SEF = sqrt(SSR/(n − q)), or the SD of the kept y when
``use_standard_deviation_filtering``; for the mean both are the SD with ddof = 1), and
**every** point — kept or already excluded — with |y − ŷ| ≥ std_devs·s joins the excluded
set. The set only grows, so the loop is a monotone mask update. With constant data s = 0
and ``0 ≥ 0`` excludes everything; that is Pychron's behaviour and is kept.

A series whose kept points no longer over-determine the model (n ≤ q) gets no new
exclusions in that iteration: s is 0/0 there, and Pychron's comparison with NaN is false.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ardvc.reduce.ols import BoolArray, FloatArray, IntArray, PolyFit, kept_std, poly_fit


@dataclass(frozen=True, slots=True)
class FilterParams:
    """Per-series outlier settings of one batch (arrays of length M)."""

    iterations: IntArray
    """Iterations to run; 0 where filtering is off."""
    std_devs: FloatArray
    use_sd: BoolArray


@dataclass(frozen=True, slots=True)
class FilteredFit:
    fit: PolyFit
    kept: BoolArray
    """(M, P) points the final fit used."""
    outliers: BoolArray
    """(M, P) points the filter flagged (may include user-excluded points, as Pychron's
    ``outlier_excluded`` does)."""


def filter_and_fit(
    u: FloatArray,
    y: FloatArray,
    usable: BoolArray,
    present: BoolArray,
    q: int,
    params: FilterParams,
) -> FilteredFit:
    """Run the filter on M series of one model size q, then the final fit.

    ``usable`` are the points a fit may use before filtering (present, finite, not
    user-excluded); ``present`` are all points the filter tests.
    """
    kept = usable.copy()
    outliers = np.zeros_like(usable)
    max_iter = int(params.iterations.max(initial=0))
    for it in range(max_iter):
        active = (params.iterations > it) & (kept.sum(axis=1) > q)
        if not active.any():
            break
        every = bool(active.all())
        rows = slice(None) if every else np.flatnonzero(active)
        sub_kept, sub_y = kept[rows], y[rows]
        fit = poly_fit(u[rows], sub_y, sub_kept, q)
        s = fit.sef()
        use_sd = params.use_sd[rows]
        if use_sd.any():
            s = np.where(use_sd, kept_std(sub_y, sub_kept), s)
        bound = params.std_devs[rows] * s
        with np.errstate(invalid="ignore"):
            flag = present[rows] & (np.abs(fit.resid) >= bound[:, None])
        outliers[rows] |= flag
        kept[rows] = sub_kept & ~flag
    return FilteredFit(poly_fit(u, y, kept, q), kept, outliers)
