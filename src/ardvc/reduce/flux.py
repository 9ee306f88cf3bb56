"""J from flux monitors and the ``mean_j`` of an irradiation position (reduction-math.md
§13), and the age equation on plain floats.

Written in Pychron's order of operations — ``exp(λ·t) − 1`` rather than ``expm1``,
``λ⁻¹·ln(1 + J·F)`` rather than ``log1p`` — because stored J and ages reproduce only that
way (``expm1`` moves the FC-2 factor by 1.8e-15 relative). Monitor ages are kept in Ma in
:mod:`ardvc.reduce.constants`; the functions here take years.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ardvc.errors import UsageError
from ardvc.reduce.constants import FC2_MIN, FC_SJ, MONITORS, Monitor
from ardvc.reduce.stats import ErrorKind, FloatArray, WeightedMean, weighted_mean

__all__ = [
    "FC2_MIN",
    "FC_SJ",
    "MA",
    "MONITORS",
    "Monitor",
    "age_from_f",
    "j_from_f",
    "mean_j",
    "monitor_age_years",
    "monitor_factor",
]

MA = 1e6
"""Years per Ma: Pychron's display scale for NMGRL ages."""


def monitor_age_years(monitor: Monitor) -> float:
    """The monitor's age in years (``28.201 Ma → 28201000.0``)."""
    return monitor.age * MA


def monitor_factor(monitor_age_yr: float, lambda_k: float) -> float:
    """``exp(λK·t) − 1``: J·F of the monitor (0.015528357585235852 for FC-2 at 28.201 Ma
    with λK = 5.464e-10/a)."""
    return float(np.exp(lambda_k * monitor_age_yr) - 1)


def j_from_f(
    f: ArrayLike, monitor_age_yr: float, lambda_k: float, *, f_err: ArrayLike = 0.0
) -> tuple[FloatArray, FloatArray]:
    """J = (exp(λK·t) − 1)/F per monitor analysis, with σJ = |∂J/∂F|·σF (the monitor age
    and λK are exact here, as in the stored ``mean_j``)."""
    fv = np.asarray(f, dtype=float)
    fe = np.broadcast_to(np.asarray(f_err, dtype=float), fv.shape)
    if np.any(fv == 0):
        raise UsageError("J from a monitor F of zero")
    c = monitor_factor(monitor_age_yr, lambda_k)
    j: FloatArray = c / fv
    j_err: FloatArray = np.abs(-c / fv**2 * fe)
    return j, j_err


def age_from_f(
    f: ArrayLike,
    j: ArrayLike,
    lambda_k: float,
    *,
    f_err: ArrayLike = 0.0,
    j_err: ArrayLike = 0.0,
    scale: float = MA,
) -> tuple[FloatArray, FloatArray]:
    """Age ``λK⁻¹·ln(1 + J·F)/scale`` and its first-order error from σF and σJ
    (independent; λK exact). With ``j_err`` 0 this is the individual-analysis age."""
    fv, jv = np.asarray(f, dtype=float), np.asarray(j, dtype=float)
    u = 1 + jv * fv
    age: FloatArray = lambda_k**-1 * np.log(u) / scale
    d = lambda_k**-1 / u
    err: FloatArray = np.sqrt((d * jv * np.asarray(f_err)) ** 2 + (d * fv * np.asarray(j_err)) ** 2)
    return age, err / scale


def mean_j(
    j: ArrayLike,
    j_err: ArrayLike,
    *,
    kind: ErrorKind = ErrorKind.MSEM,
    members: Sequence[int] | None = None,
) -> WeightedMean:
    """``mean_j`` of a position: inverse-variance weighted mean of the monitors' J.

    ``.value`` is ``mean_j``, ``.error`` is ``mean_j_err`` (SEM·√MSWD when MSWD > 1 by
    default), ``.mswd`` is ``mean_j_mswd``. Pychron used every analysis listed at the
    position — select with ``members`` only when the lab says so.
    """
    return weighted_mean(j, j_err, kind=kind, members=members)
