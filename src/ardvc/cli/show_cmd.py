"""``ardvc show``."""

from __future__ import annotations

import click
import orjson
from rich.table import Table

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.data.view import as_dict, isotope_rows, metadata


@click.command("show")
@click.argument("name", metavar="RUNID|UUID")
@click.option("--repo", metavar="NAME", help="Data repository (default: search all).")
@click.option("--at", "rev", metavar="REV", help="Commit, branch or tag to read (needs --repo).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
@report_errors
def show_cmd(cli: CliContext, name: str, repo: str | None, rev: str | None, as_json: bool) -> None:
    """Print one analysis: metadata, and per isotope its detector, fit, intercept,
    baseline, blank and IC factor, exactly as stored in git.

    \b
    ardvc show 66681-03L
    ardvc show d3f3b3a7-3cf5-4bb3-9c2d-f160f87397a9 --repo Cornudas --at c919ed7
    """
    if rev and not repo:
        raise click.UsageError("--at needs --repo: revisions belong to one repository")
    lab = cli.lab()
    analysis = lab.analysis(name, repo=repo, rev=rev)
    command_log("show", name=name, repo=analysis.repo, commit=analysis.commit)
    if as_json:
        cli.console.print_json(orjson.dumps(as_dict(analysis)).decode())
        return
    meta = metadata(analysis)
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    for key, value in meta.items():
        if value not in (None, ""):
            head.add_row(key.replace("_", " "), str(value))
    cli.console.print(head)
    table = Table(title="isotopes", show_lines=False)
    for column in ("isotope", "detector", "fit", "n/fn", "intercept", "baseline", "blank", "IC"):
        table.add_column(column)
    for row in isotope_rows(analysis):
        counts = "" if row.n is None else f"{row.n}/{row.fn}"
        table.add_row(
            row.isotope,
            row.detector,
            row.fit or "—",
            counts,
            row.intercept.text(),
            row.baseline.text(),
            row.blank.text(),
            row.icfactor.text(),
        )
    cli.console.print(table)
