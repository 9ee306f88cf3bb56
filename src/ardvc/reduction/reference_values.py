"""Reading one reference analysis' value from git (reduction-math.md §4, §11).

Blanks: the reference's own baseline-corrected intercept. IC factors: the ratio of two
detectors' baseline- and blank-corrected intensities (Pychron's
``get_non_detector_corrected_value``: no IC factor, no decay) over a standard ratio. Every
missing input is a :class:`~ardvc.errors.MissingInputError` naming the analysis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ardvc.data import Analysis
from ardvc.errors import MissingInputError, UsageError
from ardvc.reduction.gather import NOT_BLANK_CORRECTED


@dataclass(frozen=True)
class ICRatio:
    """An IC reference ratio ``numerator/denominator`` of detectors and its standard value;
    the result is written to ``detector`` (default: the denominator)."""

    numerator: str
    denominator: str
    standard_ratio: float
    detector: str

    @classmethod
    def parse(cls, text: str, standard_ratio: float, detector: str | None = None) -> ICRatio:
        num, sep, den = text.partition("/")
        if not sep or not num.strip() or not den.strip():
            raise UsageError(f"an IC ratio names two detectors like H2/L2(CDD), not {text!r}")
        if not (math.isfinite(standard_ratio) and standard_ratio > 0):
            raise UsageError(f"the standard ratio must be positive, not {standard_ratio}")
        return cls(num.strip(), den.strip(), standard_ratio, (detector or den).strip())

    @property
    def name(self) -> str:
        return f"{self.numerator}/{self.denominator}"


def _entry(values: Any, key: str, what: str, analysis: Analysis) -> tuple[float, float]:
    entry = values.get(key) if values is not None else None
    if entry is None or getattr(entry, "is_empty", False):
        raise MissingInputError(f"{analysis.record_id} has no {what} for {key}")
    value, error = entry.effective_value, entry.effective_error
    if value is None or error is None:
        raise MissingInputError(f"{analysis.record_id}: the {what} of {key} has no value")
    return float(value), float(error)


def baseline_corrected(analysis: Analysis, key: str) -> tuple[float, float]:
    """Intercept − baseline of isotope ``key``; the error is the intercept's unless its
    entry sets ``include_baseline_error`` (reduction-math.md §4)."""
    main = analysis.main
    if key not in main.isotopes:
        raise MissingInputError(f"{analysis.record_id} did not measure {key}")
    detector = main.isotopes[key].detector
    value, error = _entry(analysis.intercepts, key, "intercept", analysis)
    base, base_err = _entry(analysis.baselines, detector, "baseline", analysis)
    stored = analysis.intercepts.get(key) if analysis.intercepts else None
    if stored is not None and stored.include_baseline_error:
        return value - base, math.hypot(error, base_err)
    return value - base, error


def detector_intensity(analysis: Analysis, detector: str) -> tuple[float, float]:
    """Baseline- and (unless a blank-type run) blank-corrected intensity of the first
    isotope measured on ``detector``: Pychron's ``get_non_detector_corrected_value``."""
    pairs = list(analysis.isotope_detectors())
    key = next((k for k, d in pairs if d == detector), None)
    if key is None:
        key = next((k for k, d in pairs if d.lower() == detector.lower()), None)
    if key is None:
        raise MissingInputError(f"{analysis.record_id} measured nothing on detector {detector}")
    value, error = baseline_corrected(analysis, key)
    if not analysis.main.normalised_analysis_type.startswith(NOT_BLANK_CORRECTED):
        blank, blank_err = _entry(analysis.blanks, key, "blank", analysis)
        return value - blank, math.hypot(error, blank_err)
    return value, error


def ic_reference_value(analysis: Analysis, ratio: ICRatio) -> tuple[float, float]:
    """(n/d)/standard ratio with first-order independent errors."""
    n, sn = detector_intensity(analysis, ratio.numerator)
    d, sd = detector_intensity(analysis, ratio.denominator)
    if d == 0 or n == 0:
        raise MissingInputError(f"{analysis.record_id}: {ratio.name} has a zero intensity")
    value = n / d / ratio.standard_ratio
    return value, abs(value) * math.hypot(sn / n, sd / d)
