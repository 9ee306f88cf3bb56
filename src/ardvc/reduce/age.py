"""F, the age equation and the derived quantities (reduction-math.md §8, §9)."""

from __future__ import annotations

import numpy as np

from ardvc.reduce.uncertain import Array, UArray, log


def f_value(rad40: UArray, k39: UArray) -> UArray:
    """F = 40Ar*/39Ar_K. Pychron returns 1.0 when 39Ar_K is 0; ardvc returns NaN and the
    caller reports the analysis as failed."""
    return rad40 / k39


def age(j: UArray | Array | float, f: UArray, lambda_k: Array | float, scale: float) -> UArray:
    """``ln(1 + J·F)/λK`` in years, divided by ``scale`` (1e6 → Ma)."""
    return log(1 + f * j) / lambda_k / scale


def ratio_or_one(x: UArray) -> UArray:
    """Pychron uses 1 for a conversion factor (Ca_K, Cl_K) that is 0 or missing."""
    zero = (x.value == 0) | ~np.isfinite(x.value)
    return UArray(np.where(zero, 1.0, x.value), np.where(zero[:, None], 0.0, x.jac))
