"""How far an intercept can move because its data were stored as float32.

Pychron fits at collection time from double-precision data, then packs (t, y) into
float32 blobs. A refit from the blob therefore sees every yᵢ and tᵢ rounded by at most half
a float32 ulp. The intercept is linear in y, β₀ = Σ cᵢ·yᵢ over the kept points
(cᵢ = aᵀφ(uᵢ), :attr:`FitBatch.hat0`), and moves by ŷ'(xᵢ)·δtᵢ to first order in t, so

    |Δβ₀| ≤ Σ |cᵢ|·(½ulp(yᵢ) + |ŷ'(xᵢ)|·½ulp(tᵢ))

bounds the collection-time vs refit difference when both used the same points. Refits of
reduction-time values (made from the blobs themselves) agree to ~1e-12 instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ardvc.reduce.fitbatch import FitBatch
from ardvc.reduce.ols import FloatArray, horner
from ardvc.reduce.series import SeriesLike, SeriesSet, blocks


def _half_ulp32(v: FloatArray) -> FloatArray:
    result: FloatArray = np.spacing(np.abs(v).astype(np.float32)).astype(np.float64) / 2
    return result


def float32_bound(
    batch: FitBatch, t: SeriesLike, y: SeriesLike, offsets: Sequence[float] | float = 0.0
) -> FloatArray:
    """First-order worst-case |Δ intercept| from float32 rounding of each series' (t, y).

    ``t``/``y``/``offsets`` are what :func:`fit_batch` was given (offsets = the specs'
    ``time_zero_offset``). NaN for exponential fits and series without kept points.
    """
    series = SeriesSet(t, y)
    count = len(series)
    off = np.broadcast_to(np.asarray(offsets, dtype=np.float64), (count,))
    out = np.full(count, np.nan)
    for idx in blocks(np.arange(count, dtype=np.int64), series.lengths):
        tb, yb, present, _ = series.block(idx)
        used = min(tb.shape[1], batch.kept.shape[1])
        kept = np.zeros_like(present)
        kept[:, :used] = batch.kept[idx, :used] & present[:, :used]
        x = np.where(kept, tb - off[idx, None], 0.0)
        u = (x - batch.centre[idx, None]) / batch.scale[idx, None]
        weights = horner(np.nan_to_num(batch.hat0[idx], nan=0.0), u)
        coef = np.nan_to_num(batch.coef[idx], nan=0.0)
        dcoef = coef[:, 1:] * np.arange(1, coef.shape[1])
        slope = horner(dcoef, u) / batch.scale[idx, None]
        yk = np.where(kept, yb, 0.0)
        tk = np.where(kept, tb, 0.0)
        term = np.abs(weights) * (_half_ulp32(yk) + np.abs(slope) * _half_ulp32(tk))
        bound = np.where(kept, term, 0.0).sum(axis=1)
        usable = np.isfinite(batch.hat0[idx, 0]) & kept.any(axis=1)
        out[idx] = np.where(usable, bound, np.nan)
    return out
