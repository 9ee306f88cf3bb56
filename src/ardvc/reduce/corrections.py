"""Per-isotope corrections: baseline, blank, IC factor (reduction-math.md §4).

``A = ((I − B) − blank) · discrimination · IC``; for a detector named ``faraday`` Pychron
subtracts the blank after the IC factor instead (a legacy path kept for compatibility).
Which quantities are independent inputs is decided here, by the covariance convention.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ardvc.reduce.conventions import Conventions
from ardvc.reduce.inputs import ISOTOPES, ArArInputs, IsotopeInputs
from ardvc.reduce.uncertain import Array, InputSpace, UArray


@dataclass
class IsotopeValues:
    """Intermediate values of one isotope (the 2022 IA file stores the same quantities)."""

    baseline_corrected: UArray
    blank: UArray
    ic: UArray
    ic_corrected: UArray
    """(bs − blank)·IC, without discrimination."""
    intensity: UArray
    """The corrected intensity A that enters the age equation."""


def _column_per_detector(iso: IsotopeInputs, space: InputSpace, role: str) -> list[int]:
    """Columns named by (role, detector): isotopes on one detector share a variable."""
    return [space.column(f"{role}:{det}") for det in iso.detector]


def _by_columns(value: Array, sigma: Array, columns: list[int], k: int) -> UArray:
    jac = np.zeros((value.shape[0], k))
    jac[np.arange(value.shape[0]), columns] = sigma
    return UArray(value, jac)


def plan_columns(inputs: ArArInputs, space: InputSpace, conventions: Conventions) -> None:
    """Register every input column before any UArray is built (K must be known)."""
    for name, iso in inputs.isotopes.items():
        space.column(f"intercept:{name}")
        space.column(f"bs:{name}")
        space.column(f"blank:{name}")
        if conventions.covariance == "full":
            _column_per_detector(iso, space, "baseline")
            _column_per_detector(iso, space, "ic")
        else:
            space.column(f"baseline:{name}")
            space.column(f"ic:{name}")


def isotope_values(
    inputs: ArArInputs, space: InputSpace, conventions: Conventions
) -> dict[str, IsotopeValues]:
    k = len(space)
    n = inputs.n
    out: dict[str, IsotopeValues] = {}
    for name in ISOTOPES:
        iso = inputs.isotopes[name]
        intercept = UArray.independent(
            space, f"intercept:{name}", iso.intercept, iso.intercept_err, k
        )
        if conventions.covariance == "full":
            baseline_cols = _column_per_detector(iso, space, "baseline")
            ic_cols = _column_per_detector(iso, space, "ic")
            baseline = _by_columns(iso.baseline, iso.baseline_err, baseline_cols, k)
            ic_sigma = np.where(iso.ic > 0, iso.ic_err, 0.0)
            ic = _by_columns(np.where(iso.ic > 0, iso.ic, 1.0), ic_sigma, ic_cols, k)
        else:
            baseline = UArray.independent(
                space, f"baseline:{name}", iso.baseline, iso.baseline_err, k
            )
            ok = np.isfinite(iso.ic) & (iso.ic != 0)
            ic = UArray.independent(
                space, f"ic:{name}", np.where(ok, iso.ic, 1.0), np.where(ok, iso.ic_err, 0.0), k
            )
        if conventions.include_baseline_error is not None:
            include = np.full(n, conventions.include_baseline_error)
        elif conventions.covariance == "full":
            include = np.ones(n, dtype=bool)  # a shared baseline is only correlated if counted
        else:
            include = iso.include_baseline_error
        # Pychron re-wraps I − nominal(B) as a NEW independent value with σ(I)
        rewrapped = UArray.independent(
            space, f"bs:{name}", iso.intercept - iso.baseline, iso.intercept_err, k
        )
        full = intercept - baseline
        bs = UArray(
            np.where(include, full.value, rewrapped.value),
            np.where(include[:, None], full.jac, rewrapped.jac),
        )
        faraday = np.char.lower(iso.detector.astype(str)) == "faraday"
        use_blank = inputs.correct_for_blank & ~faraday
        blank_raw = UArray.independent(space, f"blank:{name}", iso.blank, iso.blank_err, k)
        blank = blank_raw * use_blank.astype(float)
        signal = bs - blank
        disc = inputs.discrimination if inputs.discrimination.size else 1.0
        intensity = signal * disc * ic
        late_blank = blank_raw * (inputs.correct_for_blank & faraday).astype(float)
        out[name] = IsotopeValues(
            baseline_corrected=bs,
            blank=blank_raw,
            ic=ic,
            ic_corrected=signal * ic,
            intensity=intensity - late_blank,
        )
    return out


def abundance_sensitivity(values: dict[str, UArray], coefficient: float) -> dict[str, UArray]:
    """Peak-tail correction of §4 (coefficient 0 in all real data: a no-op)."""
    if coefficient == 0:
        return values
    s40, s39, s38, s37, s36 = (values[i] for i in ISOTOPES)
    return {
        "Ar40": s40 - coefficient * 2 * s39,
        "Ar39": s39 - coefficient * (s40 + s38),
        "Ar38": s38 - coefficient * (s39 + s37),
        "Ar37": s37 - coefficient * (s38 + s36),
        "Ar36": s36 - coefficient * 2 * s37,
    }
