"""``ardvc blanks`` and ``ardvc icfactors``: blanks and IC factors of unknowns from
reference analyses, shown or saved in one commit."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.cli.output import number, pm, table
from ardvc.errors import UsageError
from ardvc.reduce.constants import ALIASES, ATMOSPHERES
from ardvc.reduce.interpolation import SeriesFit, parse_series_fit
from ardvc.reduction.reference_files import fit_label, save_plan
from ardvc.reduction.reference_values import ICRatio
from ardvc.reduction.references import (
    ReferencePlan,
    Selection,
    plan_blanks,
    plan_icfactors,
)

KIND_HELP = (
    "Preceding, Succeeding, 'Bracketing Average', 'Bracketing Interpolate', or a fit "
    "Average, 'Weighted Mean', Linear, Parabolic, Cubic with an optional error suffix "
    "(_SD, _SEM, _MSEM; e.g. 'Weighted Mean_SD')."
)


def _selection_options(default_type: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options both commands share, in one place."""

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        options = [
            click.argument("names", nargs=-1, metavar="[RUNID|UUID]..."),
            click.option("--repo", required=True, metavar="NAME", help="Data repository."),
            click.option("--identifier", "identifiers", multiple=True, metavar="ID",
                         help="Every unknown of this identifier; repeatable."),
            click.option("--kind", required=True, metavar="KIND", help=KIND_HELP),
            click.option("--type", "types", multiple=True, metavar="TYPE",
                         help=f"Reference analysis type (default: {default_type}); repeatable."),
            click.option("--window-hours", default=48.0, show_default=True,
                         help="References this many hours before the first and after the "
                         "last unknown."),
            click.option("--mass-spec", metavar="NAME",
                         help="Spectrometer of the references (default: each unknown's)."),
            click.option("--no-sync", is_flag=True,
                         help="Query the index as it is (no sync with git first)."),
            click.option("--save", is_flag=True, help="Write the files and commit."),
        ]  # fmt: skip
        for option in reversed(options):
            func = option(func)
        return func

    return wrap


def _kind(text: str, param: str = "--kind") -> SeriesFit:
    try:
        return parse_series_fit(text)
    except UsageError as exc:
        raise click.BadParameter(f"{exc}. {exc.hint or ''}".strip(), param_hint=param) from None


def _selection(cli: CliContext, types: tuple[str, ...], default: str, **kw: Any) -> Selection:
    zone = cli.lab().config.get("lab.timezone") or None
    return Selection(types=types or (default,), timezone=zone, **kw)


def _progress(cli: CliContext) -> Progress:
    return Progress(
        TextColumn("reading references"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=cli.err, transient=True, disable=cli.verbosity < 0,
    )  # fmt: skip


def _run(
    cli: CliContext, build: Callable[[Callable[[int, int], None]], ReferencePlan]
) -> ReferencePlan:
    with _progress(cli) as bar:
        task = bar.add_task("references", total=None)
        return build(lambda done, total: bar.update(task, completed=done, total=total))


def _change(old: float | None, new: float) -> str:
    if old is None or old == 0 or not math.isfinite(new):
        return "—"
    return f"{(new / old - 1) * 100:+.3g}%"


def _report(cli: CliContext, plan: ReferencePlan, save: bool) -> None:
    rows = []
    for c in plan.computed:
        old_value, old_error, old_fit = c.current
        used = c.used_record_ids
        shown = ", ".join(used) if len(used) <= 2 else f"{len(used)} of {len(c.series.references)}"
        rows.append(
            (
                c.record_id,
                c.key,
                pm(old_value, old_error),
                old_fit or "—",
                pm(c.value, c.error),
                fit_label(plan, c),
                _change(old_value, c.value),
                shown,
            )
        )
    columns = ("run ID", "key", "current ± 1σ", "current fit", "new ± 1σ", "new fit", "Δ",
               "references used")  # fmt: skip
    title = f"{plan.repo} {plan.modifier} at {plan.head[:10]} · {plan.references} references"
    cli.console.print(table(title, columns, rows))
    for problem in plan.problems:
        cli.err.print(f"[yellow]warning:[/] {problem}", highlight=False)
    if not save:
        cli.console.print(
            f"{len(plan.computed)} entries computed; nothing written (add --save to commit)",
            highlight=False,
        )
        return
    lab = cli.lab()
    result = save_plan(lab.repo(plan.repo), plan, lab.author())
    commit = result.commit or "none (files unchanged)"
    cli.console.print(f"committed {commit} on {result.branch}", highlight=False)
    command_log(plan.modifier, repo=plan.repo, entries=len(plan.computed), commit=result.commit)


@click.command("blanks")
@_selection_options("blank_unknown")
@click.option("--isotope", "isotopes", multiple=True, metavar="ISO",
              help="Isotope to update (default: Ar40 … Ar36 as measured); repeatable.")  # fmt: skip
@click.option("--fit", "fits", multiple=True, metavar="ISO=KIND",
              help="Another kind for one isotope, e.g. --fit 'Ar39=Weighted Mean_SD'.")  # fmt: skip
@pass_ctx
@report_errors
def blanks_cmd(
    cli: CliContext, names: tuple[str, ...], repo: str, identifiers: tuple[str, ...], kind: str,
    types: tuple[str, ...], window_hours: float, mass_spec: str | None, no_sync: bool,
    save: bool, isotopes: tuple[str, ...], fits: tuple[str, ...],
) -> None:  # fmt: skip
    """Blanks of unknowns from blank analyses around them (always at the branch head).

    \b
    ardvc blanks --repo Cornudas --identifier 69421 --kind "Bracketing Interpolate"
    ardvc blanks --repo Cornudas 69421-02F --kind "Bracketing Interpolate" \\
        --fit "Ar39=Weighted Mean_SD" --save

    Each reference gives its baseline-corrected intercept; references tagged omit,
    invalid, outlier or skip are listed but never used. Without --save the current and
    new values are shown; with --save every blanks file is rewritten in one commit
    (other entries kept) with the references and the parameters used.
    """
    per_isotope = {}
    for item in fits:
        key, sep, text = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected ISO=KIND, got {item!r}", param_hint="--fit")
        per_isotope[key.strip()] = _kind(text, "--fit")
    fit = _kind(kind)
    lab = cli.lab()
    selection = _selection(
        cli, types, "blank_unknown", window_hours=window_hours, mass_spectrometer=mass_spec
    )
    if not no_sync:
        lab.catalog.sync()
    plan = _run(
        cli,
        lambda progress: plan_blanks(
            lab,
            lab.repo(repo),
            names,
            identifiers=identifiers,
            fit=fit,
            isotopes=isotopes,
            fits=per_isotope,
            selection=selection,
            progress=progress,
        ),
    )
    _report(cli, plan, save)


@click.command("icfactors")
@_selection_options("air")
@click.option("--ratio", required=True, metavar="N/D",
              help="Detector ratio of the references, e.g. H2/L2(CDD).")  # fmt: skip
@click.option("--detector", metavar="DET",
              help="IC-factor key to write (default: the ratio's denominator).")  # fmt: skip
@click.option("--standard-ratio", type=float, metavar="R",
              help="Expected n/d of the references (default: 40/36 of --atmosphere).")  # fmt: skip
@click.option("--atmosphere", default="nier1950", show_default=True, metavar="NAME",
              help="nier1950 (295.5) or lee2006 (298.56): the default standard ratio.")  # fmt: skip
@pass_ctx
@report_errors
def icfactors_cmd(
    cli: CliContext, names: tuple[str, ...], repo: str, identifiers: tuple[str, ...], kind: str,
    types: tuple[str, ...], window_hours: float, mass_spec: str | None, no_sync: bool,
    save: bool, ratio: str, detector: str | None, standard_ratio: float | None, atmosphere: str,
) -> None:  # fmt: skip
    """IC factors of unknowns from air (or other) reference analyses around them.

    \b
    ardvc icfactors --repo IR998 --identifier 65761 --ratio H1/CDD --kind Average
    ardvc icfactors --repo Cornudas 69421-02F --ratio H2/L2(CDD) --standard-ratio 295.5 \\
        --kind "Weighted Mean" --save

    Each reference gives (n/d)/standard ratio from its baseline- and blank-corrected
    intensities; the result is the IC factor of the denominator detector (or --detector),
    so that n/(d·IC) equals the standard ratio.
    """
    if standard_ratio is None:
        name = ALIASES.get(atmosphere.lower(), atmosphere)
        if name not in ATMOSPHERES:
            raise click.BadParameter(
                f"unknown atmosphere {atmosphere!r}", param_hint="--atmosphere"
            )
        standard_ratio = ATMOSPHERES[name].atm4036
    ic_ratio = ICRatio.parse(ratio, standard_ratio, detector)
    fit = _kind(kind)
    lab = cli.lab()
    selection = _selection(
        cli, types, "air", window_hours=window_hours, mass_spectrometer=mass_spec
    )
    if not no_sync:
        lab.catalog.sync()
    plan = _run(
        cli,
        lambda progress: plan_icfactors(
            lab,
            lab.repo(repo),
            names,
            identifiers=identifiers,
            fit=fit,
            ratio=ic_ratio,
            selection=selection,
            progress=progress,
        ),
    )
    _report(cli, plan, save)
    if not save:
        cli.console.print(
            f"ratio {ic_ratio.name}, standard ratio {number(ic_ratio.standard_ratio, 10)}",
            highlight=False,
        )
