"""J of flux-monitor positions from their analyses: ``mean_j`` of a level (reduction-math §13).

Every analysis listed at a monitor position is reduced to F, turned into J with the
monitor's age, and the position's ``mean_j`` is their inverse-variance weighted mean with
SEM·√MSWD when MSWD > 1. Pychron used every listed analysis, also those flagged omitted
(NM-293 G, 25762-05); ``include_omitted=False`` leaves them out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ardvc.data import DataRepo
from ardvc.errors import ArdvcError
from ardvc.formats.irradiation import MonitorAnalysis
from ardvc.meta import MetaRepo
from ardvc.reduce.constants import ArArConstants
from ardvc.reduce.conventions import Conventions
from ardvc.reduce.flux import j_from_f, mean_j, monitor_age_years
from ardvc.reduce.stats import WeightedMean
from ardvc.reduction.run import reduce_analyses


@dataclass
class PositionFlux:
    """The monitors of one position and their mean J."""

    position: int
    identifier: str | None
    record_ids: list[str]
    j: list[float]
    j_err: list[float]
    mean: WeightedMean | None
    stored_mean_j: float | None
    stored_mean_j_err: float | None
    failures: dict[str, str] = field(default_factory=dict)


def level_flux(
    meta: MetaRepo,
    data: DataRepo,
    irradiation: str,
    level: str,
    *,
    meta_rev: str | None = None,
    data_rev: str | None = None,
    constants: ArArConstants | None = None,
    conventions: Conventions,
    include_omitted: bool = True,
    listed: Mapping[int, Sequence[MonitorAnalysis]] | None = None,
) -> list[PositionFlux]:
    """Mean J of every position that lists analyses (``listed`` replaces the lists the
    level file has, e.g. monitors measured since the last flux fit)."""
    constants = constants or ArArConstants()
    doc = meta.level(irradiation, level, meta_rev)
    out = []
    for position in doc.positions:
        entries = position.analyses if listed is None else listed.get(position.position)
        chosen = [a for a in (entries or []) if include_omitted or not a.omitted]
        if not chosen:
            continue
        analyses, failures = [], {}
        for entry in chosen:
            name = entry.uuid or entry.record_id or "?"
            try:
                analyses.append(data.analysis(entry.record_id or name, data_rev))
            except ArdvcError as exc:
                failures[name] = str(exc)
        reduction = reduce_analyses(
            analyses, meta, meta_rev=meta_rev, constants=constants, conventions=conventions,
            repos={data.name: data},
        )  # fmt: skip
        good = [r for r in reduction.results if r.ok]
        failures.update({r.record_id: str(r.error) for r in reduction.results if not r.ok})
        lam = good[0].lambda_k if good else constants.decay.total
        j, j_err = j_from_f(
            [r.f for r in good],
            monitor_age_years(constants.monitor),
            lam,
            f_err=[r.f_err for r in good],
        )
        mean = mean_j(j, j_err) if good else None
        stored = position.mean_flux
        out.append(
            PositionFlux(
                position=position.position,
                identifier=position.identifier_text,
                record_ids=[r.record_id for r in good],
                j=[float(v) for v in j],
                j_err=[float(v) for v in j_err],
                mean=mean,
                stored_mean_j=stored[0] if stored else None,
                stored_mean_j_err=stored[1] if stored else None,
                failures=failures,
            )
        )
    return out
