"""What an isotope-evolution fit is asked to do: model, error kind, outlier filter.

Pychron stores these as free strings (``"Parabolic"``, ``"linear_SEM"``, ``"SE but if
MSWD>1 use SE * sqrt(MSWD)"``); they are parsed here once, into closed enums, so the batched
engine never branches on spelling (reduction-math.md §1–§3). Anything Pychron would have
run through ``eval``/``numexpr`` (``custom:`` fits, ``Auto N``) is refused with a clear
error instead of being guessed at.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, StrEnum

import numpy as np

from ardvc.errors import UsageError
from ardvc.reduce.ols import BoolArray, FloatArray


class UnsupportedFitError(UsageError):
    """A stored fit or error kind that ardvc does not evaluate (custom expressions, Monte
    Carlo errors, unknown names)."""


class FitKind(StrEnum):
    """The regression model of one series."""

    LINEAR = "linear"
    PARABOLIC = "parabolic"
    CUBIC = "cubic"
    QUARTIC = "quartic"
    AVERAGE = "average"
    WEIGHTED_MEAN = "weighted mean"
    """Not special-cased by Pychron's isotope fits: silently a linear fit (§1)."""
    EXPONENTIAL = "exponential"
    AUTO = "auto"
    """``Auto Linear/Parabolic``: both fits, the larger adjusted R² wins (§1)."""

    @property
    def degree(self) -> int | None:
        """Polynomial degree (0 for the mean), ``None`` for exponential and auto."""
        return _DEGREES.get(self)

    @property
    def n_coefficients(self) -> int:
        """q of SEF = sqrt(SSR / (n − q)); auto counts as parabolic until resolved."""
        if self is FitKind.EXPONENTIAL:
            return 3
        if self is FitKind.AUTO:
            return 3
        degree = _DEGREES[self]
        return degree + 1


_DEGREES: dict[FitKind, int] = {
    FitKind.AVERAGE: 0,
    FitKind.LINEAR: 1,
    FitKind.WEIGHTED_MEAN: 1,
    FitKind.PARABOLIC: 2,
    FitKind.CUBIC: 3,
    FitKind.QUARTIC: 4,
}


class ErrorType(StrEnum):
    """How the intercept error is reported (§3)."""

    SEM = "SEM"
    SD = "SD"
    CI = "CI"
    MSEM = "MSEM"
    """SEM·max(1, √MSWD). Isotope series carry no y errors, so MSWD is undefined and
    ardvc uses a factor of 1 (Pychron 2 compared ``None > 1`` → False, the same)."""


class FitStatus(IntEnum):
    """Outcome of one series; anything but ``OK`` is a flagged result."""

    OK = 0
    ALL_EXCLUDED = 1
    """Every point excluded (constant data: s = 0 and ``|r| ≥ 0``); Pychron's 0 ± 0."""
    TOO_FEW_POINTS = 2
    SINGULAR = 3
    NONFINITE = 4
    NONLINEAR_FALLBACK = 5
    NO_DATA = 6


STATUS_REASONS: dict[FitStatus, str] = {
    FitStatus.OK: "",
    FitStatus.ALL_EXCLUDED: "the outlier filter excluded every point (constant data); "
    "Pychron stores 0 ± 0",
    FitStatus.TOO_FEW_POINTS: "too few kept points for the model (n ≤ number of "
    "coefficients, or n ≤ 2 for CI errors)",
    FitStatus.SINGULAR: "rank-deficient design: fewer distinct times than coefficients",
    FitStatus.NONFINITE: "non-finite input or result (NaN/inf); Pychron stores 0",
    FitStatus.NONLINEAR_FALLBACK: "exponential fit did not converge; fell back to the "
    "average as Pychron does",
    FitStatus.NO_DATA: "the series has no points",
}

_MSEM_NAMES = {"MSEM", "MSE"}


def parse_error_type(text: str | None) -> ErrorType:
    """A stored ``error_type`` → :class:`ErrorType` (§3).

    Absent (``None``) is SEM; the empty string is CI (Pychron's ``not error_calc``); the
    MSWD-scaled spellings are MSEM; ``MC`` is refused; anything else, including ``SE``
    and the UI's ``MonteCarlo``, is SD — exactly Pychron's fall-through.
    """
    if text is None:
        return ErrorType.SEM
    stripped = text.strip()
    if not stripped:
        return ErrorType.CI
    upper = stripped.upper()
    if upper == "MC":
        raise UnsupportedFitError(
            "Monte Carlo intercept errors ('MC') are not supported",
            hint="refit with error type SEM or SD",
        )
    if upper in _MSEM_NAMES or "SQRT(MSWD)" in upper:
        return ErrorType.MSEM
    if upper in ("SEM", "SD", "CI"):
        return ErrorType(upper)
    return ErrorType.SD


def split_fit(text: str) -> tuple[str, str | None]:
    """``"linear_SEM"`` → ``("linear", "SEM")``; a suffix that is no error kind stays."""
    name, sep, suffix = text.strip().partition("_")
    head = suffix.strip().split(",")[0].split(" ")[0].upper()
    if sep and head in {"SEM", "SD", "SE", "CI", "MC", "MONTECARLO", "MSEM", "MSE"}:
        return name.strip(), suffix.strip()
    return text.strip(), None


def parse_fit_kind(text: str) -> FitKind:
    """A stored fit name (any case, no error suffix) → :class:`FitKind`."""
    name = " ".join(text.strip().lower().split())
    if name.startswith("custom:") or name == "custom":
        raise UnsupportedFitError(
            f"custom fit expression {text!r} is not supported",
            hint="Pychron evaluates these with numexpr; ardvc refuses rather than eval",
        )
    if name in ("auto linear/parabolic", "auto"):
        return FitKind.AUTO
    if name.startswith("auto"):
        raise UnsupportedFitError(
            f"fit {text!r} is a UI rule; files store the resolved fit",
            hint="store the fit the rule resolved to (linear, parabolic, …)",
        )
    if "average" in name:
        return FitKind.AVERAGE
    try:
        return FitKind(name)
    except ValueError:
        raise UnsupportedFitError(f"unknown fit {text!r}") from None


# --- truncation ------------------------------------------------------------------------
# Pychron binds the first word of a truncation expression to the abscissae and runs
# ``eval``, so the variable's name is irrelevant (``n>10`` tests x too); a bare integer k
# excludes every point with index > k. Only a single comparison is meaningful there
# (``x<5 or x>300`` raises on NumPy arrays), and only that is accepted here.

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_OPS: dict[str, Callable[[FloatArray, float], BoolArray]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
_MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
_OP = "|".join(re.escape(op) for op in _OPS)
_NAME_FIRST = re.compile(rf"^\s*([A-Za-z_]\w*)\s*({_OP})\s*({_NUMBER})\s*$")
_NUMBER_FIRST = re.compile(rf"^\s*({_NUMBER})\s*({_OP})\s*([A-Za-z_]\w*)\s*$")
_INDEX = re.compile(r"^\s*(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class Truncation:
    """Points excluded before fitting: ``x <op> value``, or index > ``last_index``."""

    op: str | None = None
    value: float = 0.0
    last_index: int | None = None

    def excluded(self, x: FloatArray) -> BoolArray:
        """Mask over ``x`` (1-D or (M, P), already shifted by the time-zero offset)."""
        if self.last_index is not None:
            result: BoolArray = np.broadcast_to(
                np.arange(x.shape[-1]) > self.last_index, x.shape
            ).copy()
            return result
        assert self.op is not None
        with np.errstate(invalid="ignore"):
            return np.asarray(_OPS[self.op](x, self.value), dtype=bool)


def parse_truncation(text: str) -> Truncation:
    """``"x<5"`` → exclude x < 5; ``"300 <= t"`` → exclude x ≥ 300; ``"30"`` → exclude
    indices > 30."""
    if m := _INDEX.match(text):
        return Truncation(last_index=int(m.group(1)))
    if m := _NAME_FIRST.match(text):
        return Truncation(op=m.group(2), value=float(m.group(3)))
    if m := _NUMBER_FIRST.match(text):
        return Truncation(op=_MIRROR[m.group(2)], value=float(m.group(1)))
    raise UnsupportedFitError(
        f"truncation {text!r} is not a single comparison like 'x<5' or an index",
        hint="Pychron evaluates these with eval; ardvc accepts one comparison or an integer",
    )


@dataclass(frozen=True, slots=True)
class FitSpec:
    """Settings of one series' fit, as Pychron's ``filter_outliers_dict`` holds them.

    ``time_zero_offset`` shifts the abscissa (x = t − offset) before the fit; the
    intercept is always the model at x = 0. ``truncate`` excludes points before any
    fitting (like user exclusions).
    """

    kind: FitKind = FitKind.LINEAR
    error_type: ErrorType = ErrorType.SEM
    filter_outliers: bool = False
    iterations: int = 1
    std_devs: float = 2.0
    use_standard_deviation_filtering: bool = False
    time_zero_offset: float = 0.0
    truncate: Truncation | None = None

    def __post_init__(self) -> None:
        if self.iterations < 0:
            raise UsageError(f"outlier iterations must be ≥ 0, got {self.iterations}")
        if not (math.isfinite(self.std_devs) and self.std_devs > 0):
            raise UsageError(f"outlier std_devs must be a positive number, got {self.std_devs}")
        if not math.isfinite(self.time_zero_offset):
            raise UsageError("time_zero_offset must be finite")

    @classmethod
    def parse(
        cls,
        fit: str,
        error_type: str | None = None,
        *,
        filter_outliers: bool = False,
        iterations: int = 1,
        std_devs: float = 2.0,
        use_standard_deviation_filtering: bool = False,
        time_zero_offset: float = 0.0,
        truncate: str | None = None,
    ) -> FitSpec:
        """From stored strings; an error suffix of ``fit`` counts when ``error_type`` is
        absent (``None``)."""
        name, suffix = split_fit(fit)
        return cls(
            kind=parse_fit_kind(name),
            error_type=parse_error_type(error_type if error_type is not None else suffix),
            filter_outliers=filter_outliers,
            iterations=iterations,
            std_devs=std_devs,
            use_standard_deviation_filtering=use_standard_deviation_filtering,
            time_zero_offset=time_zero_offset,
            truncate=parse_truncation(truncate) if truncate else None,
        )

    @property
    def filtering_iterations(self) -> int:
        """Iterations actually run (0 when the filter is off)."""
        return self.iterations if self.filter_outliers else 0
