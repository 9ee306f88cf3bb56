"""The result of :func:`~ardvc.reduce.regression.fit_batch`: arrays over N series.

Failed series are flagged in ``status`` rather than raised; :func:`compat_zero` gives the
batch as Pychron would have stored it (NaN/inf → 0).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ardvc.reduce.fitspec import STATUS_REASONS, FitKind, FitStatus
from ardvc.reduce.ols import BoolArray, FloatArray, IntArray, horner

MAX_COEF = 5
"""Coefficient slots per series: up to quartic, or (a, b, c) of the exponential."""
StrArray = npt.NDArray[np.str_]


@dataclass(frozen=True)
class FitBatch:
    """Intercepts at x = 0 of N series; per-point masks are (N, W), W the longest series."""

    value: FloatArray
    error: FloatArray
    n: IntArray
    """All points of the series (Pychron's ``n``)."""
    fn: IntArray
    """Points the final fit used (Pychron's ``fn``)."""
    outliers: BoolArray
    """Points the filter flagged (Pychron's ``outlier_excluded``)."""
    excluded: BoolArray
    """User-excluded ∪ outliers."""
    present: BoolArray
    kind_used: StrArray
    """The model actually fitted (``auto`` resolved; ``weighted mean`` → ``linear``)."""
    status: npt.NDArray[np.int8]
    sef: FloatArray
    """Standard error of the final fit (SD of the kept points for the mean)."""
    rsquared_adj: FloatArray
    coef: FloatArray
    """(N, 5): polynomial coefficients in u = (x − centre)/scale, or (a, b, c)."""
    centre: FloatArray
    scale: FloatArray
    hat0: FloatArray
    """(N, 5) a = (ΦᵀΦ)⁻¹φ(u₀): the intercept is Σ (aᵀφ(uᵢ))·yᵢ over the kept points
    (polynomial fits; NaN for exponential)."""

    def __len__(self) -> int:
        return len(self.value)

    @property
    def ok(self) -> BoolArray:
        result: BoolArray = self.status == FitStatus.OK
        return result

    @property
    def kept(self) -> BoolArray:
        result: BoolArray = self.present & ~self.excluded
        return result

    def reason(self, i: int) -> str:
        """Why series ``i`` is flagged ("" when it is not)."""
        return STATUS_REASONS[FitStatus(int(self.status[i]))]

    def outlier_indices(self, i: int) -> list[int]:
        return [int(j) for j in np.flatnonzero(self.outliers[i])]

    def excluded_indices(self, i: int) -> list[int]:
        return [int(j) for j in np.flatnonzero(self.excluded[i] & self.present[i])]

    def predict(self, x: npt.ArrayLike) -> FloatArray:
        """Each series' model at abscissae ``x`` (already shifted by the offset): (N, M)."""
        xs = np.broadcast_to(np.asarray(x, dtype=np.float64), (len(self), np.size(x)))
        u = (xs - self.centre[:, None]) / self.scale[:, None]
        out = horner(np.nan_to_num(self.coef), u)
        exp = self.kind_used == FitKind.EXPONENTIAL.value
        if exp.any():
            a, b, c = (self.coef[exp, k][:, None] for k in range(3))
            out[exp] = a * np.exp(-b * xs[exp]) + c
        return out


def compat_zero(batch: FitBatch) -> FitBatch:
    """The batch as Pychron stores it: non-finite values and errors become 0."""
    return dataclasses.replace(
        batch,
        value=np.where(np.isfinite(batch.value), batch.value, 0.0),
        error=np.where(np.isfinite(batch.error), batch.error, 0.0),
    )
