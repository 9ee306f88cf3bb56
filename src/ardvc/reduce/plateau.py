"""Plateau search and plateau age (reduction-math.md §12.2).

Default criteria are Fleck et al. (1977): at least 3 contiguous steps, every pair of steps
overlapping at 2σ, together at least 50 % of the 39Ar_K released. The "Mahon 1996" method
replaces the overlap test by the MSWD-validity test (MSWD inside the central 95 % interval
of χ²(ν)/ν) — Pychron names this method but its implementation raises on every call, so
here it is what the name says.

``pychron_compat=True`` (the default, because it reproduces stored interpreted ages)
keeps two quirks of Pychron's ``Plateau``/``calculate_plateau_age``:

1. the pairwise overlap test, and the step count, run over *every* index in [start, end],
   omitted steps included;
2. the plateau value and its SEM are the weighted mean of the *whole* index range (an
   omitted step inside the range is part of the mean), while the MSWD uses only the
   non-omitted steps.

With ``pychron_compat=False`` omitted steps take no part in anything: overlap, count,
value, SEM and MSWD all use the non-omitted steps of the range. Both modes agree whenever
no step inside the plateau is omitted (true of every stored NMGRL plateau we checked).

As in Pychron: the search picks the longest index span (the earliest on ties), a plateau
needs at least two steps whatever ``nsteps`` says, and the J error is never part of the
plateau error unless asked for (Pychron computes it and discards it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ardvc.errors import MissingInputError, UsageError
from ardvc.reduce.stats import (
    ErrorKind,
    FloatArray,
    MswdSummary,
    as_arrays,
    mswd_is_valid,
    mswd_of,
    mswd_scaled,
    with_j_error,
)


class PlateauMethod(StrEnum):
    """Pychron's ``plateau_method`` spellings."""

    FLECK = "Fleck 1977"
    MAHON = "Mahon 1996"


@dataclass(frozen=True, slots=True)
class PlateauCriteria:
    """Plateau definition. ``gas_fraction`` is a percentage of the 39Ar_K of the
    non-omitted steps; ``fixed_steps`` (start, end indices) bypasses the search."""

    nsteps: int = 3
    overlap_sigma: float = 2.0
    gas_fraction: float = 50.0
    method: PlateauMethod = PlateauMethod.FLECK
    fixed_steps: tuple[int, int] | None = None
    pychron_compat: bool = True

    def __post_init__(self) -> None:
        if self.nsteps < 1:
            raise UsageError(f"plateau nsteps must be ≥ 1, got {self.nsteps}")
        if self.overlap_sigma < 0:
            raise UsageError(f"overlap_sigma must be ≥ 0, got {self.overlap_sigma}")
        if not 0 <= self.gas_fraction <= 100:
            raise UsageError(f"gas_fraction is a percentage, got {self.gas_fraction}")


FLECK_1977 = PlateauCriteria()


@dataclass(frozen=True, slots=True)
class Plateau(MswdSummary):
    """A plateau over steps ``start..end`` (indices into the step list).

    ``members`` are the non-omitted steps of the range (those flagged ``plateau_step``);
    ``mean_indices`` are the steps whose weighted mean is ``value``/``sem`` (the whole range
    in compat mode). ``mswd``/``dof`` are over ``members``; ``sd`` is the population
    standard deviation (ddof 0) of the member ages, Pychron's plateau "SD".
    ``gas_fraction`` is the members' percentage of the non-omitted 39Ar_K.
    """

    start: int
    end: int
    members: tuple[int, ...]
    mean_indices: tuple[int, ...]
    mask: tuple[bool, ...]
    value: float
    sem: float
    sd: float
    mswd: float
    dof: int
    gas_fraction: float
    criteria: PlateauCriteria
    fixed: bool

    def error(self, kind: ErrorKind = ErrorKind.SEM, j_rel_error: float = 0.0) -> float:
        """SEM, SD or SEM·√MSWD (MSWD > 1); J only if ``j_rel_error`` is given."""
        e = self.sd if kind is ErrorKind.SD else mswd_scaled(self.sem, self.mswd, kind)
        return with_j_error(self.value, e, j_rel_error)


def _excluded_mask(n: int, excluded: Sequence[int]) -> NDArray[np.bool_]:
    mask = np.zeros(n, dtype=bool)
    for i in excluded:
        if not 0 <= i < n:
            raise UsageError(f"excluded step index {i} outside 0..{n - 1}")
        mask[i] = True
    return mask


def _signals(signals: ArrayLike, n: int) -> FloatArray:
    s = np.asarray(signals, dtype=float)
    if s.shape != (n,) or not np.all(np.isfinite(s)):
        raise UsageError(f"need one finite 39Ar_K signal per step ({n}), got shape {s.shape}")
    return s


def find_plateau_steps(
    ages: ArrayLike,
    errors: ArrayLike,
    signals: ArrayLike,
    *,
    excluded: Sequence[int] = (),
    criteria: PlateauCriteria = FLECK_1977,
) -> tuple[int, int] | None:
    """(start, end) of the plateau, or None. Fewer steps than ``nsteps`` → None."""
    a, e = as_arrays(ages, errors)
    n = a.size
    s = _signals(signals, n)
    omitted = _excluded_mask(n, excluded)
    if criteria.fixed_steps is not None:
        return _fixed(criteria.fixed_steps, n)
    if n < max(criteria.nsteps, 2) or omitted.all():
        return None
    total = float(sum(float(v) for v, o in zip(s, omitted, strict=True) if not o))
    if not total > 0:
        raise MissingInputError("plateau search needs a positive total 39Ar_K signal")
    kept_signal = np.where(omitted, 0.0, s)
    lo = a - e * criteria.overlap_sigma
    hi = a + e * criteria.overlap_sigma
    # overlaps[i, j]: steps i and j overlap (Pychron's strict inequalities; symmetric)
    overlaps = (lo[:, None] < hi[None, :]) & (hi[:, None] > lo[None, :])
    best: tuple[int, int] | None = None
    for start in range(n):
        if omitted[start]:
            continue
        end = _search_from(start, a, e, omitted, overlaps, kept_signal, total, criteria)
        if end is not None and end > start and (best is None or end - start > best[1] - best[0]):
            best = (start, end)
    return best


def _search_from(
    start: int,
    a: FloatArray,
    e: FloatArray,
    omitted: NDArray[np.bool_],
    overlaps: NDArray[np.bool_],
    kept_signal: FloatArray,
    total: float,
    criteria: PlateauCriteria,
) -> int | None:
    """The last acceptable end for ``start``. As in Pychron, ends that are omitted or too
    short are skipped, and the first overlap failure ends the scan (Fleck)."""
    threshold = criteria.gas_fraction / 100.0
    found: int | None = None
    for end in range(start, a.size):
        if omitted[end]:
            continue
        rng = np.arange(start, end + 1)
        steps = rng if criteria.pychron_compat else rng[~omitted[rng]]
        if steps.size < criteria.nsteps:
            continue
        if criteria.method is PlateauMethod.FLECK:
            pairs = overlaps[np.ix_(steps, steps)][np.triu_indices(steps.size, 1)]
            if not bool(np.all(pairs)):
                break
        elif not mswd_is_valid(mswd_of(a[steps], e[steps]), steps.size - 1):
            continue
        gas = sum(float(v) for v in kept_signal[start : end + 1])
        if not gas / total >= threshold:
            continue
        found = end
    return found


def _fixed(fixed_steps: tuple[int, int], n: int) -> tuple[int, int] | None:
    """Pychron's fixed-step rule: order the pair, clamp the end to the last step; a range
    of one step (or one starting at the last step) is no plateau."""
    first, second = fixed_steps
    if first < 0 or second < 0:
        raise UsageError(f"fixed plateau steps must be non-negative, got {fixed_steps}")
    last = n - 1
    start, end = min(first, second), min(max(first, second), last)
    if start >= last or start == end:
        return None
    return start, end


def plateau(
    ages: ArrayLike,
    errors: ArrayLike,
    signals: ArrayLike,
    *,
    excluded: Sequence[int] = (),
    criteria: PlateauCriteria = FLECK_1977,
) -> Plateau | None:
    """Search (or take the fixed steps) and compute the plateau age; None if none.

    ``ages``/``errors`` are the step ages and 1σ errors *without* the J error, ``signals``
    the 39Ar_K of each step, ``excluded`` the omitted step indices.
    """
    a, e = as_arrays(ages, errors)
    s = _signals(signals, a.size)
    span = find_plateau_steps(a, e, s, excluded=excluded, criteria=criteria)
    if span is None:
        return None
    start, end = span
    omitted = _excluded_mask(a.size, excluded)
    rng = np.arange(start, end + 1)
    members = rng[~omitted[rng]]
    if members.size < 2:
        return None
    mean_idx = rng if criteria.pychron_compat else members
    mean_idx = mean_idx[e[mean_idx] != 0]
    if mean_idx.size == 0:
        raise MissingInputError("plateau steps all have zero error")
    value, sum_w = np.average(a[mean_idx], weights=1 / e[mean_idx] ** 2, returned=True)
    kept_total = float(np.where(omitted, 0.0, s).sum())
    mask = np.zeros(a.size, dtype=bool)
    mask[members] = True
    return Plateau(
        start=start,
        end=end,
        members=tuple(int(i) for i in members),
        mean_indices=tuple(int(i) for i in mean_idx),
        mask=tuple(bool(m) for m in mask),
        value=float(value),
        sem=float(sum_w**-0.5),
        sd=float(a[members].std()),
        mswd=mswd_of(a[members], e[members]),
        dof=int(members.size) - 1,
        gas_fraction=100.0 * float(s[members].sum()) / kept_total if kept_total else float("nan"),
        criteria=criteria,
        fixed=criteria.fixed_steps is not None,
    )
