"""J across an irradiation tray from the monitors' ``mean_j``: Pychron's ``Plane`` model.

Pychron fits ``J = a + b·x + c·y`` to the monitor positions (hole coordinates from the
irradiation holder, weights 1/σ²) and predicts every position's ``j``; its errors come
from a Monte Carlo over the monitors' errors, which is stochastic and so never
reproducible. ardvc propagates the fit's covariance analytically (the Monte Carlo's limit
for a linear model), so the same inputs give the same J, and applies Pychron's
``predicted_j_error_type`` "SEM, but if MSWD>1 use SEM * sqrt(MSWD)". With only three
monitors the plane passes through them (no degrees of freedom, MSWD undefined): the
errors are the propagated SEM alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ardvc.errors import UsageError
from ardvc.reduce.stats import FloatArray

PREDICTED_ERROR_TYPE = "SEM, but if MSWD>1 use SEM * sqrt(MSWD)"


@dataclass(frozen=True)
class PlaneFit:
    """``J = a + b·x + c·y``: coefficients, their covariance (already scaled by MSWD when
    MSWD > 1), the MSWD (``nan`` without degrees of freedom) and the monitor count."""

    coefficients: FloatArray
    covariance: FloatArray
    mswd: float
    n: int

    def predict(self, x: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """(J, 1σ) at hole coordinates ``x``, ``y``."""
        design = _design(np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float)))
        value = design @ self.coefficients
        var = np.einsum("ij,jk,ik->i", design, self.covariance, design)
        return value, np.sqrt(np.maximum(var, 0.0))


def _design(x: FloatArray, y: FloatArray) -> FloatArray:
    return np.column_stack([np.ones_like(x), x, y])


def fit_plane(x: ArrayLike, y: ArrayLike, j: ArrayLike, j_err: ArrayLike) -> PlaneFit:
    """Weighted least-squares plane through the monitor positions."""
    xa, ya = np.asarray(x, float), np.asarray(y, float)
    ja, ea = np.asarray(j, float), np.asarray(j_err, float)
    if not (xa.shape == ya.shape == ja.shape == ea.shape) or xa.ndim != 1:
        raise UsageError("plane flux fit: x, y, J and σJ must be 1-D and of one length")
    if xa.size < 3:
        raise UsageError(f"a plane needs at least 3 monitor positions, got {xa.size}")
    if not (np.isfinite(ja).all() and np.isfinite(ea).all() and (ea > 0).all()):
        raise UsageError("plane flux fit: every monitor J needs a finite, positive error")
    design = _design(xa, ya)
    if np.linalg.matrix_rank(design) < 3:
        raise UsageError("the monitor positions lie on one line: a plane is not determined")
    weights = 1.0 / ea**2
    normal = design.T @ (design * weights[:, None])
    covariance: FloatArray = np.linalg.inv(normal).astype(np.float64)
    coefficients = covariance @ (design.T @ (weights * ja))
    dof = xa.size - 3
    mswd = float("nan")
    if dof > 0:
        residuals = ja - design @ coefficients
        mswd = float(np.sum(weights * residuals**2) / dof)
        if mswd > 1:
            covariance = (covariance * mswd).astype(np.float64)
    return PlaneFit(coefficients, covariance, mswd, int(xa.size))
