"""Group statistics on (value, 1σ) arrays: weighted and arithmetic means, MSWD and its
validity and p-value, and the error kinds Pychron stores (reduction-math.md §12.1).

The formulas are written in Pychron's order of operations (``np.average`` with weights
``1/σ²``, MSWD as ``Σ(x − x̄)²/σ²``) so that results agree with stored interpreted ages to
the last digit. Which error kind was applied is part of every result: IA files do not
always apply the kind they name (reduction-math.md §12.1, "what the stored files contain").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ardvc.errors import MissingInputError, UsageError

FloatArray = NDArray[np.float64]


class ErrorKind(StrEnum):
    """Error kinds with the exact spellings Pychron writes into IA and level files."""

    SEM = "SEM"
    SD = "SD"
    MSEM = "SEM, but if MSWD>1 use SEM * sqrt(MSWD)"
    SE = "SE"
    MSE = "SE but if MSWD>1 use SE * sqrt(MSWD)"

    @property
    def scales_with_mswd(self) -> bool:
        """True for the kinds that multiply by √MSWD when MSWD > 1."""
        return self in (ErrorKind.MSEM, ErrorKind.MSE)


_KIND_ALIASES = {
    "sem": ErrorKind.SEM,
    "sd": ErrorKind.SD,
    "msem": ErrorKind.MSEM,
    "se": ErrorKind.SE,
    "mse": ErrorKind.MSE,
}


def parse_error_kind(text: str) -> ErrorKind:
    """An :class:`ErrorKind` from a stored spelling or a short name (``msem``, ``mse``)."""
    try:
        return ErrorKind(text)
    except ValueError:
        pass
    kind = _KIND_ALIASES.get(text.strip().lower())
    if kind is None:
        raise UsageError(
            f"unknown error kind {text!r}",
            hint="use SEM, SD, MSEM (SEM·√MSWD if MSWD>1), SE or MSE, or a stored spelling",
        )
    return kind


def mswd_scaled(error: float, mswd: float, kind: ErrorKind) -> float:
    """``error·√MSWD`` for the MSEM/MSE kinds when MSWD > 1, else ``error`` unchanged."""
    if kind.scales_with_mswd and mswd > 1:
        return float(error * mswd**0.5)
    return error


def with_j_error(value: float, error: float, j_rel_error: float) -> float:
    """Combine the relative J error in quadrature: ``|x̄|·√((σ/x̄)² + (σJ/J)²)``.

    Written as Pychron writes it so stored "external" errors reproduce exactly. A zero value
    has no relative error; its error is returned unchanged.
    """
    if j_rel_error == 0 or value == 0:
        return error
    return float(((error / value) ** 2 + j_rel_error**2) ** 0.5 * abs(value))


def mswd_pvalue(mswd: float | ArrayLike, dof: int | ArrayLike) -> FloatArray | float:
    """Probability of an MSWD at least this large, ``χ².sf(MSWD·ν, ν)`` (MassSpec's
    ``ProbMSWD``). NaN where ν < 1."""
    m = np.asarray(mswd, dtype=float)
    d = np.asarray(dof, dtype=float)
    with np.errstate(invalid="ignore"):
        from scipy.stats import chi2  # deferred: 0.6 s to import

        p = np.where(d >= 1, chi2.sf(m * d, np.maximum(d, 1)), np.nan)
    return float(p) if p.ndim == 0 else p


@lru_cache(maxsize=256)
def mswd_limits(dof: int) -> tuple[float, float]:
    """Central 95 % interval of χ²(ν)/ν: the range of acceptable MSWDs (Mahon 1996)."""
    if dof < 1:
        raise UsageError(f"MSWD limits need at least one degree of freedom, got {dof}")
    from scipy.stats import chi2

    low, high = chi2(dof, scale=1 / float(dof)).interval(0.95)
    return float(low), float(high)


def mswd_is_valid(mswd: float, dof: int) -> bool:
    """Whether the MSWD lies inside :func:`mswd_limits`; never valid without a dof."""
    if dof < 1 or not math.isfinite(mswd):
        return False
    low, high = mswd_limits(dof)
    return low <= mswd <= high


def as_arrays(values: ArrayLike, errors: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """1-D float arrays of equal length, errors non-negative; typed error otherwise."""
    x = np.asarray(values, dtype=float)
    e = np.asarray(errors, dtype=float)
    if x.ndim != 1 or e.shape != x.shape:
        raise UsageError(f"values and errors must be 1-D of equal length, got {x.shape}, {e.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(e))):
        raise UsageError("values and errors must be finite")
    if np.any(e < 0):
        raise UsageError("errors must be non-negative")
    return x, e


def mswd_of(values: ArrayLike, errors: ArrayLike, mean: float | None = None, k: int = 1) -> float:
    """``Σ((x − x̄)²/σ²)/(n − k)``; 0 when n ≤ k, as Pychron returns (dof recorded apart)."""
    x, e = as_arrays(values, errors)
    n = x.size
    if n <= k:
        return 0.0
    if mean is None:
        mean = float(np.average(x, weights=1 / e**2))
    return float(((x - mean) ** 2 / e**2).sum() / float(n - k))


class MswdSummary:
    """Count, MSWD validity and p-value of a result with ``members``, ``mswd`` and ``dof``
    (weighted means, plateaus, York fits)."""

    __slots__ = ()
    members: tuple[int, ...]
    mswd: float
    dof: int

    @property
    def n(self) -> int:
        return len(self.members)

    @property
    def valid_mswd(self) -> bool:
        return mswd_is_valid(self.mswd, self.dof)

    @property
    def p_value(self) -> float:
        return float(mswd_pvalue(self.mswd, self.dof))


@dataclass(frozen=True, slots=True)
class WeightedMean(MswdSummary):
    """Inverse-variance weighted mean of the values at ``members`` (input indices).

    ``dropped`` lists inputs whose error was 0; Pychron silently leaves them out of the
    weighted mean, and so does this (they are excluded from the MSWD as well, where Pychron
    would divide by zero). ``error`` is the error of ``kind`` with ``j_rel_error`` added in
    quadrature; :meth:`error_as` gives any other kind.
    """

    value: float
    sem: float
    sd: float
    mswd: float
    dof: int
    members: tuple[int, ...]
    dropped: tuple[int, ...]
    kind: ErrorKind
    j_rel_error: float
    error: float

    def error_as(self, kind: ErrorKind, j_rel_error: float = 0.0) -> float:
        """The error of another kind (SD, SEM, SEM·√MSWD), optionally with the J error."""
        return with_j_error(self.value, _kinded(self.sem, self.sd, self.mswd, kind), j_rel_error)


def _kinded(sem: float, sd: float, mswd: float, kind: ErrorKind) -> float:
    return sd if kind is ErrorKind.SD else mswd_scaled(sem, mswd, kind)


def weighted_sd(values: FloatArray, errors: FloatArray, mean: float) -> float:
    """Pychron's SD of a weighted mean: ``√(Σ(x̄w − x)²/(n − 1))``, and σ₁ when n = 1."""
    if values.size == 1:
        return float(errors[0])
    return float((((mean - values) ** 2).sum() / (values.size - 1)) ** 0.5)


def weighted_mean(
    values: ArrayLike,
    errors: ArrayLike,
    *,
    kind: ErrorKind = ErrorKind.SEM,
    j_rel_error: float = 0.0,
    members: Sequence[int] | None = None,
) -> WeightedMean:
    """Inverse-variance weighted mean, SEM ``(Σ1/σ²)^(−1/2)``, MSWD with n − 1 dof.

    ``members`` restricts the mean to those input indices (e.g. the non-omitted analyses);
    indices in the result always refer to the full input. Raises :class:`MissingInputError`
    when no value with a non-zero error remains.
    """
    x, e = as_arrays(values, errors)
    idx = np.arange(x.size) if members is None else _checked_indices(members, x.size)
    keep = idx[e[idx] != 0]
    dropped = tuple(int(i) for i in idx[e[idx] == 0])
    if keep.size == 0:
        raise MissingInputError("weighted mean of no values with a non-zero error")
    xk, ek = x[keep], e[keep]
    mean, sum_w = np.average(xk, weights=1 / ek**2, returned=True)
    value = float(mean)
    sem = float(sum_w**-0.5)
    mswd = mswd_of(xk, ek, value)
    sd = weighted_sd(xk, ek, value)
    error = with_j_error(value, _kinded(sem, sd, mswd, kind), j_rel_error)
    return WeightedMean(
        value=value,
        sem=sem,
        sd=sd,
        mswd=mswd,
        dof=int(keep.size) - 1,
        members=tuple(int(i) for i in keep),
        dropped=dropped,
        kind=kind,
        j_rel_error=j_rel_error,
        error=error,
    )


@dataclass(frozen=True, slots=True)
class ArithmeticMean:
    """Unweighted mean; ``sd`` has ddof 1 (0 for one value), ``sem = sd/√n``. Pychron
    stores ``sd`` as the error of an arithmetic mean."""

    value: float
    sd: float
    sem: float
    members: tuple[int, ...]

    @property
    def n(self) -> int:
        return len(self.members)


def arithmetic_mean(values: ArrayLike, *, members: Sequence[int] | None = None) -> ArithmeticMean:
    """Mean and sample standard deviation of the values at ``members`` (all by default)."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or not np.all(np.isfinite(x)):
        raise UsageError("values must be a finite 1-D array")
    idx = np.arange(x.size) if members is None else _checked_indices(members, x.size)
    if idx.size == 0:
        raise MissingInputError("arithmetic mean of no values")
    xs = x[idx]
    sd = float(xs.std(ddof=1)) if xs.size > 1 else 0.0
    return ArithmeticMean(
        value=float(xs.mean()),
        sd=sd,
        sem=sd / xs.size**0.5,
        members=tuple(int(i) for i in idx),
    )


def _checked_indices(members: Sequence[int], n: int) -> NDArray[np.intp]:
    idx = np.asarray(members, dtype=np.intp).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise UsageError(f"member indices must be in [0, {n}), got {list(members)}")
    if np.unique(idx).size != idx.size:
        raise UsageError(f"member indices must be distinct, got {list(members)}")
    return np.sort(idx)
