"""``ardvc reduce``."""

from __future__ import annotations

import sys

import click

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.cli.output import csv_text, emit_json, number, pm, table

CSV_COLUMNS = (
    "record_id", "uuid", "tag", "age", "age_err", "age_err_with_j", "radiogenic_yield",
    "kca", "kca_err", "k39", "k39_err", "f", "f_err", "j", "j_err", "error",
)  # fmt: skip


@click.command("reduce")
@click.argument("names", nargs=-1, metavar="[RUNID|UUID]...")
@click.option("--repo", required=True, metavar="NAME", help="Data repository.")
@click.option("--identifier", "identifiers", multiple=True, metavar="ID", help="Repeatable.")
@click.option("--type", "types", multiple=True, metavar="TYPE",
              help="Analysis types to include (default: unknown); repeatable.")  # fmt: skip
@click.option("--all-types", is_flag=True, help="Include every analysis type.")
@click.option("--at", "rev", metavar="COMMIT", help="Data-repository revision (default: HEAD).")
@click.option("--meta-at", metavar="REV", help="MetaRepo revision (default: HEAD).")
@click.option(
    "--conventions",
    metavar="NAME",
    help="pychron-2018, pychron-2022 or ardvc (default: reduce.conventions).",
)
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a setting: trapped_error=false, covariance=full, decay_from=end, "
              "timezone=America/Denver, constants=min2000, atmosphere=lee2006, …")  # fmt: skip
@click.option(
    "--refit",
    is_flag=True,
    help="Refit intercepts and baselines from the raw data (stored settings) first.",
)
@click.option("--json", "as_json", is_flag=True, help="Results with provenance, as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Results as CSV.")
@pass_ctx
@report_errors
def reduce_cmd(
    cli: CliContext,
    names: tuple[str, ...],
    repo: str,
    identifiers: tuple[str, ...],
    types: tuple[str, ...],
    all_types: bool,
    rev: str | None,
    meta_at: str | None,
    conventions: str | None,
    sets: tuple[str, ...],
    refit: bool,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Ages from the stored intercepts, blanks and IC factors of a selection.

    \b
    ardvc reduce --repo IR998 --identifier 65761
    ardvc reduce --repo Cornudas 69421-02F --at c919ed7 --meta-at 20d8fab7
    ardvc reduce --repo IR998 --identifier 65761 --conventions pychron-2018 --csv

    Individual age errors exclude the J error (as Pychron's); age_err_with_j includes it.
    An analysis that lacks an input (J, chronology, production, …) is listed with the
    reason while the rest reduces. Every JSON result carries its provenance: repository,
    commit and blob ids of its files, MetaRepo commit and files, constants, conventions
    and the ardvc version.
    """
    lab = cli.lab()
    chosen_types = None if all_types else (types or ("unknown",))
    reduction = lab.reduce(
        repo, names, identifiers=identifiers, types=chosen_types, at=rev, meta_at=meta_at,
        conventions=conventions, settings=sets, refit=refit,
    )  # fmt: skip
    results = reduction.results
    command_log("reduce", repo=repo, n=len(results), meta=reduction.meta_commit[:12])
    if as_json:
        emit_json(cli.console, [r.as_dict() for r in results])
        return
    if as_csv:
        sys.stdout.write(csv_text([r.as_dict() for r in results], CSV_COLUMNS))
        return
    rows = [
        (
            r.record_id, r.tag, pm(r.age, r.age_err), number(r.radiogenic_yield, 5),
            pm(r.kca, r.kca_err, 5), number(r.k39, 6), r.error or "",
        )
        for r in results
    ]  # fmt: skip
    title = (
        f"{repo} at {results[0].commit[:10] if results else rev or 'HEAD'} · MetaRepo "
        f"{reduction.meta_commit[:10]} · {reduction.conventions.name}"
    )
    columns = ("run ID", "tag", "age (Ma) ± 1σ", "%40Ar*", "K/Ca", "39Ar_K (fA)", "problem")
    cli.console.print(table(title, columns, rows))
    failed = sum(1 for r in results if not r.ok)
    cli.console.print(f"{len(results) - failed} reduced, {failed} with problems", highlight=False)
