"""The HTML pages: catalogue, repositories, analysis, sample, irradiations; and the two
write forms (tag an analysis, save an interpreted age), each needing the lab token and the
page's CSRF token."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ardvc.errors import ArdvcError, NotFoundError, UsageError
from ardvc.formats.tags import KNOWN_TAGS
from ardvc.index.query import Filters, parse_time
from ardvc.reduce.inputs import ISOTOPES
from ardvc.reduction.ia_list import ia_files
from ardvc.reduction.ia_write import PREFERRED_KINDS
from ardvc.report.steps import group_rows, step_rows
from ardvc.web import figures
from ardvc.web.security import SESSION_COOKIE, WriteGuard
from ardvc.web.state import WebState, session_of, state_of
from ardvc.web.views import analysis_view

router = APIRouter(include_in_schema=False)
SEARCH_FIELDS = (
    ("sample", "sample (* wildcards)"), ("identifier", "identifier"), ("project", "project"),
    ("pi", "PI"), ("irradiation", "irradiation"), ("level", "level"), ("type", "type"),
    ("since", "since"), ("until", "until"), ("repo", "repository"), ("tag", "tag"),
    ("mass_spec", "spectrometer"),
)  # fmt: skip
CORRECTION_KEYS = ("baseline_corrected_intercepts", "blanks", "icfactors", "ic_corrected_values",
                   "interference_corrected_values")  # fmt: skip
MAX_LIMIT = 5000


def render_page(
    request: Request, name: str, context: dict[str, Any], *, status: int = 200, plots: bool = False
) -> Response:
    """A page with the shared context; gives the browser a session cookie (for CSRF) once."""
    state = state_of(request)
    session = session_of(request)
    new_session = session is None
    if session is None:
        session = WriteGuard.new_session()
    base = {
        "lab_name": state.lab.config.get("lab.name") or state.lab.root.name,
        "writes_enabled": state.guard.writes_enabled,
        "csrf_token": state.guard.csrf_token(session),
        "message": request.query_params.get("message"),
        "plots": plots,
    }
    response = state.templates.TemplateResponse(
        request, name, {**base, **context}, status_code=status
    )
    if new_session:
        response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="strict", path="/")
    return response


def authorised(request: Request, csrf_token: str, token: str) -> WebState:
    """The state, once the form proves it came from this browser session and carries the
    lab's write token (:class:`~ardvc.web.security.WriteRefused` otherwise)."""
    state = state_of(request)
    state.guard.check_csrf(session_of(request), csrf_token)
    state.guard.check_token(token)
    return state


@router.get("/", response_class=HTMLResponse)
def catalogue(request: Request) -> Response:
    state = state_of(request)
    form = {k: v for k, v in request.query_params.items() if v.strip()}
    searched = any(k in form for k, _ in SEARCH_FIELDS)
    records: list[Any] = []
    error = None
    limit = min(_int(form.get("limit"), "limit") or 200, MAX_LIMIT)
    if searched:
        with state.lock:
            zone = state.lab.config.get("lab.timezone") or None
            try:
                filters = Filters(
                    sample=form.get("sample"), project=form.get("project"), pi=form.get("pi"),
                    irradiation=form.get("irradiation"), level=form.get("level"),
                    identifier=_many(form.get("identifier")), type=_many(form.get("type")),
                    since=parse_time(form.get("since"), zone),
                    until=parse_time(form.get("until"), zone), repo=_many(form.get("repo")),
                    tag=_many(form.get("tag")), mass_spec=form.get("mass_spec"), limit=limit,
                )  # fmt: skip
                state.sync_index()
                records = state.lab.find(**vars(filters))
            except ArdvcError as exc:
                error = str(exc)
    return render_page(request, "index.html", {
        "fields": SEARCH_FIELDS, "form": form, "records": records, "searched": searched,
        "error": error, "limit": limit,
    })  # fmt: skip


def _int(value: str | None, name: str) -> int | None:
    """A whole number from a query or form field (``None`` when empty)."""
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise UsageError(f"{name} must be a whole number, not {value!r}") from exc


def _many(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").replace(",", " ").split() if v.strip()]


@router.get("/repositories", response_class=HTMLResponse)
def repositories(request: Request) -> Response:
    state = state_of(request)
    with state.lock:
        states = state.lab.repository_status(state.summaries)
    return render_page(request, "repositories.html", {"states": states})


@router.get("/analyses/{repo}/{name}", response_class=HTMLResponse)
def analysis_page(request: Request, repo: str, name: str, at: str | None = None) -> Response:
    state = state_of(request)
    with state.lock:
        view = analysis_view(state.lab, repo, name, at, history=state.history)
        figs = {ev.label: figures.evolution(ev) for ev in view.evolutions}
    return render_page(request, "analysis.html", {
        "v": view, "figures": figs, "tags": KNOWN_TAGS, "isotopes_order": ISOTOPES[::-1],
        "correction_keys": CORRECTION_KEYS,
        "refits": {ev.key: ev for ev in view.signals},
    }, plots=True)  # fmt: skip


@router.get("/analyses/{repo}/{name}/changes/{commit}", response_class=HTMLResponse)
def analysis_changes(request: Request, repo: str, name: str, commit: str) -> Response:
    """The values one commit changed in this analysis' files (an HTML fragment)."""
    state = state_of(request)
    with state.lock:
        lab = state.lab
        analysis = lab.analysis_in(repo, name)
        entry = next((e for e in state.history(analysis) if e.commit.startswith(commit)), None)
        if entry is None:
            raise NotFoundError(f"commit {commit} did not change {analysis.record_id}")
    return state.templates.TemplateResponse(request, "changes.html", {"files": entry.files})


@router.post("/analyses/{repo}/{name}/tag")
def tag_analysis(
    request: Request,
    repo: str,
    name: str,
    tag: Annotated[str, Form()],
    token: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    state = authorised(request, csrf_token, token)
    with state.lock:
        analysis = state.lab.analysis_in(repo, name)
        result = state.lab.tag(repo, [analysis.name], tag, note=note or None)
    done = (f"tagged {analysis.record_id} {tag}: commit {result.commit[:10]}" if result.commit
            else f"{analysis.record_id} is already tagged {tag}; nothing committed")  # fmt: skip
    where = f"/analyses/{quote(repo)}/{quote(analysis.name)}?{urlencode({'message': done})}"
    return RedirectResponse(where, status_code=303)


def _sample_args(request: Request) -> dict[str, Any]:
    q = request.query_params
    return {"aliquot": _int(q.get("aliquot"), "aliquot"), "at": q.get("at") or None,
            "meta_at": q.get("meta_at") or None}  # fmt: skip


@router.get("/samples/{repo}/{identifier}", response_class=HTMLResponse)
def sample_page(request: Request, repo: str, identifier: str) -> Response:
    state = state_of(request)
    args = _sample_args(request)
    with state.lock:
        report = state.lab.sample(repo, identifier, **args)
        ages = ia_files(state.lab.repo(repo), identifier, args["at"])
        context = {
            "report": report, "figures": figures.sample_figures(report),
            "steps": step_rows(report), "groups": group_rows(report), "ages": ages,
            "preferred_kinds": PREFERRED_KINDS,
            "query": ("?" + urlencode({k: v for k, v in request.query_params.items() if v}))
            if request.query_params else "",
        }  # fmt: skip
    return render_page(request, "sample.html", context, plots=True)


@router.post("/samples/{repo}/{identifier}/ia")
def save_interpreted_age(
    request: Request,
    repo: str,
    identifier: str,
    token: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    preferred: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    aliquot: Annotated[str, Form()] = "",
) -> Response:
    state = authorised(request, csrf_token, token)
    with state.lock:
        lab = state.lab
        names: list[str] = []
        chosen = _int(aliquot, "aliquot")
        if chosen is not None:
            names = [a.name for a in lab.sample(repo, identifier, aliquot=chosen).analyses]
        plan, result = lab.save_interpreted_age(
            repo, identifier, names=names, name=name or None, preferred=preferred or None
        )
    done = f"saved {plan.path} ({plan.preferred}): commit {(result.commit or '')[:10]}"
    query = {"message": done, **({"aliquot": aliquot} if aliquot else {})}
    return RedirectResponse(
        f"/samples/{quote(repo)}/{quote(identifier)}?{urlencode(query)}", status_code=303
    )


@router.get("/irradiations", response_class=HTMLResponse)
def irradiations(request: Request) -> Response:
    state = state_of(request)
    with state.lock:
        meta = state.lab.meta
        context = {"irradiations": meta.irradiations(), "meta_name": meta.name,
                   "meta_commit": meta.commit_id(None)}  # fmt: skip
    return render_page(request, "irradiations.html", context)


@router.get("/irradiations/{irradiation}", response_class=HTMLResponse)
def irradiation_page(request: Request, irradiation: str) -> Response:
    state = state_of(request)
    with state.lock:
        meta = state.lab.meta
        levels = meta.levels(irradiation)
        segments: list[Any] = []
        problem = None
        try:
            segments = list(meta.chronology(irradiation).segments)
        except ArdvcError as exc:
            problem = str(exc)
    return render_page(request, "irradiation.html", {
        "irradiation": irradiation, "levels": levels, "segments": segments,
        "chronology_error": problem,
    })  # fmt: skip


@router.get("/irradiations/{irradiation}/{level}", response_class=HTMLResponse)
def level_page(request: Request, irradiation: str, level: str) -> Response:
    state = state_of(request)
    with state.lock:
        found = state.lab.meta.level(irradiation, level)
    return render_page(request, "level.html", {
        "irradiation": irradiation, "level_name": level, "level": found,
    })  # fmt: skip


@router.get("/api", response_class=HTMLResponse)
def api_index(request: Request) -> Response:
    """The JSON endpoints, from the app's own OpenAPI description (no CDN-hosted docs UI)."""
    spec = request.app.openapi()
    endpoints = [
        {"method": method.upper(), "path": path, "summary": op.get("summary", "")}
        for path, item in spec.get("paths", {}).items() for method, op in item.items()
    ]  # fmt: skip
    return render_page(request, "api.html", {"endpoints": endpoints})
