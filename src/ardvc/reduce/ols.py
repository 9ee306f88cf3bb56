"""Batched, masked polynomial least squares: many series of one degree at once.

Each series is fitted in its own centred and scaled abscissa u = (x − centre)/scale, with
u in [−1, 1]. In that basis the normal matrix of a quadratic is condition ~10 instead of
~10¹² for raw times up to 400 s, so the normal equations keep full precision and can be
formed for thousands of series with a few array reductions. Predictions and the intercept
are evaluated in the same basis (x = 0 ↔ u₀ = −centre/scale); the prediction variance
φ(0)ᵀ(ΦᵀΦ)⁻¹φ(0) is basis-independent, so it equals Pychron's [(XᵀX)⁻¹]₀₀ exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

RCOND_LIMIT = 1e-12
"""Reciprocal condition (1-norm) of the scaled normal matrix below which a series is
rank-deficient. Well-posed fits in the scaled basis are above 1e-5 even for quartics."""


@dataclass(frozen=True, slots=True)
class ScaledAbscissa:
    """u = (x − centre)/scale per series, zero at absent slots."""

    u: FloatArray
    centre: FloatArray
    scale: FloatArray

    @property
    def u0(self) -> FloatArray:
        """The abscissa x = 0 in the scaled basis."""
        result: FloatArray = -self.centre / self.scale
        return result


def scale_abscissa(x: FloatArray, present: BoolArray) -> ScaledAbscissa:
    """Centre on the mean present x and scale by the largest distance from it."""
    n = present.sum(axis=1)
    xs = np.where(present, x, 0.0)
    centre = np.divide(xs.sum(axis=1), n, out=np.zeros(len(n)), where=n > 0)
    dist = np.where(present, np.abs(x - centre[:, None]), 0.0)
    scale = dist.max(axis=1, initial=0.0)
    scale = np.where(scale > 0, scale, 1.0)
    u = np.where(present, (x - centre[:, None]) / scale[:, None], 0.0)
    return ScaledAbscissa(u, centre, scale)


def horner(coef: FloatArray, u: FloatArray) -> FloatArray:
    """Σ coef[:, k]·u^k for every series; ``u`` is (M, P) or (M,)."""
    q = coef.shape[1]
    shape = (-1,) + (1,) * (u.ndim - 1)
    out = np.broadcast_to(coef[:, q - 1].reshape(shape), u.shape).copy()
    for k in range(q - 2, -1, -1):
        out *= u
        out += coef[:, k].reshape(shape)
    return out


@dataclass(frozen=True, slots=True)
class PolyFit:
    """Result of :func:`poly_fit` for M series of q coefficients."""

    coef: FloatArray
    """(M, q) coefficients in the scaled basis; NaN for singular series."""
    inv: FloatArray
    """(M, q, q) inverse normal matrix (UᵀWU)⁻¹ in the scaled basis."""
    resid: FloatArray
    """(M, P) y − ŷ at every slot, kept or not (meaningless at absent slots)."""
    ssr: FloatArray
    """(M,) sum of squared residuals of the kept points."""
    n: IntArray
    """(M,) kept points."""
    singular: BoolArray
    """(M,) too few points or rank-deficient design."""

    @property
    def q(self) -> int:
        return int(self.coef.shape[1])

    def sef(self) -> FloatArray:
        """Standard error of fit sqrt(SSR/(n − q)); NaN where n ≤ q or singular."""
        dof = self.n - self.q
        ok = (dof > 0) & ~self.singular
        out = np.full(len(self.n), np.nan)
        np.sqrt(self.ssr / np.where(ok, dof, 1), out=out, where=ok)
        return out

    def intercept_weights(self, u0: FloatArray) -> FloatArray:
        """a = (ΦᵀΦ)⁻¹φ(u₀): the intercept is Σᵢ (aᵀφ(uᵢ))·yᵢ over the kept points."""
        phi = np.stack([u0**k for k in range(self.q)], axis=1)
        result: FloatArray = (self.inv * phi[:, None, :]).sum(axis=2)
        return result

    def variance_factor(self, u0: FloatArray) -> FloatArray:
        """v = φ(u₀)ᵀ (ΦᵀΦ)⁻¹ φ(u₀): the prediction variance at x = 0 over σ²."""
        phi = np.stack([u0**k for k in range(self.q)], axis=1)
        result: FloatArray = (phi * self.intercept_weights(u0)).sum(axis=1)
        return result


def _safe_inverse(g: FloatArray, bad: BoolArray) -> tuple[FloatArray, BoolArray]:
    """Batched inverse; singular matrices are flagged (and replaced by I) instead of
    aborting the batch."""
    q = g.shape[1]
    eye = np.eye(q)
    g = np.where(bad[:, None, None], eye, g)
    inv: FloatArray
    try:
        inv = np.linalg.inv(g).astype(np.float64, copy=False)
    except np.linalg.LinAlgError:
        inv = np.empty_like(g)
        bad = bad.copy()
        for i in range(len(g)):
            try:
                inv[i] = np.linalg.inv(g[i])
            except np.linalg.LinAlgError:
                inv[i] = eye
                bad[i] = True
    norm_g = np.abs(g).sum(axis=1).max(axis=1)
    norm_inv = np.abs(inv).sum(axis=1).max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rcond = 1.0 / (norm_g * norm_inv)
    bad = bad | ~(rcond > RCOND_LIMIT)
    return inv, bad


def poly_fit(u: FloatArray, y: FloatArray, kept: BoolArray, q: int) -> PolyFit:
    """Least squares of degree q − 1 on the kept points of every series at once.

    ``y`` must be finite at every slot (absent slots may hold anything finite, e.g. 0).
    Sums run along contiguous rows, so NumPy's pairwise summation keeps them accurate.
    """
    w = kept.astype(np.float64)
    n = kept.sum(axis=1).astype(np.int64)
    m = len(n)
    # Hankel power sums S_k = Σ w·u^k (k ≤ 2q − 2) and moments b_j = Σ w·y·u^j
    sums = np.empty((m, 2 * q - 1))
    moments = np.empty((m, q))
    power = w.copy()
    for k in range(2 * q - 1):
        sums[:, k] = power.sum(axis=1)
        if k < q:
            moments[:, k] = (power * y).sum(axis=1)
        if k < 2 * q - 2:
            power *= u
    idx = np.add.outer(np.arange(q), np.arange(q))
    inv, singular = _safe_inverse(sums[:, idx], n < q)
    coef = (inv * moments[:, None, :]).sum(axis=2)
    coef[singular] = np.nan
    resid = y - horner(np.where(singular[:, None], 0.0, coef), u)
    ssr = (w * resid * resid).sum(axis=1)
    return PolyFit(coef, inv, resid, ssr, n, singular)


def kept_std(y: FloatArray, kept: BoolArray) -> FloatArray:
    """Sample standard deviation (ddof = 1) of the kept y; NaN where fewer than 2."""
    n = kept.sum(axis=1)
    w = kept.astype(np.float64)
    mean = np.divide((w * y).sum(axis=1), n, out=np.zeros(len(n)), where=n > 0)
    dev = (y - mean[:, None]) * w
    var = np.divide((dev * dev).sum(axis=1), n - 1, out=np.full(len(n), np.nan), where=n > 1)
    result: FloatArray = np.sqrt(var)
    return result


def centred_sum_squares(u: FloatArray, kept: BoolArray) -> tuple[FloatArray, FloatArray]:
    """(ū, Σ(u − ū)²) over the kept points, for the CI formula."""
    n = kept.sum(axis=1)
    w = kept.astype(np.float64)
    mean = np.divide((w * u).sum(axis=1), n, out=np.zeros(len(n)), where=n > 0)
    dev = (u - mean[:, None]) * w
    return mean, (dev * dev).sum(axis=1)
