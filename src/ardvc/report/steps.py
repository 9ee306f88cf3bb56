"""The step-heating table of a sample and its group values, as rows: what the sample page,
the JSON API, the xlsx table and the Sparrow payload all show, computed once from the
engine's arrays.

Ratios are of the corrected intensities that enter the age equation (baseline, blank, IC
and decay corrected; not interference corrected), as published step-heating tables give
them. Every error is 1σ; an age error states whether it includes the J error.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ardvc.reduce.stats import ErrorKind
from ardvc.reduction.groups import GroupValues
from ardvc.reduction.sample import SampleReport
from ardvc.report import _style as st


def _num(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class StepRow:
    record_id: str
    uuid: str | None
    step: str
    tag: str
    omitted: bool
    plateau_step: bool
    extract_value: float | None
    extract_units: str | None
    ar40_ar39: float | None
    ar40_ar39_err: float | None
    ar37_ar39: float | None
    ar37_ar39_err: float | None
    ar36_ar39: float | None
    ar36_ar39_err: float | None
    moles_k39: float | None
    k39: float | None
    k39_percent: float | None
    cumulative_k39_percent: float | None
    kca: float | None
    kca_err: float | None
    radiogenic_yield: float | None
    f: float | None
    f_err: float | None
    age: float | None
    age_err: float | None
    """1σ, without the J error."""
    age_err_with_j: float | None
    error: str | None = None
    """Why the step has no numbers (it did not reduce)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GroupRow:
    kind: str
    """``plateau``, ``weighted_mean``, ``integrated`` or ``isochron``."""
    label: str
    value: float
    error: float
    """1σ without J (SEM·√MSWD when MSWD > 1 for plateau and weighted mean)."""
    error_with_j: float
    mswd: float | None
    n: int
    steps: str
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def step_rows(report: SampleReport) -> list[StepRow]:
    """One row per selected analysis, in step order (failed ones with their reason)."""
    reduction, groups = report.reduction, report.groups
    chain = reduction.chain
    omitted = set(groups.omitted) if groups else set()
    plateau = set()
    if groups is not None and groups.plateau is not None:
        plateau = {groups.steps[k] for k in groups.plateau.members}
    k39_total = sum(reduction.results[i].k39 for i in groups.steps) if groups else math.nan
    cumulative = 0.0
    rows = []
    for i, (analysis, r) in enumerate(zip(report.analyses, reduction.results, strict=True)):
        extraction = analysis.extraction if r.ok else None
        ratios: dict[str, tuple[float | None, float | None]] = {}
        if chain is not None and r.ok:
            row = reduction.rows[i]
            a39 = chain.intensities["Ar39"][np.array([row])]
            for iso in ("Ar40", "Ar37", "Ar36"):
                q = chain.intensities[iso][np.array([row])] / a39
                ratios[iso] = (_num(q.value[0]), _num(q.std[0]))
        share = 100 * r.k39 / k39_total if r.ok and groups and i in groups.steps else math.nan
        if math.isfinite(share):
            cumulative += share
        none = (None, None)
        rows.append(
            StepRow(
                record_id=r.record_id, uuid=r.uuid, step=st.step_name(r.record_id), tag=r.tag,
                omitted=i in omitted, plateau_step=i in plateau,
                extract_value=extraction.extract_value if extraction else None,
                extract_units=extraction.extract_units if extraction else None,
                ar40_ar39=ratios.get("Ar40", none)[0], ar40_ar39_err=ratios.get("Ar40", none)[1],
                ar37_ar39=ratios.get("Ar37", none)[0], ar37_ar39_err=ratios.get("Ar37", none)[1],
                ar36_ar39=ratios.get("Ar36", none)[0], ar36_ar39_err=ratios.get("Ar36", none)[1],
                moles_k39=_num(r.moles_k39), k39=_num(r.k39), k39_percent=_num(share),
                cumulative_k39_percent=cumulative if math.isfinite(share) else None,
                kca=_num(r.kca), kca_err=_num(r.kca_err),
                radiogenic_yield=_num(r.radiogenic_yield), f=_num(r.f), f_err=_num(r.f_err),
                age=_num(r.age), age_err=_num(r.age_err), age_err_with_j=_num(r.age_err_with_j),
                error=r.error,
            )
        )  # fmt: skip
    return rows


def _span(report: SampleReport, groups: GroupValues, members: tuple[int, ...]) -> str:
    names = [st.step_name(report.reduction.results[groups.steps[k]].record_id) for k in members]
    return f"{names[0]}–{names[-1]}" if len(names) > 1 else "".join(names)


def group_rows(report: SampleReport) -> list[GroupRow]:
    """Plateau (if any), weighted mean, integrated and inverse-isochron ages (if any)."""
    groups = report.groups
    if groups is None:
        return []
    rows = []
    jr = groups.j_rel_error
    p = groups.plateau
    if p is not None:
        rows.append(GroupRow(
            "plateau", "Plateau", p.value, p.error(ErrorKind.MSEM), p.error(ErrorKind.MSEM, jr),
            p.mswd, len(p.members), _span(report, groups, p.members),
            f"{p.gas_fraction:.1f} % of 39Ar_K",
        ))  # fmt: skip
    w = groups.weighted
    rows.append(GroupRow(
        "weighted_mean", "Weighted mean", w.value, w.error_as(ErrorKind.MSEM),
        w.error_as(ErrorKind.MSEM, jr), w.mswd, len(w.members), _span(report, groups, w.members),
    ))  # fmt: skip
    i = groups.integrated
    index = {s: k for k, s in enumerate(groups.steps)}
    rows.append(GroupRow(
        "integrated", "Integrated (total gas)", i.value, i.error, i.error_with_j, None,
        len(i.members), _span(report, groups, tuple(index[m] for m in i.members)),
    ))  # fmt: skip
    iso, fit = groups.isochron, groups.isochron_fit
    if iso is not None and fit is not None:
        rows.append(GroupRow(
            "isochron", "Inverse isochron", iso.value, iso.error, iso.error_with_j, fit.mswd,
            len(iso.members), _span(report, groups, tuple(index[m] for m in iso.members)),
            f"(40Ar/36Ar)trapped = {fit.trapped_4036:.2f} ± {fit.trapped_4036_err:.2f}",
        ))  # fmt: skip
    return rows
