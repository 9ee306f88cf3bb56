"""``ardvc simulate``, ``ardvc outbox`` and ``ardvc runs``: acquisition and what it left."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.cli.output import emit_json, table
from ardvc.persist.outbox import OutboxEntry
from ardvc.persist.persister import PersistResult
from ardvc.persist.push import drain
from ardvc.persist.sim_meta import JMode
from ardvc.persist.simulate import SimulationPlan, simulate


def _positions(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise click.BadParameter(f"expected positions like 2,3,5, got {text!r}") from None


@click.command("simulate")
@click.option("--repo", default="SimLab", show_default=True, help="Data repository to fill.")
@click.option("--seed", default=0, show_default=True, help="Random seed (same seed, same data).")
@click.option("--days", default=1, show_default=True, help="Days of the day plan to run.")
@click.option("--start", default="2024-04-15T08:00", show_default=True,
              help="Time of the first run (naive lab time, ISO).")  # fmt: skip
@click.option("--unknowns", metavar="P,P", help="Irradiation positions to step-heat "
              "(default: the first unknown, position 2).")  # fmt: skip
@click.option("--branch", metavar="NAME", help="Branch to commit on (e.g. data_collection).")
@click.option("--no-meta", is_flag=True, help="Do not write the irradiation into the MetaRepo.")
@click.option("--j", "j_mode", type=click.Choice(["true", "preliminary"]), default="true",
              show_default=True, help="J written for every position: the simulated truth, or "
              "one preliminary J for the can, to be replaced by `ardvc flux`.")  # fmt: skip
@pass_ctx
@report_errors
def simulate_cmd(
    cli: CliContext, repo: str, seed: int, days: int, start: str, unknowns: str | None,
    branch: str | None, no_meta: bool, j_mode: JMode,
) -> None:  # fmt: skip
    """Record a simulated day on a multi-collector spectrometer through the persister.

    A Felix-like Argus VI measures blanks, air shots, FC-2 flux monitors and a
    step-heating unknown of irradiation NM-999 A; every run is committed with Pychron's
    collection commits, queued in the outbox and indexed, exactly as real acquisition.
    The irradiation (chronology, production ratios, positions, hole coordinates as holder
    NM-999-tray, and J) is written into the MetaRepo first, so the runs reduce with
    `ardvc reduce --set atmosphere=lee2006`; with --j preliminary, fit J first with
    `ardvc flux NM-999 A --repo SimLab --holder NM-999-tray --save`.

    \b
    ardvc simulate --repo SimLab --seed 1
    ardvc simulate --days 5 --unknowns 2,3,5 --branch data_collection
    """
    try:
        first = datetime.fromisoformat(start)
    except ValueError:
        raise click.BadParameter(f"not an ISO time: {start!r}", param_hint="--start") from None
    plan = SimulationPlan(
        seed=seed, days=days, start=first, unknowns=_positions(unknowns), j=j_mode
    )
    lab = cli.lab()
    meta = None if no_meta else lab.meta
    results: list[PersistResult] = []
    with (
        lab.persister(repo, branch=branch) as persister,
        Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=cli.err, transient=True, disable=cli.verbosity < 0,
        ) as bar,
    ):  # fmt: skip
        task = bar.add_task("recording runs", total=None)

        def step(done: int, total: int, result: PersistResult) -> None:
            bar.update(task, completed=done, total=total, description=result.record_id)

        results = simulate(persister, meta, lab.author(), plan, progress=step)
    kinds = Counter(r.analysis_type for r in results)
    index_errors = [e for r in results if (e := r.index_error()) is not None]
    problems = [p for r in results for p in r.problems]
    rows = [(r.record_id, r.uuid, r.head[:10]) for r in results[-10:]]
    cli.console.print(table(f"last runs committed to {repo}", ("run ID", "uuid", "commit"), rows))
    cli.console.print(
        f"{len(results)} runs committed to {repo}:{results[-1].branch if results else '-'} "
        f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}); "
        f"{len(lab.outbox)} commits in the outbox",
        highlight=False,
    )
    for problem in problems:
        cli.err.print(f"[yellow]warning:[/] {problem}", highlight=False)
    if index_errors:
        cli.err.print(
            f"[yellow]warning:[/] the index was not updated ({index_errors[-1]}); "
            "run `ardvc index sync` when it is reachable",
            highlight=False,
        )
    command_log("simulate", repo=repo, seed=seed, runs=len(results))


@click.command("outbox")
@click.option("--push", is_flag=True, help="Try to push everything pending now.")
@click.option("--json", "as_json", is_flag=True, help="Every entry as JSON.")
@pass_ctx
@report_errors
def outbox_cmd(cli: CliContext, push: bool, as_json: bool) -> None:
    """Commits not yet pushed to the remote (persist.remote, default origin).

    Every commit ardvc makes for acquisition is queued here and leaves only when a push
    put it on the remote; a failed push keeps it with the error. Nothing is pushed
    unless the repository has that remote (`git remote add origin URL`).
    """
    lab = cli.lab()
    remote = str(lab.config.get("persist.remote") or "")
    if push:
        if not remote:
            raise click.UsageError("persist.remote is empty: there is nowhere to push")
        report = drain(lab.outbox, lab.root, remote, lab.sync.network(remote))
        for name, tip in report.pushed.items():
            cli.console.print(f"pushed {name} → {remote} at {tip[:12]}", highlight=False)
        for name, why in report.waiting.items():
            cli.console.print(f"not pushed {name}: {why}", highlight=False)
        for name, error in report.failed.items():
            cli.err.print(f"[red]push failed[/] {name}: {error}", highlight=False)
        command_log("outbox --push", pushed=len(report.pushed), failed=len(report.failed))
    entries = lab.outbox.entries()
    if as_json:
        emit_json(cli.console, [{f: getattr(e, f) for f in e.__struct_fields__} for e in entries])
        return
    groups: dict[tuple[str, str], list[OutboxEntry]] = {}
    for entry in entries:
        groups.setdefault((entry.repo, entry.branch), []).append(entry)
    rows = []
    for (repo, branch), items in groups.items():
        last = items[-1]
        state = "push failing" if last.last_error else "waiting for a push"
        rows.append((repo, branch, str(len(items)), items[0].created[:19],
                     str(last.attempts), state, last.last_error or ""))  # fmt: skip
    columns = ("repository", "branch", "commits", "oldest", "attempts", "state", "last error")
    cli.console.print(table("outbox", columns, rows))
    cli.console.print(f"{len(entries)} commits not pushed (remote {remote or 'none'})")
    if push and any(e.last_error for e in entries):
        raise SystemExit(1)


@click.group("runs", invoke_without_command=True)
@click.pass_context
def runs_group(ctx: click.Context) -> None:
    """Runs being recorded, and runs a killed process left unfinished.

    An interrupted run has nothing in git (its files are committed only at the end of
    the run, in one branch move): record it again, or discard it.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(runs_list)


@runs_group.command("list")
@pass_ctx
@report_errors
def runs_list(cli: CliContext) -> None:
    """List the runs ardvc knows to be unfinished."""
    markers = cli.lab().run_journal.markers()
    rows = [
        (m.record_id, m.uuid, m.repository, m.branch, f"{m.pid}@{m.host}", m.started,
         "recording" if m.alive else f"interrupted ({m.stage})")
        for m in markers
    ]  # fmt: skip
    columns = ("run ID", "uuid", "repository", "branch", "process", "started", "state")
    cli.console.print(table("unfinished runs", columns, rows))
    cli.console.print(f"{len(markers)} unfinished runs")


@runs_group.command("discard")
@click.argument("name", metavar="RUNID|UUID")
@pass_ctx
@report_errors
def runs_discard(cli: CliContext, name: str) -> None:
    """Forget an interrupted run (nothing of it is in git)."""
    journal = cli.lab().run_journal
    marker = journal.find(name)
    if marker.alive:
        raise click.UsageError(
            f"{marker.record_id} is being recorded by process {marker.pid} on {marker.host}"
        )
    journal.finish(marker.uuid)
    command_log("runs discard", run=marker.record_id, uuid=marker.uuid)
    cli.console.print(f"discarded {marker.record_id} ({marker.uuid}); nothing was in git")
