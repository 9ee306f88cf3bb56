"""The JSON API under ``/api/`` (OpenAPI at ``/api/openapi.json``): analyses, samples,
interpreted ages and repositories, read from git; writes take ``Authorization: Bearer``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ardvc.data.view import IsotopeRow
from ardvc.errors import NotFoundError
from ardvc.index.query import AnalysisRecord, Filters, parse_time
from ardvc.provenance.history import ITEMS
from ardvc.reduction.evolution import Evolution
from ardvc.reduction.ia_list import IASummary, ia_files, read_ia_path
from ardvc.reduction.sample import SampleReport
from ardvc.report.isoplotr import isoplotr_csv, isoplotr_table
from ardvc.report.sparrow import sparrow_session
from ardvc.report.steps import GroupRow, StepRow, group_rows, step_rows
from ardvc.report.xlsx import step_table_workbook
from ardvc.web.security import bearer
from ardvc.web.state import state_of
from ardvc.web.views import analysis_view

router = APIRouter(prefix="/api", tags=["api"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AnalysisOut(BaseModel):
    metadata: dict[str, Any]
    isotopes: list[IsotopeRow]
    result: dict[str, Any] | None = Field(description="the reduction with the lab's settings")
    corrections: dict[str, Any] | None = Field(description="per-isotope intermediate values")
    meta_commit: str | None
    conventions: str | None


class EvolutionOut(BaseModel):
    series: str
    key: str
    detector: str | None
    fit: str | None
    t: list[float]
    y: list[float]
    time_zero: float
    user_excluded: list[int]
    outliers: list[int]
    fit_t: list[float]
    fit_y: list[float]
    value: float | None
    error: float | None
    stored_value: float | None
    stored_error: float | None
    n: int
    fn: int
    problem: str | None


class TagIn(BaseModel):
    tag: str = Field(description="ok, omit, invalid, outlier, skip, …")
    note: str | None = None


class TagOut(BaseModel):
    record_id: str
    tag: str
    commit: str | None = Field(description="null when the tag was already set")


class SampleOut(BaseModel):
    title: str
    repo: str
    commit: str
    meta_commit: str
    conventions: str
    identifier: str
    aliquot: int | None
    info: dict[str, Any]
    steps: list[StepRow]
    groups: list[GroupRow]
    groups_error: str | None


class IASaveIn(BaseModel):
    preferred: str | None = Field(None, description="plateau, weighted_mean, integrated, isochron")
    name: str | None = None
    aliquot: int | None = None
    exclude: list[str] = Field(default_factory=list, description="run IDs left out")


class IASaveOut(BaseModel):
    path: str
    commit: str | None
    preferred: str
    age: float | None
    age_err: float | None


def _finite(value: float) -> float | None:
    return value if value == value and abs(value) != float("inf") else None


def _evolution(ev: Evolution) -> EvolutionOut:
    return EvolutionOut(
        series=ev.series, key=ev.key, detector=ev.detector, fit=ev.fit, t=ev.t.tolist(),
        y=ev.y.tolist(), time_zero=ev.time_zero, user_excluded=list(ev.user_excluded),
        outliers=list(ev.outliers), fit_t=ev.fit_t.tolist(), fit_y=ev.fit_y.tolist(),
        value=_finite(ev.value), error=_finite(ev.error), stored_value=ev.stored_value,
        stored_error=ev.stored_error, n=ev.n, fn=ev.fn, problem=ev.problem,
    )  # fmt: skip


@router.get("/analyses", summary="Find analyses (the filters of ardvc find)")
def find_analyses(
    request: Request,
    sample: str | None = None,
    project: str | None = None,
    pi: str | None = None,
    irradiation: str | None = None,
    level: str | None = None,
    identifier: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI reads, never mutates)
    type: Annotated[list[str], Query()] = [],  # noqa: B006
    since: str | None = None,
    until: str | None = None,
    repo: Annotated[list[str], Query()] = [],  # noqa: B006
    tag: Annotated[list[str], Query()] = [],  # noqa: B006
    mass_spec: str | None = None,
    branch: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 200,
) -> list[AnalysisRecord]:
    state = state_of(request)
    with state.lock:
        zone = state.lab.config.get("lab.timezone") or None
        filters = Filters(
            sample=sample, project=project, pi=pi, irradiation=irradiation, level=level,
            identifier=identifier, type=type, since=parse_time(since, zone),
            until=parse_time(until, zone), repo=repo, tag=tag, mass_spec=mass_spec,
            branch=branch, limit=limit,
        )  # fmt: skip
        state.sync_index()
        return state.lab.find(**vars(filters))


@router.get("/analyses/{repo}/{name}", summary="One analysis: stored values, reduction")
def get_analysis(request: Request, repo: str, name: str, at: str | None = None) -> AnalysisOut:
    state = state_of(request)
    with state.lock:
        view = analysis_view(state.lab, repo, name, at)
    return AnalysisOut(
        metadata=view.meta, isotopes=view.isotopes, result=view.result_dict(),
        corrections=view.corrections, meta_commit=view.meta_commit, conventions=view.conventions,
    )  # fmt: skip


@router.get("/analyses/{repo}/{name}/evolutions", summary="Isotope evolutions and their fits")
def get_evolutions(
    request: Request, repo: str, name: str, at: str | None = None
) -> list[EvolutionOut]:
    state = state_of(request)
    with state.lock:
        view = analysis_view(state.lab, repo, name, at)
    return [_evolution(ev) for ev in view.evolutions]


@router.get("/analyses/{repo}/{name}/history", summary="Commits that changed the analysis")
def get_history(request: Request, repo: str, name: str, limit: int = 200) -> list[dict[str, Any]]:
    """Newest first, with Pychron's message tag and, per file, every value the commit
    changed (before/after), as ``ardvc log`` shows them."""
    state = state_of(request)
    with state.lock:
        analysis = state.lab.analysis_in(repo, name)
        revisions = state.lab.history(
            analysis.name, repo=repo, rev=analysis.commit, kinds=ITEMS, limit=limit
        )
    return [r.as_dict() for r in revisions]


@router.post("/analyses/{repo}/{name}/tag", summary="Tag an analysis (needs the write token)")
def post_tag(
    request: Request,
    repo: str,
    name: str,
    body: TagIn,
    authorization: Annotated[str | None, Header()] = None,
) -> TagOut:
    state = state_of(request)
    state.guard.check_token(bearer(authorization))
    with state.lock:
        analysis = state.lab.analysis_in(repo, name)
        result = state.lab.tag(repo, [analysis.name], body.tag, note=body.note)
    return TagOut(record_id=analysis.record_id, tag=body.tag.strip().lower(), commit=result.commit)


@dataclass
class SampleQuery:
    """Which steps, at which commits: one aliquot (default all), the data repository's
    revision and the MetaRepo's (default: their heads)."""

    repo: str
    identifier: str
    aliquot: int | None = None
    at: str | None = None
    meta_at: str | None = None

    def report(self, request: Request) -> SampleReport:
        return state_of(request).lab.sample(
            self.repo, self.identifier, aliquot=self.aliquot, at=self.at, meta_at=self.meta_at
        )


Sample = Annotated[SampleQuery, Depends()]


@router.get("/samples/{repo}/{identifier}", summary="A sample: steps and group ages")
def get_sample(request: Request, query: Sample) -> SampleOut:
    with state_of(request).lock:
        report = query.report(request)
        return SampleOut(
            title=report.title, repo=report.repo, commit=report.commit,
            meta_commit=report.reduction.meta_commit,
            conventions=report.reduction.conventions.name, identifier=report.identifier,
            aliquot=report.aliquot, info=report.info, steps=step_rows(report),
            groups=group_rows(report), groups_error=report.groups_error,
        )  # fmt: skip


def _download(data: bytes, media: str, filename: str) -> Response:
    disposition = f'attachment; filename="{filename}"'
    return Response(data, media_type=media, headers={"Content-Disposition": disposition})


@router.get("/samples/{repo}/{identifier}/isoplotr.csv", summary="IsoplotR Ar-Ar CSV")
def get_isoplotr(
    request: Request,
    query: Sample,
    format: Annotated[int, Query(ge=1, le=3)] = 2,
    skip_omitted: bool = False,
) -> Response:
    with state_of(request).lock:
        report = query.report(request)
        text = isoplotr_csv(isoplotr_table(report, format, include_omitted=not skip_omitted))
    name = f"{query.identifier}-isoplotr{format}.csv"
    return _download(text.encode("utf-8"), "text/csv", name)


@router.get("/samples/{repo}/{identifier}/table.xlsx", summary="Step-heating table (.xlsx)")
def get_xlsx(request: Request, query: Sample) -> Response:
    with state_of(request).lock:
        data = step_table_workbook([query.report(request)])
    return _download(data, XLSX, f"{query.identifier}.xlsx")


@router.get("/samples/{repo}/{identifier}/sparrow.json", summary="Sparrow session payload")
def get_sparrow(request: Request, query: Sample) -> dict[str, Any]:
    with state_of(request).lock:
        return sparrow_session(query.report(request))


@router.post("/samples/{repo}/{identifier}/ia", summary="Save an interpreted age (token)")
def post_ia(
    request: Request,
    repo: str,
    identifier: str,
    body: IASaveIn,
    authorization: Annotated[str | None, Header()] = None,
) -> IASaveOut:
    state = state_of(request)
    state.guard.check_token(bearer(authorization))
    with state.lock:
        lab = state.lab
        names: list[str] = []
        if body.aliquot is not None:
            names = [a.name for a in lab.sample(repo, identifier, aliquot=body.aliquot).analyses]
        plan, result = lab.save_interpreted_age(
            repo, identifier, names=names, name=body.name, preferred=body.preferred,
            exclude=body.exclude,
        )  # fmt: skip
    preferred = plan.content["preferred"]
    return IASaveOut(path=plan.path, commit=result.commit, preferred=plan.preferred,
                     age=preferred.get("age"), age_err=preferred.get("age_err"))  # fmt: skip


@router.get("/ages/{repo}/{identifier}", summary="Interpreted-age files of an identifier")
def get_ages(
    request: Request, repo: str, identifier: str, at: str | None = None
) -> list[IASummary]:
    state = state_of(request)
    with state.lock:
        return ia_files(state.lab.repo(repo), identifier, at)


@router.get("/ages/{repo}/{identifier}/{name}", summary="One interpreted-age file")
def get_age(request: Request, repo: str, identifier: str, name: str) -> dict[str, Any]:
    state = state_of(request)
    with state.lock:
        data = state.lab.repo(repo)
        found = next((s for s in ia_files(data, identifier) if s.name == name), None)
        if found is None:
            raise NotFoundError(f"no interpreted age {name} of {identifier} in {repo}")
        ia = read_ia_path(data, found.path)
    return {"path": found.path, "blob_id": found.blob_id, "content": msgspec.to_builtins(ia)}


@router.get("/repositories", summary="Repositories and their local sync state")
def get_repositories(request: Request) -> list[dict[str, Any]]:
    state = state_of(request)
    with state.lock:
        return [s.as_dict() for s in state.lab.repository_status(state.summaries)]
