"""York regression with correlated errors and the 40Ar/39Ar inverse isochron
(reduction-math.md §12.4).

Slope: York (1969) iteration as Pychron runs it (start b = 0, stop when two successive
slopes differ by < 1e-10, at most 500 iterations), or the York et al. (2004, Am. J. Phys.
72:367) iteration; both converge to the same least-squares line. Errors:

* ``YORK``: York (1969), σb² = 1/ΣW·U², σa² = σb²·ΣW·x²/ΣW;
* ``NEW_YORK`` (Pychron's default): propagation of every point's errors through the
  implicit slope equation, Mahon (1996, Int. Geol. Rev. 38:293) as corrected by Trappitsch
  et al. (2018, ApJL 857:L15) (LLNL MahonFitting), exactly as Pychron computes it. It is
  not quite first-order propagation: ∂θ/∂b ignores that the weighted centroid moves with
  b, and ∂a/∂xᵢ, ∂a/∂yᵢ carry the x̄·∂b term with the opposite sign. On the Pearson–York
  data σb is 0.03 % and σa 0.9 % off the exact values; stored isochrons carry these errors;
* ``YORK_2004``: York et al. (2004), σb² = 1/ΣW·u², σa² = 1/ΣW + x̄²σb² on the adjusted
  points x = X̄ + β.

No "Reed" variant: Pychron's ReedYorkRegressor solves Reed's (1989) cubic, which holds for
uncorrelated errors only and gives the line York's iteration gives with ρ = 0; its errors
are York's (1966) 1/ΣW·U² times the MSWD, which older Pychron source itself flags as not
Reed's method. Reed (1992)'s variance expressions could not be checked against a citable
copy, so rather than a third unverifiable formula: use ``YORK`` with ρ = 0, errors times
√MSWD, for the same numbers.

All functions take plain float arrays (x, σx, y, σy, ρ). The MSWD-based error kind (SE or
SE·√MSWD) is applied afterwards by the caller, to the final age error, as Pychron does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike

from ardvc.errors import MissingInputError, UsageError
from ardvc.reduce.stats import ErrorKind, FloatArray, MswdSummary, mswd_scaled

TOLERANCE = 1e-10
MAX_ITERATIONS = 500


class YorkErrors(StrEnum):
    """Pychron's ``regressor`` names plus the 2004 unified formulation."""

    YORK = "York"
    NEW_YORK = "NewYork"
    YORK_2004 = "York2004"


@dataclass(frozen=True, slots=True)
class YorkFit(MswdSummary):
    """y = intercept + slope·x fitted to the points at ``members`` (input indices).

    ``slope_err``/``intercept_err`` are 1σ standard errors (kind SE, not scaled by
    √MSWD); ``cov`` is cov(intercept, slope). ``converged`` is False when the iteration
    stopped at ``MAX_ITERATIONS`` or on a zero denominator.
    """

    slope: float
    intercept: float
    slope_err: float
    intercept_err: float
    cov: float
    mswd: float
    dof: int
    members: tuple[int, ...]
    iterations: int
    converged: bool
    errors: YorkErrors

    @property
    def x_intercept(self) -> float:
        return -self.intercept / self.slope

    @property
    def x_intercept_err(self) -> float:
        """σ of −a/b to first order with cov(a, b). For the isochron Pychron instead
        regresses x on y (:func:`inverse_isochron`), which is what stored ages use."""
        a, b = self.intercept, self.slope
        var = (
            self.intercept_err**2 / b**2 + a**2 * self.slope_err**2 / b**4 - 2 * a * self.cov / b**3
        )
        return math.sqrt(max(var, 0.0))

    def scaled(self, error: float, kind: ErrorKind) -> float:
        """``error`` with the error kind applied: ×√MSWD for MSE/MSEM when MSWD > 1."""
        return mswd_scaled(error, self.mswd, kind)


def _points(
    x: ArrayLike, sx: ArrayLike, y: ArrayLike, sy: ArrayLike, rho: ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    arrays = [np.asarray(v, dtype=float) for v in (x, sx, y, sy)]
    r = np.zeros_like(arrays[0]) if rho is None else np.asarray(rho, dtype=float)
    r = np.broadcast_to(r, arrays[0].shape).astype(float)
    if arrays[0].ndim != 1 or any(a.shape != arrays[0].shape for a in arrays):
        raise UsageError("x, σx, y, σy (and ρ) must be 1-D arrays of equal length")
    if not all(np.all(np.isfinite(a)) for a in (*arrays, r)):
        raise UsageError("isochron points must be finite")
    if np.any(arrays[1] < 0) or np.any(arrays[3] < 0) or np.any(np.abs(r) > 1):
        raise UsageError("errors must be ≥ 0 and correlations within [−1, 1]")
    return arrays[0], arrays[1], arrays[2], arrays[3], r


def york_fit(
    x: ArrayLike,
    sx: ArrayLike,
    y: ArrayLike,
    sy: ArrayLike,
    rho: ArrayLike | None = None,
    *,
    errors: YorkErrors = YorkErrors.NEW_YORK,
    excluded: Sequence[int] = (),
    tol: float = TOLERANCE,
    max_iterations: int = MAX_ITERATIONS,
) -> YorkFit:
    """Best straight line through points with (correlated) errors in x and y."""
    xa, sxa, ya, sya, ra = _points(x, sx, y, sy, rho)
    if any(not 0 <= i < xa.size for i in excluded):
        raise UsageError(f"excluded point indices must lie in 0..{xa.size - 1}")
    keep = np.setdiff1d(np.arange(xa.size), np.asarray(excluded, dtype=np.intp))
    if keep.size < 2:
        raise MissingInputError(f"a York fit needs at least 2 points, got {keep.size}")
    X, sX, Y, sY, r = xa[keep], sxa[keep], ya[keep], sya[keep], ra[keep]
    vx, vy, sxy = sX**2, sY**2, r * sX * sY
    if np.any(vy + vx == 0):
        raise UsageError("a York fit needs σx or σy > 0 for every point")

    def weights(b: float) -> FloatArray:
        w: FloatArray = 1.0 / (vy + b**2 * vx - 2 * b * sxy)
        return w

    def centred(w: FloatArray) -> tuple[float, float, FloatArray, FloatArray]:
        xbar = float((w * X).sum() / w.sum())
        ybar = float((w * Y).sum() / w.sum())
        return xbar, ybar, X - xbar, Y - ybar

    b, prev, count = 0.0, math.inf, 0
    while abs(prev - b) >= tol and count < max_iterations:
        w = weights(b)
        _, _, u, v = centred(w)
        if errors is YorkErrors.YORK_2004:
            beta = w * (u * vy + b * v * vx - (b * u + v) * sxy)
            num, den = float((w * beta * v).sum()), float((w * beta * u).sum())
        else:
            common = u * vy + b * v * vx
            num = float((w**2 * v * (common - v * sxy)).sum())
            den = float((w**2 * u * (common - b * u * sxy)).sum())
        if den == 0:
            break
        prev, b = b, num / den
        count += 1
    converged = abs(prev - b) < tol

    w = weights(b)
    xbar, ybar, u, v = centred(w)
    a = ybar - b * xbar
    n = int(keep.size)
    mswd = float((w * (Y - a - b * X) ** 2).sum() / (n - 2)) if n > 2 else 0.0
    if errors is YorkErrors.NEW_YORK:
        var_a, var_b, cov = _mahon(b, w, u, v, xbar, vx, vy, sxy)
    elif errors is YorkErrors.YORK:
        var_b = 1.0 / float((w * u**2).sum())
        var_a = var_b * float((w * X**2).sum()) / float(w.sum())
        cov = -xbar * var_b
    else:
        beta = w * (u * vy + b * v * vx - (b * u + v) * sxy)
        xs = xbar + beta
        xs_bar = float((w * xs).sum() / w.sum())
        var_b = 1.0 / float((w * (xs - xs_bar) ** 2).sum())
        var_a = 1.0 / float(w.sum()) + xs_bar**2 * var_b
        cov = -xs_bar * var_b
    return YorkFit(
        slope=float(b),
        intercept=float(a),
        slope_err=math.sqrt(var_b),
        intercept_err=math.sqrt(var_a),
        cov=cov,
        mswd=mswd,
        dof=n - 2,
        members=tuple(int(i) for i in keep),
        iterations=count,
        converged=converged,
        errors=errors,
    )


def _mahon(
    b: float,
    w: FloatArray,
    u: FloatArray,
    v: FloatArray,
    xbar: float,
    vx: FloatArray,
    vy: FloatArray,
    sxy: FloatArray,
) -> tuple[float, float, float]:
    """(var a, var b, cov a b) by Mahon (1996) eqs 18–21 as corrected by Trappitsch et al.
    (2018): ∂θ/∂b, ∂θ/∂xᵢ, ∂θ/∂yᵢ of the slope equation θ(b) = 0, vectorised."""
    aa = 2 * b * (u * v * vx - u**2 * sxy)
    bb = u**2 * vy - v**2 * vx
    cc = w**3 * (sxy - b * vx)
    dd = b**2 * (u * v * vx - u**2 * sxy) + b * (u**2 * vy - v**2 * vx) - (u * v * vy - v**2 * sxy)
    dthdb = float((w**2 * (aa + bb)).sum() + 4 * (cc * dd).sum())
    ww = w / w.sum()
    gx = b**2 * (v * vx - 2 * u * sxy) + 2 * b * u * vy - v * vy
    gy = b**2 * u * vx + 2 * v * sxy - 2 * b * v * vx - u * vy
    dthdx = w**2 * gx - ww * float((w**2 * gx).sum())
    dthdy = w**2 * gy - ww * float((w**2 * gy).sum())
    dadx = -b * ww - xbar * dthdx / dthdb
    dady = ww - xbar * dthdy / dthdb
    dbdx, dbdy = dthdx / dthdb, dthdy / dthdb
    var_b = float((dthdx**2 * vx + dthdy**2 * vy + 2 * sxy * dthdx * dthdy).sum()) / dthdb**2
    var_a = float((dadx**2 * vx + dady**2 * vy + 2 * sxy * dadx * dady).sum())
    cov = float((dadx * dbdx * vx + dady * dbdy * vy + sxy * (dadx * dbdy + dady * dbdx)).sum())
    return var_a, var_b, cov


def error_correlation(f40: ArrayLike, f36: ArrayLike, f39: ArrayLike) -> FloatArray:
    """ρ of an inverse-isochron point from the relative errors of (40Ar − 40Ar_K), 36Ar_atm
    and 39Ar_K: ``[(1 + (f36/f40)²)·(1 + (f39/f40)²)]^(−1/2)`` (Pychron's formula)."""
    d = np.asarray(f40, dtype=float)
    a = 1 + (np.asarray(f36, dtype=float) / d) ** 2
    c = 1 + (np.asarray(f39, dtype=float) / d) ** 2
    rho: FloatArray = (a * c) ** -0.5
    return rho


@dataclass(frozen=True, slots=True)
class InverseIsochron:
    """Inverse isochron of points x = 39Ar_K/40Ar, y = 36Ar_atm/40Ar (40Ar less 40Ar_K).

    ``fit`` regresses y on x; ``swapped`` regresses x on y, so that its intercept *is* the
    x-intercept with a directly computed error (Pychron's method). F = 1/x-intercept, the
    trapped 40/36 = 1/y-intercept, both with first-order (SE) errors. MSWD is the fit's.
    """

    fit: YorkFit
    swapped: YorkFit
    x_intercept: float
    x_intercept_err: float
    f: float
    f_err: float
    trapped_4036: float
    trapped_4036_err: float

    @property
    def mswd(self) -> float:
        return self.fit.mswd

    @property
    def members(self) -> tuple[int, ...]:
        return self.fit.members

    def scaled(self, error: float, kind: ErrorKind) -> float:
        """Apply the isochron error kind to an error (usually the age error)."""
        return self.fit.scaled(error, kind)


def _reciprocal(value: float, error: float) -> tuple[float, float]:
    return 1 / value, abs(-1 / value**2 * error)


def inverse_isochron(
    x: ArrayLike,
    sx: ArrayLike,
    y: ArrayLike,
    sy: ArrayLike,
    rho: ArrayLike,
    *,
    errors: YorkErrors = YorkErrors.NEW_YORK,
    excluded: Sequence[int] = (),
) -> InverseIsochron:
    """Both regressions of the inverse isochron, F and the trapped 40/36."""
    fit = york_fit(x, sx, y, sy, rho, errors=errors, excluded=excluded)
    swapped = york_fit(y, sy, x, sx, rho, errors=errors, excluded=excluded)
    if swapped.intercept == 0 or fit.intercept == 0:
        raise MissingInputError("isochron intercept is zero: no F or trapped 40/36")
    f, f_err = _reciprocal(swapped.intercept, swapped.intercept_err)
    trapped, trapped_err = _reciprocal(fit.intercept, fit.intercept_err)
    return InverseIsochron(
        fit=fit,
        swapped=swapped,
        x_intercept=swapped.intercept,
        x_intercept_err=swapped.intercept_err,
        f=f,
        f_err=f_err,
        trapped_4036=trapped,
        trapped_4036_err=trapped_err,
    )
