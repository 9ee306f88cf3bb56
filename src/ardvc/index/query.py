"""Finding analyses: the filters of ``ardvc find`` / ``lab.find``, as one SQL query.

A record says where the analysis is in git (repository, branch, commit, path, blob id) so
its numbers are always read from git, never from the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, and_, func, or_, select

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


def _samples(f: Filters) -> Any | None:
    """Sample ids matching the sample/project/PI filters, as a subquery on the small tables
    (so the analyses table is reached through its sample index)."""
    if not (f.sample or f.project or f.pi):
        return None
    query = select(Sample.id)
    if f.sample:
        query = query.where(_text(Sample.name, f.sample))
    if f.project:
        query = query.where(
            Sample.project_id.in_(select(Project.id).where(_text(Project.name, f.project)))
        )
    if f.pi:
        pis = select(PrincipalInvestigator.id).where(_text(PrincipalInvestigator.name, f.pi))
        query = query.where(Sample.pi_id.in_(pis))
    return query


def _branches(conn: Connection, f: Filters) -> Any | None:
    """Each repository's searched branch, resolved up front (a handful of rows) instead of
    joining on it for every analysis."""
    if f.branch == "*":
        return None
    pairs = conn.execute(select(Repository.id, Repository.branch)).all()
    wanted = [(rid, f.branch if f.branch is not None else branch) for rid, branch in pairs]
    return or_(
        *[and_(Analysis.repository_id == rid, Analysis.branch == b) for rid, b in wanted if b]
    )


def statement(filters: Filters, branches: Any | None = None) -> Select[*tuple[Any, ...]]:
    f = filters
    query = (
        select(*COLUMNS)
        .join(Repository, Repository.id == Analysis.repository_id)
        .outerjoin(Sample, Sample.id == Analysis.sample_id)
        .outerjoin(Material, Material.id == Sample.material_id)
        .outerjoin(Project, Project.id == Sample.project_id)
        .outerjoin(PrincipalInvestigator, PrincipalInvestigator.id == Sample.pi_id)
    )
    if branches is not None:
        query = query.where(branches)
    samples = _samples(f)
    if samples is not None:
        query = query.where(Analysis.sample_id.in_(samples))
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
        query = query.where(Analysis.tag.in_([t.lower() for t in f.tag]))
    if f.mass_spec:
        spec = f.mass_spec.lower()
        column = Analysis.mass_spectrometer
        query = query.where(column.like(spec.replace("*", "%")) if "*" in spec else column == spec)
    query = query.order_by(Analysis.timestamp, Analysis.repository_id, Analysis.name)
    if f.limit is not None:
        query = query.limit(f.limit)
    return query


def find(engine: Engine, filters: Filters) -> list[AnalysisRecord]:
    with engine.connect() as conn:
        query = statement(filters, _branches(conn, filters))
        return [AnalysisRecord(*row) for row in conn.execute(query)]
