"""Integrated (total-gas) F: which steps enter, the weighting options, and the error of
Σrad40/Σk39 from per-analysis error components (reduction-math.md §12.3).

The per-analysis chain owns the correlated propagation inside one analysis; it hands over,
for every analysis i, the value of rad40 and k39 and their *error components* — the rows
``g_i = ∂v/∂u·σ_u`` over the independent inputs u of that analysis (intercepts, blanks, IC
factors, production ratios, …), so that var(v) = ‖g‖² and cov(v, w) = g_v·g_w. Assuming
the inputs of different analyses independent of each other (Pychron's structure: every
analysis carries its own copies, §14 #4; J is not part of F), the first-order error of
F = R/K with R = Σrad40, K = Σk39 is

    σ²(F) = Σ_i ‖(1/K)·g_rad40,i − (R/K²)·g_k39,i‖².

A shared input (the same blank fit for two analyses, say) would need one joint component
vector instead; pass such inputs as separate columns that are non-zero in several rows of
a joint matrix and use :func:`integrated_f` with ``joint=True``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike

from ardvc.errors import MissingInputError, UsageError
from ardvc.reduce.stats import FloatArray


class StepSelection(StrEnum):
    """Which steps an integrated value uses."""

    TOTAL = "total"
    """All steps, omitted ones included (Pychron's ``integrated_include_omitted``, default)."""
    VALID = "valid"
    """The non-omitted steps."""
    PLATEAU = "plateau"
    """The plateau steps (non-omitted steps of the plateau range)."""
    PLATEAU_ELSE_VALID = "Plateau else Valid Integrated"
    """The plateau steps when there is a plateau, else the valid steps (a preferred kind)."""


def integrated_steps(
    n: int,
    *,
    omitted: Sequence[int] = (),
    selection: StepSelection = StepSelection.TOTAL,
    plateau_members: Sequence[int] | None = None,
) -> tuple[int, ...]:
    """The step indices an integrated value of ``n`` steps uses, in step order."""
    if n < 0 or any(not 0 <= i < n for i in omitted):
        raise UsageError(f"omitted step indices must lie in 0..{n - 1}")
    valid = tuple(i for i in range(n) if i not in set(omitted))
    if selection is StepSelection.TOTAL:
        return tuple(range(n))
    if selection is StepSelection.VALID:
        return valid
    if plateau_members:
        members = tuple(sorted(int(i) for i in plateau_members))
        if any(not 0 <= i < n for i in members):
            raise UsageError(f"plateau step indices must lie in 0..{n - 1}")
        return tuple(i for i in members if i not in set(omitted))
    if selection is StepSelection.PLATEAU:
        raise MissingInputError("integrated over plateau steps, but there is no plateau")
    return valid


class Weighting(StrEnum):
    """Pychron's ``integrated_age_weighting``."""

    NONE = ""
    """Isotopic recombination: F = Σrad40/Σk39 with full error propagation."""
    VOLUME = "Volume"
    VARIANCE = "Variance"


def parse_weighting(text: str | None) -> Weighting:
    """Stored spellings: ``""``, ``"---"`` or ``None`` mean no weighting."""
    if text is None or text.strip() in {"", "---", "None", "none"}:
        return Weighting.NONE
    try:
        return Weighting(text.strip())
    except ValueError:
        raise UsageError(f"unknown integrated-age weighting {text!r}") from None


@dataclass(frozen=True, slots=True)
class IntegratedF:
    """Integrated F (rad40/k39) of the analyses at ``steps`` and its 1σ error (no J)."""

    value: float
    error: float
    steps: tuple[int, ...]
    weighting: Weighting


def _steps(steps: Sequence[int] | None, n: int) -> list[int]:
    chosen = list(range(n)) if steps is None else [int(i) for i in steps]
    if not chosen:
        raise MissingInputError("integrated value of no steps")
    if any(not 0 <= i < n for i in chosen) or len(set(chosen)) != len(chosen):
        raise UsageError(f"step indices must be distinct and lie in 0..{n - 1}")
    return chosen


def _components(jac: ArrayLike | Sequence[ArrayLike], n: int) -> list[FloatArray]:
    if isinstance(jac, np.ndarray) and jac.ndim == 2:
        seq: Sequence[ArrayLike] = list(jac)
    elif isinstance(jac, Sequence) and not isinstance(jac, str | bytes):
        seq = jac
    else:
        raise UsageError("error components must be an (N, K) array or N 1-D arrays")
    rows = [np.asarray(r, dtype=float).reshape(-1) for r in seq]
    if len(rows) != n:
        raise UsageError(f"need error components for each of the {n} analyses, got {len(rows)}")
    return rows


def integrated_f(
    rad40: ArrayLike,
    k39: ArrayLike,
    rad40_components: ArrayLike | Sequence[ArrayLike],
    k39_components: ArrayLike | Sequence[ArrayLike],
    *,
    steps: Sequence[int] | None = None,
    joint: bool = False,
) -> IntegratedF:
    """F = Σrad40/Σk39 over ``steps`` with its first-order error.

    ``rad40_components[i]`` and ``k39_components[i]`` are the error-component rows of
    analysis i over the same inputs (a (N, K) array, or N 1-D arrays of any length, equal
    within each pair). By default rows of different analyses are independent (see module
    docstring); with ``joint=True`` the rows are columns of one shared input space (all of
    length K) and the components are summed before the norm.
    """
    r = np.asarray(rad40, dtype=float).reshape(-1)
    k = np.asarray(k39, dtype=float).reshape(-1)
    if r.shape != k.shape:
        raise UsageError("rad40 and k39 must have one value per analysis")
    chosen = _steps(steps, r.size)
    gr = _components(rad40_components, r.size)
    gk = _components(k39_components, r.size)
    for i in chosen:
        if gr[i].shape != gk[i].shape:
            raise UsageError(f"analysis {i}: rad40 and k39 components differ in length")
    total_r = float(sum(float(r[i]) for i in chosen))
    total_k = float(sum(float(k[i]) for i in chosen))
    if total_k == 0:
        raise MissingInputError("integrated F: Σk39 is zero")
    dr, dk = 1.0 / total_k, total_r / total_k**2
    if joint:
        width = {gr[i].size for i in chosen}
        if len(width) != 1:
            raise UsageError("joint components must all have the same length")
        g = sum((dr * gr[i] - dk * gk[i] for i in chosen), np.zeros(width.pop()))
        var = float(np.dot(g, g))
    else:
        var = float(sum(float(np.dot(d, d)) for d in (dr * gr[i] - dk * gk[i] for i in chosen)))
    return IntegratedF(total_r / total_k, math.sqrt(var), tuple(chosen), Weighting.NONE)


def weighted_integrated_f(
    f: ArrayLike,
    f_err: ArrayLike,
    k39: ArrayLike,
    weighting: Weighting,
    *,
    steps: Sequence[int] | None = None,
) -> IntegratedF:
    """Pychron's weighted alternatives to Σrad40/Σk39, from per-step F ± σF.

    ``VARIANCE``: inverse-variance weighted mean of F, error (Σw)^(−1/2).
    ``VOLUME``: weights wᵢ = (k39ᵢ/Σk39 · σFᵢ)², error (Σw)^(+1/2) — Pychron's formula,
    kept as is (it is not a standard error of the mean).
    ``NONE`` needs the error components: use :func:`integrated_f`.
    """
    fv = np.asarray(f, dtype=float).reshape(-1)
    fe = np.asarray(f_err, dtype=float).reshape(-1)
    kv = np.asarray(k39, dtype=float).reshape(-1)
    if not fv.shape == fe.shape == kv.shape:
        raise UsageError("f, f_err and k39 must have one value per step")
    chosen = np.asarray(_steps(steps, fv.size))
    fs, es, ks = fv[chosen], fe[chosen], kv[chosen]
    if weighting is Weighting.NONE:
        raise UsageError("unweighted integrated F needs error components: use integrated_f")
    if weighting is Weighting.VOLUME:
        weights = (ks / ks.sum() * es) ** 2
    else:
        if np.any(es == 0):
            raise MissingInputError("variance-weighted integrated F with a zero F error")
        weights = 1 / es**2
    mean, sum_w = np.average(fs, weights=weights, returned=True)
    err = float(sum_w**0.5) if weighting is Weighting.VOLUME else float(sum_w**-0.5)
    return IntegratedF(float(mean), err, tuple(int(i) for i in chosen), weighting)
