"""``ardvc index`` and ``ardvc find``."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.cli.output import csv_text, emit_json, table
from ardvc.errors import UsageError
from ardvc.index.query import Filters, parse_time
from ardvc.index.sync import SyncReport


@click.group("index")
def index_group() -> None:
    """The SQL index: a catalogue derived from git (always rebuildable)."""


def _summary(reports: list[SyncReport]) -> list[tuple[str, ...]]:
    return [
        (r.repo, r.branch, r.mode, (r.old or "")[:10], (r.new or "")[:10], str(r.analyses),
         str(r.removed), str(r.errors), f"{r.seconds:.2f}")
        for r in reports
    ]  # fmt: skip


COLUMNS = ("repository", "branch", "mode", "from", "to", "rows", "removed", "errors", "s")


def _progress_bar(cli: CliContext, total: int) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=cli.err, transient=True, disable=cli.verbosity < 0,
    )  # fmt: skip


@index_group.command("sync")
@click.argument("repos", nargs=-1, metavar="[REPO]...")
@pass_ctx
@report_errors
def index_sync(cli: CliContext, repos: tuple[str, ...]) -> None:
    """Bring the index up to every branch head, from the last indexed commit.

    Only what changed is read (a tree diff per repository), in one transaction per
    repository branch: idempotent, safe to interrupt, correct after a reset or force-push.
    """
    lab = cli.lab()
    sources = lab.index_sources()
    with _progress_bar(cli, len(sources)) as bar:
        task = bar.add_task("syncing", total=len(repos) or len(sources))
        reports = lab.catalog.sync(repos, progress=lambda name, n: bar.advance(task))
    command_log(
        "index sync", repos=len(reports), changed=sum(r.mode != "unchanged" for r in reports)
    )
    cli.console.print(table("index sync", COLUMNS, _summary(reports)))


@index_group.command("rebuild")
@click.option("--processes", type=int, help="Worker processes reading git (default: CPUs).")
@pass_ctx
@report_errors
def index_rebuild(cli: CliContext, processes: int | None) -> None:
    """Empty the index and read every repository again, in parallel."""
    lab = cli.lab()
    sources = lab.index_sources()
    with _progress_bar(cli, len(sources)) as bar:
        task = bar.add_task("rebuilding", total=len(sources))
        reports = lab.catalog.rebuild(processes, progress=lambda name, n: bar.advance(task))
    rows = sum(r.analyses for r in reports)
    command_log("index rebuild", repos=len(reports), rows=rows)
    cli.console.print(table("index rebuild", COLUMNS, _summary(reports)))


@index_group.command("info")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@report_errors
def index_info(cli: CliContext, as_json: bool) -> None:
    """Backend (password masked), schema version, counts, staleness and errors per repo."""
    info = cli.lab().catalog.info()
    if as_json:
        emit_json(cli.console, info.as_dict())
        return
    b = info.backend
    cli.console.print(
        f"backend   {b['backend']} {b['server_version']}  {b['url']}\n"
        f"schema    {info.schema_version or 'none (run ardvc index sync)'}"
        f" (this ardvc: {info.code_version})",
        highlight=False,
    )
    cli.console.print(
        table("rows", ("table", "rows"), [(k, str(v)) for k, v in info.counts.items()])
    )
    rows = [
        (s.name, s.branch, (s.indexed or "—")[:10], (s.head or "—")[:10],
         "stale" if s.stale else "current", "" if s.behind is None else str(s.behind),
         str(len(s.errors)))
        for s in info.repos
    ]  # fmt: skip
    cli.console.print(
        table(
            "repositories",
            ("repository", "branch", "indexed", "head", "state", "behind", "errors"),
            rows,
        )
    )
    for state in info.repos:
        for error in state.errors[:20]:
            cli.console.print(f"[red]{state.name}[/] {error}", highlight=False)


def _when(text: str | None, zone: str | None) -> datetime | None:
    try:
        return parse_time(text, zone)
    except UsageError as exc:
        raise click.BadParameter(str(exc)) from exc


FIND_COLUMNS = ("record_id", "uuid", "repo", "sample", "identifier", "analysis_type",
                "timestamp", "mass_spectrometer", "irradiation", "irradiation_level",
                "irradiation_position", "tag", "path", "commit")  # fmt: skip


@click.command("find")
@click.option("--sample", help="Sample name (* wildcards, any case).")
@click.option("--project")
@click.option("--pi", help="Principal investigator.")
@click.option("--irradiation")
@click.option("--level")
@click.option("--identifier", "identifiers", multiple=True)
@click.option(
    "--type", "types", multiple=True, help="Analysis type (unknown, air, blank_unknown, …)."
)
@click.option("--since", help="ISO date/time (lab time zone unless given).")
@click.option("--until")
@click.option("--repo", "repos", multiple=True)
@click.option("--tag", "tags", multiple=True)
@click.option("--mass-spec")
@click.option(
    "--branch", help="Indexed branch (default: each repository's checked-out one; * = all)."
)
@click.option("--limit", type=int)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option("--no-sync", is_flag=True, help="Query the index as it is (no sync with git first).")
@pass_ctx
@report_errors
def find_cmd(
    cli: CliContext, sample: str | None, project: str | None, pi: str | None,
    irradiation: str | None, level: str | None, identifiers: tuple[str, ...],
    types: tuple[str, ...], since: str | None, until: str | None, repos: tuple[str, ...],
    tags: tuple[str, ...], mass_spec: str | None, branch: str | None, limit: int | None,
    fmt: str, no_sync: bool,
) -> None:  # fmt: skip
    """Find analyses in the index; every result names its place in git.

    \b
    ardvc find --irradiation NM-293 --level G
    ardvc find --sample 'CORN-8*' --type unknown --format csv
    ardvc find --since 2022-01-01 --until 2022-02-01 --mass-spec felix
    """
    lab = cli.lab()
    zone = lab.config.get("lab.timezone") or None
    filters = Filters(
        sample=sample, project=project, pi=pi, irradiation=irradiation, level=level,
        identifier=identifiers, type=types, since=_when(since, zone), until=_when(until, zone),
        repo=repos, tag=tags, mass_spec=mass_spec, branch=branch, limit=limit,
    )  # fmt: skip
    if not no_sync:
        lab.catalog.sync()  # answer for what is in git now, whoever committed it
    records = lab.catalog.find(filters)
    command_log("find", results=len(records))
    rows = [r.as_dict() for r in records]
    if fmt == "json":
        emit_json(cli.console, rows)
    elif fmt == "csv":
        sys.stdout.write(csv_text(rows, FIND_COLUMNS))
    else:
        shown = [
            (r.record_id, r.repo, r.sample or "", r.analysis_type,
             r.timestamp.strftime("%Y-%m-%d %H:%M"), r.mass_spectrometer or "",
             " ".join(str(p) for p in (r.irradiation, r.irradiation_level,
                                       r.irradiation_position) if p is not None),
             r.tag, r.path)
            for r in records
        ]  # fmt: skip
        cols = (
            "run ID",
            "repo",
            "sample",
            "type",
            "time (UTC)",
            "spectrometer",
            "position",
            "tag",
            "path",
        )
        cli.console.print(table(f"{len(records)} analyses", cols, shown))
