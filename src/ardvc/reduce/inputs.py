"""The inputs of a batch reduction as plain arrays (one row per analysis).

Built by :mod:`ardvc.reduction.gather` from the repositories; nothing here knows about files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]

ISOTOPES = ("Ar40", "Ar39", "Ar38", "Ar37", "Ar36")
"""Argon isotope roles, in Pychron's order."""
PRODUCTION_KEYS = (
    "K4039",
    "K3839",
    "K3739",
    "Ca3937",
    "Ca3837",
    "Ca3637",
    "Cl3638",
    "Ca_K",
    "Cl_K",
)


@dataclass
class IsotopeInputs:
    """Per-isotope measured values of N analyses (errors are 1σ)."""

    intercept: Array
    intercept_err: Array
    baseline: Array
    baseline_err: Array
    blank: Array
    blank_err: Array
    ic: Array
    ic_err: Array
    detector: StrArray
    include_baseline_error: BoolArray

    @classmethod
    def empty(cls, n: int) -> IsotopeInputs:
        z = np.zeros(n)
        return cls(
            z.copy(), z.copy(), z.copy(), z.copy(), z.copy(), z.copy(),
            np.ones(n), z.copy(), np.full(n, "", dtype=object).astype(str), np.zeros(n, bool),
        )  # fmt: skip


@dataclass
class ArArInputs:
    """Everything per analysis that the age equation needs, for N analyses."""

    isotopes: dict[str, IsotopeInputs]
    correct_for_blank: BoolArray
    power: Array
    """(N, S) irradiation segment powers (0 = padding)."""
    duration: Array
    """(N, S) segment lengths in days."""
    elapsed: Array
    """(N, S) days from each segment's start (or end) to the analysis."""
    chlorine_days: Array
    production: Array
    """(N, 9) production ratios in :data:`PRODUCTION_KEYS` order."""
    production_err: Array
    j: Array
    j_err: Array
    lambda_k: Array
    """(N,) total 40K decay constant per analysis (1/a), from the level or the constants."""
    sensitivity: Array
    """(N,) mol/fA; NaN when unknown."""
    discrimination: Array = field(default_factory=lambda: np.ones(0))

    @property
    def n(self) -> int:
        return int(self.j.shape[0])
