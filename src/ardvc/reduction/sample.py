"""One sample (an identifier, optionally one aliquot) reduced with its group values: what
the sample page, ``ardvc plot`` and the exports all start from, so they show one truth."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ardvc.data import Analysis, DataRepo
from ardvc.errors import AnalysisNotFoundError, ArdvcError, UsageError
from ardvc.meta import MetaRepo
from ardvc.reduce.constants import ArArConstants
from ardvc.reduce.conventions import Conventions
from ardvc.reduction.groups import GroupValues, group_values
from ardvc.reduction.run import Reduction, reduce_analyses

SAMPLE_FIELDS = (
    "sample", "material", "grainsize", "project", "principal_investigator", "unit",
    "lithology", "latitude", "longitude", "irradiation", "irradiation_level",
    "irradiation_position", "mass_spectrometer",
)  # fmt: skip


@dataclass(frozen=True)
class SampleReport:
    """The reduced steps of one sample and its group values (``None`` with the reason
    when no group statistics exist, e.g. nothing reduced)."""

    repo: str
    commit: str
    identifier: str
    aliquot: int | None
    info: dict[str, Any]
    analyses: list[Analysis]
    reduction: Reduction
    groups: GroupValues | None
    groups_error: str | None

    @property
    def title(self) -> str:
        sample = self.info.get("sample") or ""
        aliquot = f"-{self.aliquot:02d}" if self.aliquot is not None else ""
        return f"{sample} ({self.identifier}{aliquot})" if sample else self.identifier + aliquot

    def require_groups(self) -> GroupValues:
        if self.groups is None:
            raise ArdvcError(f"{self.title}: no group values: {self.groups_error}")
        return self.groups


def sample_info(analyses: Sequence[Analysis]) -> dict[str, Any]:
    """Sample metadata from the first readable main file."""
    for analysis in analyses:
        try:
            main = analysis.main
        except ArdvcError:
            continue
        return {key: getattr(main, key, None) for key in SAMPLE_FIELDS}
    return dict.fromkeys(SAMPLE_FIELDS)


def _order(analysis: Analysis) -> tuple[int, int]:
    """Aliquot and step; an unreadable main file sorts last (it reduces as a failure)."""
    try:
        main = analysis.main
    except ArdvcError:
        return (1 << 30, 0)
    return (main.aliquot, -1 if main.increment is None else main.increment)


def choose_aliquot(analyses: Sequence[Analysis], aliquot: int | None) -> list[Analysis]:
    """The analyses of ``aliquot`` (all when ``None``) in aliquot and step order."""
    chosen = [a for a in analyses if aliquot is None or _order(a)[0] == aliquot]
    return sorted(chosen, key=_order)


def reduce_sample(
    data: DataRepo,
    meta: MetaRepo,
    analyses: Sequence[Analysis],
    *,
    identifier: str,
    aliquot: int | None = None,
    meta_rev: str | None = None,
    constants: ArArConstants | None = None,
    conventions: Conventions,
) -> SampleReport:
    """Reduce ``analyses`` (the steps of ``identifier``) and compute their group values."""
    chosen = choose_aliquot(analyses, aliquot)
    if not chosen:
        what = f"{identifier}-{aliquot:02d}" if aliquot is not None else identifier
        raise AnalysisNotFoundError(
            f"no analysis of {what} in {data.name}",
            hint="ardvc find --identifier ID lists its analyses and aliquots",
        )
    others = sorted({a.main.identifier for a in chosen if _order(a)[0] < 1 << 30} - {identifier})
    if others:
        raise UsageError(f"the steps belong to {', '.join(others)}, not {identifier}")
    reduction = reduce_analyses(
        chosen, meta, meta_rev=meta_rev, constants=constants, conventions=conventions,
        repos={data.name: data},
    )  # fmt: skip
    groups: GroupValues | None = None
    problem: str | None = None
    try:
        groups = group_values(reduction)
    except ArdvcError as exc:
        problem = str(exc)
    return SampleReport(
        repo=data.name, commit=chosen[0].commit, identifier=identifier, aliquot=aliquot,
        info=sample_info(chosen), analyses=chosen, reduction=reduction, groups=groups,
        groups_error=problem,
    )  # fmt: skip
