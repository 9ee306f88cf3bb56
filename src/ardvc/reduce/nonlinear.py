"""Exponential isotope evolutions y = a·exp(−b·x) + c, one series at a time.

Rare in practice (none in the reference repositories), so this is a plain loop over
SciPy's MINPACK Levenberg–Marquardt, the algorithm behind Pychron's ``curve_fit``, with
Pychron's start values. The intercept is a + c. Its error uses the delta method,
v = gᵀ(JᵀJ)⁻¹g with g = ∂f(0)/∂(a, b, c) = (1, 0, 1), so SEM = SEF·√v like every other
fit. **Not reproduced:** Pychron evaluates its error vector as (x, x, x) and therefore
reports an intercept error of exactly 0 (SEM) or SEF (SD) at x = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ardvc.reduce.ols import BoolArray, FloatArray

N_PARAMS = 3


@dataclass(frozen=True, slots=True)
class ExpFit:
    converged: bool
    params: FloatArray
    """(a, b, c); NaN when not converged."""
    ssr: float
    n: int
    v: float
    kept: BoolArray
    outliers: BoolArray

    @property
    def value(self) -> float:
        return float(self.params[0] + self.params[2])


def _model(p: FloatArray, x: FloatArray) -> FloatArray:
    with np.errstate(over="ignore", invalid="ignore"):
        result: FloatArray = p[0] * np.exp(-p[1] * x) + p[2]
    return result


def start_values(y: FloatArray) -> FloatArray:
    """Pychron's guess: decaying from above if the first point exceeds the last."""
    if y[0] > y[-1]:
        return np.array([100.0, 0.1, -100.0])
    return np.array([-10.0, 0.1, 10.0])


def _solve(x: FloatArray, y: FloatArray, p0: FloatArray) -> FloatArray | None:
    """Least-squares parameters, or ``None`` when MINPACK does not converge."""

    def residuals(p: FloatArray) -> FloatArray:
        return _model(p, x) - y

    if not np.all(np.isfinite(residuals(p0))):
        return None
    from scipy.optimize import least_squares  # deferred: a rare fit, a slow import

    result = least_squares(residuals, p0, method="lm")
    params: FloatArray = result.x
    if not result.success or not np.all(np.isfinite(params)):
        return None
    return params


def _variance_factor(p: FloatArray, x: FloatArray) -> float:
    e = np.exp(-p[1] * x)
    jac = np.column_stack([e, -p[0] * x * e, np.ones_like(x)])
    try:
        cov = np.linalg.inv(jac.T @ jac)
    except np.linalg.LinAlgError:
        return float("nan")
    g = np.array([1.0, 0.0, 1.0])
    return float(g @ cov @ g)


def fit_exponential(
    x: FloatArray,
    y: FloatArray,
    usable: BoolArray,
    present: BoolArray,
    iterations: int,
    std_devs: float,
    use_sd: bool,
) -> ExpFit:
    """Filter and fit one series (1-D arrays over its slots)."""
    kept = usable.copy()
    outliers = np.zeros_like(usable)
    first_last = y[present]
    p0 = start_values(first_last) if first_last.size else np.array([-10.0, 0.1, 10.0])
    failed = ExpFit(False, np.full(N_PARAMS, np.nan), np.nan, 0, np.nan, kept, outliers)
    for _ in range(iterations):
        n = int(kept.sum())
        if n <= N_PARAMS:
            break
        params = _solve(x[kept], y[kept], p0)
        if params is None:
            return failed
        resid = np.where(present, y - _model(params, x), 0.0)
        if use_sd:
            s = float(np.std(y[kept], ddof=1))
        else:
            s = float(np.sqrt(np.sum(resid[kept] ** 2) / (n - N_PARAMS)))
        flag = present & (np.abs(resid) >= std_devs * s)
        outliers |= flag
        kept &= ~flag
    n = int(kept.sum())
    if n < N_PARAMS:
        return ExpFit(False, np.full(N_PARAMS, np.nan), np.nan, n, np.nan, kept, outliers)
    params = _solve(x[kept], y[kept], p0)
    if params is None:
        return ExpFit(False, np.full(N_PARAMS, np.nan), np.nan, n, np.nan, kept, outliers)
    resid = y[kept] - _model(params, x[kept])
    ssr = float(np.sum(resid**2))
    return ExpFit(True, params, ssr, n, _variance_factor(params, x[kept]), kept, outliers)
