"""``ardvc fsck`` and ``ardvc doctor``."""

from __future__ import annotations

import click
from rich.text import Text

from ardvc.api import Lab
from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.cli.output import emit_json
from ardvc.health.findings import CheckResult, Finding
from ardvc.health.fsck import CHECKS

STYLE = {
    "error": "red",
    "warning": "yellow",
    "info": "cyan",
    "fail": "red",
    "warn": "yellow",
    "ok": "green",
}


def _finding(finding: Finding, mark: str = "") -> Text:
    line = Text(f"  {finding.severity:<7} ", style=STYLE.get(finding.severity, ""))
    line.append(f"{mark}{finding.kind}  {finding.where}: {finding.detail}")
    if finding.remedy:
        line.append(f"\n            → {finding.remedy}", style="dim")
    return line


def _print_result(cli: CliContext, result: CheckResult) -> None:
    cli.console.print(Text(f"{result.name}", style="bold"))
    if not result.findings:
        cli.console.print("  ok", highlight=False)
    repaired = {f.key for f in result.repaired}
    for finding in result.findings:
        cli.console.print(_finding(finding, "[repaired] " if finding.key in repaired else ""))
    for action in result.actions:
        cli.console.print(Text(f"  repair: {action}", style="green"))
    known = {f.key for f in result.findings}
    for finding in result.remaining or []:
        if finding.key not in known:
            cli.console.print(_finding(finding, "[after repair] "))


@click.command("fsck")
@click.option(
    "--repair",
    is_flag=True,
    help="Fix what can be fixed automatically, then check again; list what needs a person.",
)
@click.option(
    "--check",
    "checks",
    multiple=True,
    type=click.Choice([c.name for c in CHECKS]),
    help="Run only these checks (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@pass_ctx
@report_errors
def fsck_cmd(cli: CliContext, repair: bool, checks: tuple[str, ...], as_json: bool) -> None:
    """Cross-check the lab's stores and report every inconsistency.

    \b
    index    rows without files, files without rows, rows that disagree with git at the
             commit the index read, branches not (or no longer) indexed
    history  mass-deletion commits (more than core.max_deletions files, or half a
             repository) in every repository, MetaRepo included, and whether the files
             came back
    outbox   queued commits that are not on the remote (asked with git ls-remote), and
             stale entries that are

    --repair re-indexes damaged repositories, syncs stale ones, removes stale outbox
    entries and fetches what the outbox check needs, then runs each check again: only
    what the second run no longer finds is called repaired. Exit status 1 when an error
    remains. fsck never pushes and never rewrites history.
    """
    lab = cli.lab()
    with cli.err.status("checking", spinner="dots") as status:
        report = lab.fsck(
            repair=repair, checks=checks, progress=lambda name: status.update(f"checking {name}")
        )
    outstanding = report.outstanding
    command_log("fsck", repair=repair, outstanding=len(outstanding), ok=report.ok)
    if as_json:
        emit_json(cli.console, report.as_dict())
    else:
        for result in report.results:
            _print_result(cli, result)
        counts = {s: sum(1 for f in outstanding if f.severity == s) for s in STYLE}
        fixable = sum(1 for f in outstanding if f.repairable)
        summary = f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes"
        if fixable and not repair:
            summary += f"; {fixable} repairable with ardvc fsck --repair"
        cli.console.print(summary, highlight=False)
    if not report.ok:
        raise SystemExit(1)


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@pass_ctx
@report_errors
def doctor_cmd(cli: CliContext, as_json: bool) -> None:
    """Check this machine and this lab: versions, configuration (and where each value
    comes from), the index (server, schema against this ardvc), git, repositories, every
    remote (does it answer?), the outbox and interrupted runs — each problem with its
    remedy. Exit status 1 when something fails.
    """
    lines = Lab.doctor(cli.root, overrides=cli.overrides)
    command_log("doctor", fails=sum(1 for line in lines if line.status == "fail"))
    if as_json:
        emit_json(cli.console, [line.as_dict() for line in lines])
    else:
        for line in lines:
            text = Text(f"{line.status:<5} ", style=STYLE.get(line.status, ""))
            text.append(f"{line.name}: {line.detail}")
            if line.remedy and line.status != "ok":
                text.append(f"\n      → {line.remedy}", style="dim")
            cli.console.print(text)
    if any(line.status == "fail" for line in lines):
        raise SystemExit(1)
