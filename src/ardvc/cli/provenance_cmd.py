"""``ardvc log``, ``ardvc blame`` and ``ardvc diff``: where a number came from."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.text import Text

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.cli.output import emit_json, table
from ardvc.provenance.history import ITEMS, VALUE_ITEMS, Revision
from ardvc.provenance.valuediff import PRIMARY, FileDiff, ValueChange

KIND_HELP = (
    f"File kinds to follow (repeatable): {', '.join(ITEMS)}. Default: {', '.join(VALUE_ITEMS)}."
)


LIST_SHOWN = 6
"""Longer lists (reference run IDs) are shortened on screen; --json has them whole."""


def shown(value: Any) -> str:
    """Exact, unambiguous text of a stored value: floats round-trip, strings quoted."""
    if value is None:
        return "—"
    if isinstance(value, tuple):
        items = [shown(v) for v in value[:LIST_SHOWN]]
        if len(value) > LIST_SHOWN:
            items.append(f"… {len(value)} items")
        return "[" + ", ".join(items) + "]"
    return repr(value)


def change_text(change: ValueChange) -> str:
    key = f"{change.key} " if change.key else ""
    before, after = change.before, change.after
    if isinstance(before, tuple) and isinstance(after, tuple) and before and after:
        gone = tuple(v for v in before if v not in after)
        new = tuple(v for v in after if v not in before)
        return f"{key}{change.field}: +{shown(new)} −{shown(gone)} ({len(after)} items)"
    ratio = change.ratio
    scale = f"  (×{ratio!r})" if ratio is not None and ratio != 1.0 else ""
    return f"{key}{change.field}: {shown(before)} → {shown(after)}{scale}"


def print_file(console: Console, diff: FileDiff, all_fields: bool) -> None:
    path = diff.after_path or diff.before_path or ""
    moved = f" (from {diff.before_path})" if diff.status == "moved" else ""
    console.print(Text(f"  {diff.item}  {path}  {diff.status}{moved}", style="bold"))
    if diff.error:
        console.print(Text(f"    {diff.error}", style="red"))
    changes = diff.changes
    if diff.status in {"added", "removed"} and not all_fields:
        changes = [c for c in changes if c.field.split(".", 1)[0] in PRIMARY]
    for change in changes:
        console.print(Text("    " + change_text(change)), highlight=False)


def print_revision(console: Console, revision: Revision, all_fields: bool) -> None:
    stamp = revision.time.strftime("%Y-%m-%d %H:%M:%S %z")
    head = Text(f"commit {revision.commit[:12]}", style="yellow")
    head.append(f"  {stamp}  {revision.author} <{revision.email}>")
    console.print(head)
    console.print(Text(f"    {revision.summary}"), highlight=False)
    for diff in revision.files:
        print_file(console, diff, all_fields)
    console.print()


def _needs_repo(repo: str | None, rev: str | None) -> None:
    if rev and not repo:
        raise click.UsageError("--at needs --repo: revisions belong to one repository")


@click.command("log")
@click.argument("name", metavar="RUNID|UUID")
@click.option("--repo", metavar="NAME", help="Data repository (default: search all).")
@click.option("--at", "rev", metavar="REV", help="Start from this revision (default: HEAD).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(ITEMS), help=KIND_HELP)
@click.option("-n", "--limit", type=int, metavar="N", help="Show at most N commits.")
@click.option("--all-fields", is_flag=True, help="For added/removed files list every value.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
@report_errors
def log_cmd(
    cli: CliContext,
    name: str,
    repo: str | None,
    rev: str | None,
    kinds: tuple[str, ...],
    limit: int | None,
    all_fields: bool,
    as_json: bool,
) -> None:
    """The commits that changed an analysis, newest first: tag, author, date and every
    value before and after.

    Files are followed across Pychron's moves (tags under reduction/, 2-character
    shards, numbered IA files); a commit that rewrote a file without changing a value is
    shown as format-only. Floats are printed exactly (they round-trip), with the ratio
    after/before of every changed number — a bulk edit shows its scale factor.

    \b
    ardvc log 66681-03L --kind icfactors
    ardvc log 69421-02F --repo Cornudas --kind intercepts --kind baselines -n 5
    ardvc log 65761-05 --kind ia --json
    """
    _needs_repo(repo, rev)
    lab = cli.lab()
    revisions = lab.history(name, repo=repo, rev=rev, kinds=kinds or None, limit=limit)
    command_log("log", name=name, repo=repo, commits=len(revisions))
    if as_json:
        emit_json(cli.console, [r.as_dict() for r in revisions])
        return
    for revision in revisions:
        print_revision(cli.console, revision, all_fields)
    cli.console.print(f"{len(revisions)} commits", highlight=False)


@click.command("blame")
@click.argument("name", metavar="RUNID|UUID")
@click.argument("isotope")
@click.option("--repo", metavar="NAME", help="Data repository (default: search all).")
@click.option("--at", "rev", metavar="REV", help="Blame the values at this revision.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
@report_errors
def blame_cmd(
    cli: CliContext, name: str, isotope: str, repo: str | None, rev: str | None, as_json: bool
) -> None:
    """Which commit set the intercept, baseline, blank and IC factor an isotope's age
    uses now.

    A later commit that only reformatted the file or marked it reviewed is passed over:
    the commit shown is the one that gave the entry its current value or error.

    \b
    ardvc blame 66681-03L Ar36
    ardvc blame 69421-02F Ar40 --repo Cornudas --at c919ed7
    """
    _needs_repo(repo, rev)
    lab = cli.lab()
    lines = lab.blame(name, isotope, repo=repo, rev=rev)
    command_log("blame", name=name, isotope=isotope, repo=repo)
    if as_json:
        emit_json(cli.console, [line.as_dict() for line in lines])
        return
    rows = [
        (
            line.quantity,
            line.key,
            shown(line.value),
            shown(line.error),
            line.fit or "—",
            (line.commit or "—")[:10],
            line.time.strftime("%Y-%m-%d") if line.time else "—",
            line.author,
            line.summary[:60],
            "—"
            if line.previous is None
            else f"{shown(line.previous[0])} ± {shown(line.previous[1])}",
        )
        for line in lines
    ]
    columns = (
        "quantity",
        "key",
        "value",
        "error",
        "fit",
        "commit",
        "date",
        "author",
        "message",
        "before",
    )
    cli.console.print(table(f"{name} {isotope}", columns, rows))


@click.command("diff")
@click.argument("name", metavar="RUNID|UUID")
@click.argument("rev1")
@click.argument("rev2", required=False)
@click.option("--repo", metavar="NAME", help="Data repository (default: search all).")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(ITEMS),
    help="File kinds to compare (repeatable; default: all).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
@report_errors
def diff_cmd(
    cli: CliContext,
    name: str,
    rev1: str,
    rev2: str | None,
    repo: str | None,
    kinds: tuple[str, ...],
    as_json: bool,
) -> None:
    """Value-level difference of an analysis between two revisions (REV2: the head).

    Not a text diff: only values that differ are listed, per isotope or detector and
    field; a file rewritten without a value change is reported as format-only.

    \b
    ardvc diff 66681-03L edd9c2c 7825b18
    ardvc diff 69421-02F 12c8dcfe c919ed7 --repo Cornudas --kind intercepts
    """
    lab = cli.lab()
    result = lab.value_diff(name, rev1, rev2, repo=repo, kinds=kinds or None)
    command_log("diff", name=name, repo=result.repo, rev1=rev1, rev2=rev2)
    if as_json:
        emit_json(cli.console, result.as_dict())
        return
    title = f"{result.repo} {result.record_id}: {result.rev1[:12]} → {result.rev2[:12]}"
    cli.console.print(Text(title, style="bold"))
    for diff in result.files:
        print_file(cli.console, diff, all_fields=True)
    changed = sum(1 for f in result.files if f.changes)
    cli.console.print(
        f"{changed} files with value changes, {len(result.files) - changed} without",
        highlight=False,
    )
