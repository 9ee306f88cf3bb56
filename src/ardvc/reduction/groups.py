"""Group values of a sample from a reduction: weighted mean, plateau, integrated age and
inverse isochron (reduction-math.md §12), each recording exactly which steps it used."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ardvc.errors import ArdvcError, MissingInputError
from ardvc.formats.tags import is_excluding
from ardvc.reduce.chain import ArArResults
from ardvc.reduce.flux import age_from_f
from ardvc.reduce.integrated import integrated_f
from ardvc.reduce.isochron import InverseIsochron, error_correlation, inverse_isochron
from ardvc.reduce.plateau import Plateau, plateau
from ardvc.reduce.stats import FloatArray, WeightedMean, weighted_mean
from ardvc.reduce.uncertain import UArray
from ardvc.reduction.run import Reduction


@dataclass(frozen=True)
class AgeValue:
    """An age with its error without and with the J error, and the steps it used."""

    value: float
    error: float
    error_with_j: float
    members: tuple[int, ...]


@dataclass(frozen=True)
class GroupValues:
    """Everything the group statistics give for one sample (indices are result indices)."""

    steps: tuple[int, ...]
    omitted: tuple[int, ...]
    j: float
    j_rel_error: float
    weighted: WeightedMean
    plateau: Plateau | None
    integrated: AgeValue
    """Over every step, omitted ones included (Pychron's default)."""
    integrated_valid: AgeValue | None
    """Over the non-omitted steps only."""
    isochron: AgeValue | None
    isochron_fit: InverseIsochron | None


def group_values(reduction: Reduction, steps: Sequence[int] | None = None) -> GroupValues:
    """Group statistics over ``steps`` (default: every reduced result, in order).

    Omitted analyses (excluding tags) are left out of the weighted mean and isochron, kept
    in the integrated age (Pychron's default), and flagged for the plateau search.
    """
    chain = reduction.chain
    if chain is None:
        raise MissingInputError("no analysis could be reduced: no group values")
    chosen = tuple(
        i for i in (steps if steps is not None else range(len(reduction.results)))
        if reduction.results[i].ok
    )  # fmt: skip
    if not chosen:
        raise MissingInputError("no reduced analysis among the steps")
    rows = np.array([reduction.rows[i] for i in chosen])
    results = [reduction.results[i] for i in chosen]
    omitted = tuple(k for k, r in enumerate(results) if is_excluding(r.tag))
    kept = [k for k in range(len(results)) if k not in omitted]
    ages = np.array([r.age for r in results])
    errors = np.array([r.age_err for r in results])
    j, j_err, lam = results[0].j, results[0].j_err, results[0].lambda_k
    j_rel = j_err / j if j else 0.0
    weighted = weighted_mean(ages, errors, members=kept)
    found = plateau(ages, errors, chain.k39.value[rows], excluded=omitted)
    integrated = _integrated(reduction, chosen, rows, j, j_err, lam)
    valid = None
    if kept and omitted:
        valid = _integrated(reduction, tuple(chosen[k] for k in kept), rows[kept], j, j_err, lam)
    fit, iso = _isochron(reduction, chosen, rows, kept, j, j_err, lam)
    return GroupValues(
        steps=chosen, omitted=tuple(chosen[k] for k in omitted), j=j, j_rel_error=j_rel,
        weighted=weighted, plateau=found, integrated=integrated, integrated_valid=valid,
        isochron=iso, isochron_fit=fit,
    )  # fmt: skip


def _integrated(
    reduction: Reduction,
    chosen: tuple[int, ...],
    rows: np.ndarray,
    j: float,
    j_err: float,
    lam: float,
) -> AgeValue:
    chain = reduction.chain
    assert chain is not None
    rad40, k39 = chain.rad40[rows], chain.k39[rows]
    f = integrated_f(rad40.value, k39.value, rad40.jac, k39.jac)
    age, err = age_from_f(f.value, j, lam, f_err=f.error)
    _, err_j = age_from_f(f.value, j, lam, f_err=f.error, j_err=j_err)
    return AgeValue(float(age), float(err), float(err_j), chosen)


def _isochron(
    reduction: Reduction,
    chosen: tuple[int, ...],
    rows: np.ndarray,
    kept: list[int],
    j: float,
    j_err: float,
    lam: float,
) -> tuple[InverseIsochron | None, AgeValue | None]:
    """Pychron's inverse isochron: 39/40 and 36/40 with 40Ar less 40Ar_K, ρ from the
    relative errors, York (Mahon errors) with x regressed on y."""
    chain = reduction.chain
    assert chain is not None
    if len(kept) < 3:
        return None, None
    x, sx, y, sy, rho = _isochron_arrays(chain, rows)
    excluded = [k for k in range(len(chosen)) if k not in kept]
    try:
        fit = inverse_isochron(x, sx, y, sy, rho, excluded=excluded)
    except ArdvcError:
        return None, None
    if not math.isfinite(fit.f):
        return fit, None
    age, err = age_from_f(fit.f, j, lam, f_err=fit.f_err)
    _, err_j = age_from_f(fit.f, j, lam, f_err=fit.f_err, j_err=j_err)
    members = tuple(chosen[k] for k in kept)
    return fit, AgeValue(float(age), float(err), float(err_j), members)


@dataclass(frozen=True)
class IsochronPoints:
    """The inverse-isochron points of a sample exactly as the fit in :func:`group_values`
    sees them, so plots and exports show what was regressed (1σ errors, ρ of x and y)."""

    steps: tuple[int, ...]
    """Result index of each point (``GroupValues.steps``)."""
    omitted: tuple[bool, ...]
    """True for points left out of the fit (excluding tags)."""
    x: FloatArray
    """39Ar_K / (40Ar − 40Ar_K)."""
    x_err: FloatArray
    y: FloatArray
    """36Ar_atm / (40Ar − 40Ar_K)."""
    y_err: FloatArray
    rho: FloatArray


def isochron_points(reduction: Reduction, groups: GroupValues) -> IsochronPoints:
    """Every step of ``groups`` as an isochron point, the omitted ones flagged."""
    chain = reduction.chain
    if chain is None:
        raise MissingInputError("no analysis could be reduced: no isochron points")
    rows = np.array([reduction.rows[i] for i in groups.steps])
    x, sx, y, sy, rho = _isochron_arrays(chain, rows)
    left_out = set(groups.omitted)
    return IsochronPoints(
        steps=groups.steps, omitted=tuple(i in left_out for i in groups.steps),
        x=x, x_err=sx, y=y, y_err=sy, rho=rho,
    )  # fmt: skip


def isochron_components(chain: ArArResults, rows: np.ndarray) -> tuple[UArray, UArray, UArray]:
    """(40Ar − 40Ar_K, 39Ar_K, 36Ar_atm) of ``rows``: the isotopes every isochron ratio of
    a step is made of (inverse and normal isochrons, IsoplotR exports)."""
    a40 = chain.intensities["Ar40"][rows] - chain.k40[rows]
    return a40, chain.k39[rows], chain.atmospheric.atm36[rows]


def _isochron_arrays(
    chain: ArArResults, rows: np.ndarray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Pychron's points: 40Ar less 40Ar_K, ρ from the relative errors (not the Jacobians)."""
    a40, k39, atm36 = isochron_components(chain, rows)
    x, y = k39 / a40, atm36 / a40
    rho = error_correlation(a40.std / a40.value, atm36.std / atm36.value, k39.std / k39.value)
    return x.value, x.std, y.value, y.std, rho
