"""Finding analyses: the filters of ``ardvc find`` / ``lab.find``, as one SQL query.

A record says where the analysis is in git (repository, branch, commit, path, blob id) so
its numbers are always read from git, never from the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Select, and_, false, func, or_, select

from ardvc.errors import UsageError
from ardvc.index.models import (
    Analysis,
    Material,
    PrincipalInvestigator,
    Project,
    RepoHead,
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


def parse_time(text: str | None, zone: str | None) -> datetime | None:
    """An ISO date/time for ``since``/``until``; naive values are in ``zone`` (UTC unset)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(
            f"not an ISO date: {text!r}", hint="e.g. 2022-01-31 or 2022-01-31T08:00"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone or "UTC"))


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


def _owner_filters(conn: Connection, f: Filters) -> list[Any]:
    """Sample, project and PI filters as literal id lists, read from the small tables first
    so each uses its (owner, time) index on the analyses (an empty match costs nothing)."""
    out = []
    for value, model, column in (
        (f.sample, Sample, Analysis.sample_id),
        (f.project, Project, Analysis.project_id),
        (f.pi, PrincipalInvestigator, Analysis.pi_id),
    ):
        if value:
            found = conn.execute(select(model.id).where(_text(model.name, value))).scalars()
            ids = [int(i) for i in found]
            out.append(column.in_(ids) if ids else false())
    return out


def _branches(conn: Connection, f: Filters) -> list[tuple[int, str]] | None:
    """(repository id, branch) pairs to search, resolved up front from the handful of
    repository rows: the planner then walks the (repository, branch, time) index."""
    if f.branch == "*" and not f.repo:
        return None
    query = select(Repository.id, Repository.branch)
    if f.repo:
        query = query.where(Repository.name.in_(list(f.repo)))
    pairs: list[tuple[int, str]] = []
    for rid, branch in conn.execute(query):
        if f.branch == "*":
            pairs.extend((rid, b) for b in _indexed(conn, rid))
        else:
            chosen = f.branch if f.branch is not None else branch
            if chosen:
                pairs.append((int(rid), str(chosen)))
    return pairs


def _indexed(conn: Connection, repo_id: int) -> list[str]:
    query = select(RepoHead.branch).where(RepoHead.repository_id == repo_id)
    return [str(b) for b in conn.execute(query).scalars()]


def statement(
    filters: Filters,
    branches: list[tuple[int, str]] | None = None,
    owners: Sequence[Any] = (),
) -> Select[*tuple[Any, ...]]:
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
        query = query.where(
            or_(*[and_(Analysis.repository_id == rid, Analysis.branch == b) for rid, b in branches])
            if branches
            else false()
        )
    for condition in owners:
        query = query.where(condition)
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
        query = statement(filters, _branches(conn, filters), _owner_filters(conn, filters))
        return [AnalysisRecord(*row) for row in conn.execute(query)]
