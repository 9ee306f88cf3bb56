"""``ardvc fit``."""

from __future__ import annotations

import math
import sys

import click

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.cli.output import csv_text, emit_json, number, table
from ardvc.reduction.fit_files import plan_fits, require_branch_head, save_fit_plan
from ardvc.reduction.refit import FitOverrides, RefitRow, refit_many, summarise
from ardvc.reduction.select import select_analyses

CSV_COLUMNS = (
    "analysis", "series", "key", "fit", "stored_value", "value", "rel_value", "stored_error",
    "error", "rel_error", "stored_n", "n", "stored_fn", "fn", "reproduced", "problem",
)  # fmt: skip


def _overrides(fits: tuple[str, ...], error_type: str | None) -> FitOverrides | None:
    if not fits and error_type is None:
        return None
    kinds = {}
    for item in fits:
        key, sep, kind = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected KEY=FIT, got {item!r}", param_hint="--fit")
        kinds[key.strip()] = kind.strip()
    return FitOverrides(kinds, error_type)


def _row(r: RefitRow, rtol: float, given: bool) -> dict[str, object]:
    return {
        "analysis": r.analysis, "series": r.series, "key": r.key, "fit": r.kind_used or r.fit,
        "stored_value": r.stored_value, "value": r.value, "rel_value": r.rel_value,
        "stored_error": r.stored_error, "error": r.error, "rel_error": r.rel_error,
        "stored_n": r.stored_n, "n": r.n, "stored_fn": r.stored_fn, "fn": r.fn,
        "excluded": list(r.excluded), "reproduced": None if given else r.reproduces(rtol),
        "problem": r.problem,
    }  # fmt: skip


@click.command("fit")
@click.argument("names", nargs=-1, metavar="[RUNID|UUID]...")
@click.option("--repo", required=True, metavar="NAME", help="Data repository.")
@click.option("--identifier", "identifiers", multiple=True, metavar="ID", help="Repeatable.")
@click.option("--at", "rev", metavar="COMMIT", help="Revision to read (default: HEAD).")
@click.option("--all-types", is_flag=True, help="Also blanks, air, cocktails (default: unknowns).")
@click.option(
    "--fit",
    "fits",
    multiple=True,
    metavar="KEY=FIT",
    help="Use FIT instead of the stored fit for KEY (an isotope, a detector, 'signals', "
    "'baselines' or 'all'); e.g. --fit Ar40=parabolic --fit baselines=average.",
)
@click.option("--error-type", metavar="TYPE", help="SEM, SD, CI or MSEM for every fit.")
@click.option("--rtol", default=1e-8, show_default=True, help="Value tolerance of 'reproduced'.")
@click.option("--all", "show_all", is_flag=True, help="List every entry, not only differences.")
@click.option("--json", "as_json", is_flag=True, help="Every entry as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Every entry as CSV.")
@click.option(
    "--save",
    is_flag=True,
    help="Write the refitted intercepts and baselines and commit them (at the branch head).",
)
@click.option(
    "--skip-problems",
    is_flag=True,
    help="With --save: leave entries that cannot be refitted as stored instead of refusing.",
)
@pass_ctx
@report_errors
def fit_cmd(
    cli: CliContext,
    names: tuple[str, ...],
    repo: str,
    identifiers: tuple[str, ...],
    rev: str | None,
    all_types: bool,
    fits: tuple[str, ...],
    error_type: str | None,
    rtol: float,
    show_all: bool,
    as_json: bool,
    as_csv: bool,
    save: bool,
    skip_problems: bool,
) -> None:
    """Refit isotope evolutions and baselines from the raw data and compare with the
    stored intercepts.

    With the stored settings (fit, error type, outlier filter, user exclusions) this
    verifies the stored values: an entry is "reproduced" when its value agrees within
    --rtol (or within the float32 rounding of the raw data, for fits Pychron made at
    collection time from double-precision data) and its kept-point count equals the stored
    fn. With --fit/--error-type it shows what other settings would give.

    --save writes the refits into the intercepts and baselines files and commits them as
    Pychron does (``<ISOEVO>.intercepts fits=…``, then ``<ISOEVO>.baselines fits=…``),
    recording the settings used, the ardvc version and the raw-data blob. It works on the
    branch head only and refuses if any selected entry cannot be refitted (unless
    --skip-problems, which leaves those entries as stored) or if the branch moves meanwhile.
    """
    lab = cli.lab()
    data = lab.repo(repo)
    if skip_problems and not save:
        raise click.UsageError("--skip-problems only applies with --save")
    if save:
        rev = require_branch_head(data, rev)
    analyses = select_analyses(
        data, rev, names=names, identifiers=identifiers, types=None if all_types else ("unknown",)
    )
    overrides = _overrides(fits, error_type)
    plan = plan_fits(data, analyses, overrides) if save else None
    rows = plan.rows if plan is not None else refit_many(analyses, overrides)
    given = overrides is not None
    payload = [_row(r, rtol, given) for r in rows]
    command_log("fit", repo=repo, analyses=len(analyses), entries=len(rows), save=save)
    saved: list[str] = []
    if plan is not None:
        for result in save_fit_plan(data, plan, lab.author(), skip_problems=skip_problems):
            message = data.git.resolve(result.commit).message if result.commit else ""
            saved.append(f"committed {result.commit} {message}".rstrip())
    if as_json or as_csv:
        for line in saved:
            cli.err.print(line, highlight=False)
    if as_json:
        emit_json(cli.console, payload)
        return
    if as_csv:
        sys.stdout.write(csv_text(payload, CSV_COLUMNS))
        return
    shown = [
        r for r in rows
        if show_all or given or r.problem is not None or not r.reproduces(rtol)
    ]  # fmt: skip
    body = [
        (
            r.analysis, r.series, r.key, r.kind_used or (r.fit or ""),
            number(r.stored_value, 10), number(r.value, 10),
            "—" if not math.isfinite(r.rel_value) else f"{r.rel_value:.1e}",
            f"{r.stored_fn}/{r.stored_n}" if r.stored_n is not None else "—",
            f"{r.fn}/{r.n}", r.problem or "",
        )
        for r in shown
    ]  # fmt: skip
    columns = (
        "analysis", "series", "key", "fit", "stored", "refit", "rel. diff", "stored fn/n",
        "fn/n", "problem",
    )  # fmt: skip
    cli.console.print(table(f"{repo} refits", columns, body))
    stats = summarise(rows, rtol)
    if given:
        cli.console.print(f"{len(rows)} entries refitted with the given settings", highlight=False)
    else:
        cli.console.print(
            f"{int(stats['reproduced'])} of {len(rows)} stored entries reproduced "
            f"(value within {rtol:g} or float32 rounding, fn exact); "
            f"{int(stats['problems'])} could not be refitted",
            highlight=False,
        )
    for line in saved:
        cli.console.print(line, highlight=False)
    if not save:
        cli.console.print("nothing written (add --save to commit the refits)", highlight=False)
