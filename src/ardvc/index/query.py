"""Finding analyses: the filters of ``ardvc find`` / ``lab.find``, as one SQL query.

A record says where the analysis is in git (repository, branch, commit, path, blob id) so
its numbers are always read from git, never from the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, func, or_, select

from ardvc.index.models import (
    Analysis,
    Material,
    PrincipalInvestigator,
    Project,
    Repository,
    Sample,
)


@dataclass(frozen=True, slots=True)
class AnalysisRecord:
    repo: str
    branch: str
    commit: str
    path: str
    blob_id: str
    name: str
    uuid: str | None
    record_id: str
    identifier: str
    aliquot: int
    step: str
    analysis_type: str
    timestamp: datetime
    mass_spectrometer: str | None
    extract_device: str | None
    sample: str | None
    material: str | None
    project: str | None
    principal_investigator: str | None
    irradiation: str | None
    irradiation_level: str | None
    irradiation_position: int | None
    tag: str

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["timestamp"] = self.timestamp.isoformat()
        return out


@dataclass(frozen=True)
class Filters:
    """Every filter is optional; lists match any of their values; text matches ignore case
    and accept ``*`` wildcards."""

    sample: str | None = None
    project: str | None = None
    pi: str | None = None
    irradiation: str | None = None
    level: str | None = None
    identifier: Sequence[str] = ()
    type: Sequence[str] = ()
    since: datetime | None = None
    until: datetime | None = None
    repo: Sequence[str] = ()
    tag: Sequence[str] = ()
    mass_spec: str | None = None
    branch: str | None = None
    """``None``: each repository's checked-out branch; ``"*"``: every indexed branch."""
    limit: int | None = None


def _text(column: Any, value: str) -> Any:
    if "*" in value:
        return func.lower(column).like(value.lower().replace("*", "%"))
    return func.lower(column) == value.lower()


COLUMNS = (
    Repository.name.label("repo"), Analysis.branch, Analysis.commit, Analysis.path,
    Analysis.blob_id, Analysis.name, Analysis.uuid, Analysis.record_id, Analysis.identifier,
    Analysis.aliquot, Analysis.step, Analysis.analysis_type, Analysis.timestamp,
    Analysis.mass_spectrometer, Analysis.extract_device, Sample.name.label("sample"),
    Material.name.label("material"), Project.name.label("project"),
    PrincipalInvestigator.name.label("principal_investigator"), Analysis.irradiation,
    Analysis.irradiation_level, Analysis.irradiation_position, Analysis.tag,
)  # fmt: skip


def statement(filters: Filters) -> Select[*tuple[Any, ...]]:
    query = (
        select(*COLUMNS)
        .join(Repository, Repository.id == Analysis.repository_id)
        .outerjoin(Sample, Sample.id == Analysis.sample_id)
        .outerjoin(Material, Material.id == Sample.material_id)
        .outerjoin(Project, Project.id == Sample.project_id)
        .outerjoin(PrincipalInvestigator, PrincipalInvestigator.id == Sample.pi_id)
    )
    f = filters
    if f.branch is None:
        query = query.where(Analysis.branch == Repository.branch)
    elif f.branch != "*":
        query = query.where(Analysis.branch == f.branch)
    if f.sample:
        query = query.where(_text(Sample.name, f.sample))
    if f.project:
        query = query.where(_text(Project.name, f.project))
    if f.pi:
        query = query.where(_text(PrincipalInvestigator.name, f.pi))
    if f.irradiation:
        query = query.where(Analysis.irradiation == f.irradiation)
    if f.level:
        query = query.where(Analysis.irradiation_level == f.level)
    if f.identifier:
        query = query.where(Analysis.identifier.in_(list(f.identifier)))
    if f.type:
        query = query.where(Analysis.analysis_type.in_([t.lower() for t in f.type]))
    if f.since is not None:
        query = query.where(Analysis.timestamp >= f.since)
    if f.until is not None:
        query = query.where(Analysis.timestamp <= f.until)
    if f.repo:
        query = query.where(Repository.name.in_(list(f.repo)))
    if f.tag:
        query = query.where(or_(*[func.lower(Analysis.tag) == t.lower() for t in f.tag]))
    if f.mass_spec:
        query = query.where(_text(Analysis.mass_spectrometer, f.mass_spec))
    query = query.order_by(Analysis.timestamp, Repository.name, Analysis.name)
    if f.limit is not None:
        query = query.limit(f.limit)
    return query


def find(engine: Engine, filters: Filters) -> list[AnalysisRecord]:
    with engine.connect() as conn:
        return [AnalysisRecord(**row._asdict()) for row in conn.execute(statement(filters))]
