"""Rendering sync results (status rows, step reports, share's where-it-went) with rich.

Kept apart from the commands so the value types of :mod:`ardvc.sync` stay the interface.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ardvc.cli.context import CliContext
from ardvc.cli.output import table
from ardvc.sync.operations import ShareReport
from ardvc.sync.status import LabStatus, State
from ardvc.sync.steps import StepStatus, SyncReport

STATE_STYLE = {
    State.IN_SYNC: "green", State.AHEAD: "yellow", State.BEHIND: "yellow",
    State.UNPUBLISHED: "yellow", State.COLLECTION_UNMERGED: "yellow",
    State.DIVERGED: "bold red", State.PUSH_FAILING: "bold red", State.FETCH_FAILING: "red",
    State.CONFLICT: "bold red", State.NO_REMOTE: "magenta", State.EMPTY: "dim",
    State.DETACHED: "red",
}  # fmt: skip
STEP_STYLE = {StepStatus.OK: "green", StepStatus.NOTHING: "dim", StepStatus.SKIPPED: "yellow",
              StepStatus.FAILED: "bold red"}  # fmt: skip


@contextmanager
def sync_progress(cli: CliContext, label: str) -> Iterator[Callable[[str, str, int, int], None]]:
    """A progress bar over repositories; yields the callback the sync plans call."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=cli.err, transient=True, disable=cli.verbosity < 0,
    ) as bar:  # fmt: skip
        task = bar.add_task(label, total=None)

        def update(repo: str, step: str, done: int, total: int) -> None:
            text = f"{label}: {repo} {step}" if step != "done" else f"{label}: {repo} done"
            bar.update(task, completed=done, total=total, description=text)

        yield update


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def print_status(console: Console, status: LabStatus) -> None:
    rows = []
    for r in status.repos:
        style = STATE_STYLE.get(r.state, "")
        error = r.last_error or "-"
        error = escape(error if len(error) <= 60 else error[:59] + "…")
        rows.append((r.name, r.branch or "(detached)", f"[{style}]{r.state}[/]", _count(r.ahead),
                     _count(r.behind), str(r.outbox), (r.last_fetch or "never")[:19], error,
                     escape(r.remedy or "-")))  # fmt: skip
    columns = ("repository", "branch", "state", "ahead", "behind", "outbox", "last fetch",
               "last error", "remedy")  # fmt: skip
    console.print(table(f"status against {status.remote}", columns, rows))
    for r in status.repos:
        if r.last_error and len(r.last_error) > 60:
            console.print(f"[red]{r.name}[/]: {escape(r.last_error)}", highlight=False)
        for path in r.files[:20]:
            console.print(f"    {escape(path)}", highlight=False)
        if len(r.files) > 20:
            console.print(f"    … {len(r.files) - 20} more", highlight=False)
        if r.collection_unmerged:
            unmerged = f"{status.remote}/data_collection"
            console.print(f"{r.name}: {r.collection_unmerged} commits of {unmerged} are not "
                          "merged", highlight=False)  # fmt: skip
    for section in status.sections:
        console.print(table(section.title, section.columns, section.rows))
    for note in status.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    good = sum(r.state is State.IN_SYNC for r in status.repos)
    console.print(f"{good} of {len(status.repos)} repositories in sync with {status.remote}")


def print_report(console: Console, report: SyncReport) -> None:
    rows = []
    for outcome in report.repos:
        for r in outcome.results:
            rows.append((outcome.target.name, r.step, f"[{STEP_STYLE[r.status]}]{r.status}[/]",
                         escape(r.summary)))  # fmt: skip
    for r in report.lab:
        rows.append(("(lab)", r.step, f"[{STEP_STYLE[r.status]}]{r.status}[/]", escape(r.summary)))
    console.print(table(f"{report.operation} {report.remote}",
                        ("repository", "step", "result", "what happened"), rows))  # fmt: skip
    print_failures(console, report)


def print_failures(console: Console, report: SyncReport) -> None:
    for repo, r in report.failures():
        console.print(f"[bold red]{repo}[/] {r.step} failed: {escape(r.summary)}",
                      highlight=False)  # fmt: skip
        for path in r.files[:20]:
            console.print(f"    {escape(path)}", highlight=False)
        if r.remedy:
            console.print(f"    [yellow]remedy:[/] {escape(r.remedy)}", highlight=False)


def print_share(console: Console, report: ShareReport) -> None:
    """Exactly what went where: repository, branch, URL, commits, outbox entries."""
    sent = 0
    for outcome in report.push.repos:
        for r in outcome.results:
            for ref in r.refs:
                sent += 1
                console.print(
                    f"{outcome.target.name} {ref.branch} → {ref.url}: "
                    f"{(ref.old or '(new)')[:10]}..{ref.new[:10]}, {ref.commits} commits, "
                    f"{ref.outbox_cleared} outbox entries cleared", highlight=False,
                )  # fmt: skip
            if r.status is StepStatus.NOTHING:
                console.print(f"{outcome.target.name}: {escape(r.summary)}", highlight=False)
    for pulled in report.pulls:
        for outcome in pulled.repos:
            merged = [r.summary for r in outcome.results if r.changed]
            if merged:
                done = escape("; ".join(merged))
                console.print(f"{outcome.target.name}: pulled first ({done})", highlight=False)
    print_failures(console, report.push)
    for pulled in report.pulls:
        print_failures(console, pulled)
    rounds = len(report.rounds)
    verdict = "everything is shared" if report.ok else "NOT everything is shared"
    plural = "s" if rounds != 1 else ""
    console.print(f"{sent} branches pushed in {rounds} round{plural}; {verdict}")
