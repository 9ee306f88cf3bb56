"""Blank and IC-factor series: a value at the time of each unknown, predicted from a series of
reference values (reduction-math.md §11).

Pure NumPy and vectorised over the unknowns. The kinds carry Pychron's file spellings
(``Bracketing Interpolate``, ``Weighted Mean_SD``) so a parsed kind writes back exactly as
Pychron reads it. Where Pychron's interpolation code misbehaves at the edges of a series,
ardvc never uses an excluded reference and always uses the nearest usable one:

* ``Preceding`` with no usable reference at or before the unknown → the first usable one
  (Pychron: index 0 even when that reference is excluded).
* ``Succeeding`` with none at or after → the last usable one (Pychron: ``IndexError`` when
  the last reference is excluded).
* Bracketing outside the series → the first/last usable reference's value and error
  (Pychron's ``Bracketing Average`` after the last reference returns the *first* reference
  with error σ/√2, and its ``Bracketing Interpolate`` can return an excluded last one).
* ``Bracketing Interpolate`` at exactly the time of the following reference → that
  reference (Pychron returns the last reference of the whole series).

Inside the series, on data with no ties, every kind equals Pychron's result; the stored
SwansonB and Cornudas series reproduce to 1e-14 (tests/test_interpolation.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ardvc.errors import MissingInputError, UsageError
from ardvc.reduce.stats import ErrorKind, parse_error_kind

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.intp]


class UnsupportedSeriesError(UsageError):
    """A series kind or error kind that ardvc does not evaluate."""


class SeriesKind(StrEnum):
    """How the value at an unknown is obtained, spelled as Pychron writes it."""

    PRECEDING = "Preceding"
    SUCCEEDING = "Succeeding"
    BRACKETING_AVERAGE = "Bracketing Average"
    BRACKETING_INTERPOLATE = "Bracketing Interpolate"
    AVERAGE = "Average"
    WEIGHTED_MEAN = "Weighted Mean"
    LINEAR = "Linear"
    PARABOLIC = "Parabolic"
    CUBIC = "Cubic"

    @property
    def is_interpolation(self) -> bool:
        return self in _INTERPOLATIONS

    @property
    def degree(self) -> int | None:
        """Polynomial degree of the fit kinds (``None`` for means and interpolations)."""
        return _DEGREES.get(self)


_INTERPOLATIONS = frozenset(
    {
        SeriesKind.PRECEDING,
        SeriesKind.SUCCEEDING,
        SeriesKind.BRACKETING_AVERAGE,
        SeriesKind.BRACKETING_INTERPOLATE,
    }
)
_DEGREES = {SeriesKind.LINEAR: 1, SeriesKind.PARABOLIC: 2, SeriesKind.CUBIC: 3}

ALLOWED_ERRORS: dict[SeriesKind, tuple[ErrorKind, ...]] = {
    SeriesKind.AVERAGE: (ErrorKind.SD, ErrorKind.SEM),
    SeriesKind.WEIGHTED_MEAN: tuple(ErrorKind),
    SeriesKind.LINEAR: (ErrorKind.SEM, ErrorKind.SD),
    SeriesKind.PARABOLIC: (ErrorKind.SEM, ErrorKind.SD),
    SeriesKind.CUBIC: (ErrorKind.SEM, ErrorKind.SD),
}
"""Error kinds each fit kind evaluates (interpolations take the references' errors)."""

DEFAULT_ERRORS = {
    SeriesKind.AVERAGE: ErrorKind.SD,
    SeriesKind.WEIGHTED_MEAN: ErrorKind.MSEM,
    SeriesKind.LINEAR: ErrorKind.SEM,
    SeriesKind.PARABOLIC: ErrorKind.SEM,
    SeriesKind.CUBIC: ErrorKind.SEM,
}
"""Error kind of a name without suffix: Pychron's mean regressor uses SD unless the name
says SEM; every stored bare ``Weighted Mean`` IC factor of Cornudas (126) is SEM·√MSWD."""

_BY_NAME = {k.value.lower(): k for k in SeriesKind}


@dataclass(frozen=True, slots=True)
class SeriesFit:
    """A series kind and, for the fits, its error kind."""

    kind: SeriesKind
    error: ErrorKind | None = None

    def __post_init__(self) -> None:
        if self.kind.is_interpolation:
            if self.error is not None:
                raise UnsupportedSeriesError(
                    f"{self.kind.value!r} takes the references' own errors: no error kind "
                    f"({self.error.name})"
                )
            return
        if self.error is None:
            object.__setattr__(self, "error", DEFAULT_ERRORS[self.kind])
        elif self.error not in ALLOWED_ERRORS[self.kind]:
            allowed = ", ".join(e.name for e in ALLOWED_ERRORS[self.kind])
            raise UnsupportedSeriesError(
                f"{self.kind.value} with error kind {self.error.value!r} is not supported",
                hint=f"{self.kind.value} takes {allowed}",
            )

    @property
    def name(self) -> str:
        """The fit as Pychron's blank files spell it: ``Weighted Mean_SD``, ``Preceding``."""
        if self.error is None:
            return self.kind.value
        return f"{self.kind.value}_{self.error.value}"

    @property
    def error_type(self) -> str:
        """The error kind as stored in ``error_type`` (``""`` for interpolations)."""
        return "" if self.error is None else self.error.value


def parse_series_fit(text: str) -> SeriesFit:
    """``"Bracketing Interpolate"``, ``"Weighted Mean_SD"``, ``"average_sem"``,
    ``"Weighted Mean_SEM, but if MSWD>1 use SEM * sqrt(MSWD)"`` → :class:`SeriesFit`.

    Case and repeated blanks do not matter; an unknown kind is refused with the list of
    known ones (nothing is guessed, nothing evaluated).
    """
    raw = " ".join(text.strip().split())
    name, sep, suffix = raw.partition("_")
    kind = _BY_NAME.get(name.lower())
    if kind is None:
        known = ", ".join(repr(k.value) for k in SeriesKind)
        hint = f"known kinds: {known}; fits take an error suffix such as _SD or _SEM"
        if name.lower() == "previous":
            hint = "'previous' is the collection-time blank; use 'Preceding'. " + hint
        raise UnsupportedSeriesError(f"unknown blank/IC-factor fit {text!r}", hint=hint)
    if not sep:
        return SeriesFit(kind)
    try:
        error = parse_error_kind(suffix)
    except UsageError as exc:
        raise UnsupportedSeriesError(
            f"unknown error kind {suffix!r} in fit {text!r}", hint=exc.hint
        ) from None
    return SeriesFit(kind, error)


@dataclass(frozen=True)
class Prediction:
    """Values at the unknowns. ``used[i, j]``: reference ``j`` (input order) entered the
    value of unknown ``i``."""

    value: FloatArray
    error: FloatArray
    used: BoolArray
    fit: SeriesFit

    def references_used(self, unknown: int) -> tuple[int, ...]:
        return tuple(int(j) for j in np.flatnonzero(self.used[unknown]))


def relative_hours(
    reference_seconds: ArrayLike, unknown_seconds: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """x of references and unknowns: hours relative to the newest of all timestamps."""
    refs = np.asarray(reference_seconds, dtype=np.float64).reshape(-1)
    unknowns = np.asarray(unknown_seconds, dtype=np.float64).reshape(-1)
    newest = max(refs.max(initial=-np.inf), unknowns.max(initial=-np.inf))
    return (refs - newest) / 3600.0, (unknowns - newest) / 3600.0


def _checked(
    x: ArrayLike, y: ArrayLike, sigma: ArrayLike, excluded: ArrayLike | None, at: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray, BoolArray, FloatArray]:
    xs = np.asarray(x, dtype=np.float64).reshape(-1)
    ys = np.asarray(y, dtype=np.float64).reshape(-1)
    es = np.asarray(sigma, dtype=np.float64).reshape(-1)
    exc = (
        np.zeros(xs.shape, dtype=bool)
        if excluded is None
        else np.asarray(excluded, dtype=bool).reshape(-1)
    )
    ts = np.asarray(at, dtype=np.float64).reshape(-1)
    if not (xs.shape == ys.shape == es.shape == exc.shape):
        raise UsageError(
            f"references need equal lengths: x {xs.shape}, y {ys.shape}, σ {es.shape}, "
            f"excluded {exc.shape}"
        )
    if not np.all(np.isfinite(ts)):
        raise UsageError("the unknowns' x values must be finite")
    usable = ~exc
    bad = usable & ~(np.isfinite(xs) & np.isfinite(ys) & np.isfinite(es) & (es >= 0))
    if bad.any():
        raise MissingInputError(
            f"references {np.flatnonzero(bad).tolist()} have a non-finite x, value or error "
            "(or a negative error)",
            hint="exclude them, or fix their stored values",
        )
    return xs, ys, es, exc, ts


def predict(
    fit: SeriesFit | str,
    x: ArrayLike,
    y: ArrayLike,
    sigma: ArrayLike,
    excluded: ArrayLike | None,
    at: ArrayLike,
) -> Prediction:
    """The value and 1σ error of ``fit`` at each ``at`` from references ``(x, y, σ)``;
    excluded references never enter. References may come in any order."""
    spec = parse_series_fit(fit) if isinstance(fit, str) else fit
    xs, ys, es, exc, ts = _checked(x, y, sigma, excluded, at)
    usable = np.flatnonzero(~exc)
    if usable.size == 0:
        raise MissingInputError(
            f"no usable reference for {spec.name}: all {xs.size} are excluded or none exist"
        )
    order = usable[np.argsort(xs[usable], kind="stable")]
    xu, yu, eu = xs[order], ys[order], es[order]
    used = np.zeros((ts.size, xs.size), dtype=bool)
    if spec.kind.is_interpolation:
        value, error, lo, hi = _interpolate(spec.kind, xu, yu, eu, ts)
        rows = np.arange(ts.size)
        used[rows, order[lo]] = True
        used[rows, order[hi]] = True
        return Prediction(value, error, used, spec)
    used[:, order] = True
    assert spec.error is not None
    if spec.kind is SeriesKind.AVERAGE:
        value0, error0 = _average(yu, eu, spec.error)
    elif spec.kind is SeriesKind.WEIGHTED_MEAN:
        value0, error0 = _weighted_mean(yu, eu, spec.error, order)
    else:
        degree = spec.kind.degree
        assert degree is not None
        value, error = _polynomial(xu, yu, ts, degree, spec)
        return Prediction(value, error, used, spec)
    return Prediction(np.full(ts.size, value0), np.full(ts.size, error0), used, spec)


def _interpolate(
    kind: SeriesKind, xu: FloatArray, yu: FloatArray, eu: FloatArray, ts: FloatArray
) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
    """Interpolation kinds over usable references sorted by x; returns value, error and
    the (sorted) indices of the two references used (equal when only one is)."""
    n = xu.size
    if kind is SeriesKind.PRECEDING:
        i = np.searchsorted(xu, ts, side="right") - 1
        i = np.where(i < 0, 0, i)
        return yu[i], eu[i], i, i
    if kind is SeriesKind.SUCCEEDING:
        i = np.searchsorted(xu, ts, side="left")
        i = np.where(i >= n, n - 1, i)
        return yu[i], eu[i], i, i
    hi = np.searchsorted(xu, ts, side="left")  # first reference at or after t
    lo = hi - 1  # last reference strictly before t
    before, after = lo < 0, hi >= n
    inside = ~(before | after)
    lo = np.where(before, 0, np.where(after, n - 1, lo))
    hi = np.where(before, 0, np.where(after, n - 1, hi))
    p, a, sp, sa = yu[lo], yu[hi], eu[lo], eu[hi]
    if kind is SeriesKind.BRACKETING_AVERAGE:
        value = (p + a) / 2.0
        error = np.sqrt(sp**2 + sa**2) / 2.0
    else:
        span = np.where(inside, xu[hi] - xu[lo], 1.0)
        f = np.where(inside, (ts - xu[lo]) / span, 0.0)
        value = p + f * (a - p)
        error = np.hypot((1.0 - f) * sp, f * sa)
    value = np.where(inside, value, p)
    error = np.where(inside, error, sp)
    return value, error, lo, hi


def _average(yu: FloatArray, eu: FloatArray, kind: ErrorKind) -> tuple[float, float]:
    """Arithmetic mean; SD has ddof 1 and SEM = SD/√n (one reference: its own error)."""
    n = yu.size
    if n == 1:
        return float(yu[0]), float(eu[0])
    sd = float(yu.std(ddof=1))
    return float(yu.mean()), sd if kind is ErrorKind.SD else sd / n**0.5


def _weighted_mean(
    yu: FloatArray, eu: FloatArray, kind: ErrorKind, order: IntArray
) -> tuple[float, float]:
    """Inverse-variance mean. SEM/SE = (Σ1/σ²)^(−1/2); MSEM/MSE multiply by √MSWD when
    MSWD > 1; SD is the references' sample standard deviation (ddof 1), as Pychron's mean
    regressor has it (SwansonB stores it for 70 IC factors); one reference: its error."""
    zero = eu == 0
    if zero.any():
        raise MissingInputError(
            f"references {order[zero].tolist()} have a zero error: a weighted mean needs "
            "positive errors",
            hint="exclude them, or use Average",
        )
    weights = 1.0 / eu**2
    mean, total = np.average(yu, weights=weights, returned=True)
    n = yu.size
    taylor = float(total**-0.5)
    if kind is ErrorKind.SD:
        return float(mean), float(yu.std(ddof=1)) if n > 1 else float(eu[0])
    mswd = float(((yu - mean) ** 2 * weights).sum() / (n - 1)) if n > 1 else 0.0
    if kind.scales_with_mswd and mswd > 1:
        return float(mean), taylor * mswd**0.5
    return float(mean), taylor


def _polynomial(
    xu: FloatArray, yu: FloatArray, ts: FloatArray, degree: int, spec: SeriesFit
) -> tuple[FloatArray, FloatArray]:
    """Unweighted least squares of ``degree`` evaluated at ``ts``: SEM is the standard
    error of the fitted curve, s·√(v(t)ᵀ(VᵀV)⁻¹v(t)); SD adds the scatter, √(s² + SEM²)
    (the §3 intercept errors, at the unknown's x instead of 0)."""
    q = degree + 1
    n = xu.size
    if n <= q:
        raise MissingInputError(
            f"{spec.kind.value} needs at least {q + 1} usable references, got {n}",
            hint="add references (a wider window), or use a mean or an interpolation",
        )
    centre = float(xu.mean())
    scale = float(np.abs(xu - centre).max()) or 1.0
    design = np.vander((xu - centre) / scale, q, increasing=True)
    coef, _, rank, _ = np.linalg.lstsq(design, yu, rcond=None)
    if rank < q:
        raise MissingInputError(
            f"{spec.kind.value}: the references lie at fewer distinct times than the fit "
            f"has coefficients ({q})"
        )
    resid = yu - design @ coef
    s2 = float(resid @ resid) / (n - q)
    inverse = np.linalg.inv(design.T @ design)
    at = np.vander((ts - centre) / scale, q, increasing=True)
    value = at @ coef
    var_mean = s2 * np.einsum("ij,jk,ik->i", at, inverse, at)
    error = np.sqrt(s2 + var_mean) if spec.error is ErrorKind.SD else np.sqrt(var_mean)
    return value, error
