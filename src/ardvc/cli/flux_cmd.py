"""``ardvc flux``: J of a level from its flux monitors, shown or committed."""

from __future__ import annotations

import click

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.cli.output import number, pm, table


@click.command("flux")
@click.argument("irradiation")
@click.argument("level")
@click.option("--repo", required=True, metavar="NAME", help="Data repository of the monitors.")
@click.option(
    "--holder",
    required=True,
    metavar="NAME",
    help="Irradiation holder (MetaRepo irradiation_holders/NAME.txt) of the tray.",
)
@click.option(
    "--monitor-sample",
    default="FC-2",
    show_default=True,
    metavar="SAMPLE",
    help="Sample name of the monitor runs.",
)
@click.option(
    "--include-omitted",
    is_flag=True,
    help="Also use monitor runs tagged omit/invalid/outlier (Pychron did).",
)
@click.option(
    "--conventions",
    metavar="NAME",
    help="pychron-2018, pychron-2022 or ardvc (default: reduce.conventions).",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="Reduction setting, as for ardvc reduce (monitor=…, atmosphere=…).",
)
@click.option("--save", is_flag=True, help="Write J into the level file and commit.")
@pass_ctx
@report_errors
def flux_cmd(
    cli: CliContext, irradiation: str, level: str, repo: str, holder: str,
    monitor_sample: str, include_omitted: bool, conventions: str | None,
    sets: tuple[str, ...], save: bool,
) -> None:  # fmt: skip
    """J of every position of a level from its flux monitors (plane fit).

    \b
    ardvc flux NM-999 A --repo SimLab --holder NM-999-tray --set atmosphere=lee2006
    ardvc flux NM-999 A --repo SimLab --holder NM-999-tray --save

    Each monitor run (sample --monitor-sample on the level) is reduced to F and turned
    into J with the monitor's age; a position's mean J is their weighted mean (SEM·√MSWD
    when MSWD > 1). A weighted plane J = a + b·x + c·y through the monitor positions (hole
    coordinates from the holder) gives every position's J with its error propagated from
    the fit's covariance — deterministic, unlike Pychron's Monte Carlo. --save writes J,
    the monitor means and their analyses into the level file ("fit flux for <irr><level>"),
    recording model, monitor, holder and the commits read.
    """
    lab = cli.lab()
    fit = lab.fit_flux(
        repo, irradiation, level, holder=holder, monitor_sample=monitor_sample,
        conventions=conventions, settings=sets, include_omitted=include_omitted,
    )  # fmt: skip
    rows = []
    for p in fit.positions:
        mean = p.monitor.mean if p.monitor is not None else None
        rows.append(
            (
                str(p.position), p.identifier or "—", "monitor" if mean else "",
                str(len(p.monitor.j)) if p.monitor else "",
                pm(mean.value, mean.error) if mean else "", number(mean.mswd, 3) if mean else "",
                pm(p.j, p.j_err), pm(p.stored_j, p.stored_j_err),
            )
        )  # fmt: skip
    title = (
        f"{irradiation} {level} · plane through {fit.plane.n} monitor positions · "
        f"{repo} at {fit.data_commit[:10]}"
    )
    columns = ("pos", "identifier", "", "n", "mean J ± 1σ", "MSWD", "modelled J ± 1σ",
               "stored J ± 1σ")  # fmt: skip
    cli.console.print(table(title, columns, rows))
    for p in fit.positions:
        for name, problem in (p.monitor.failures if p.monitor else {}).items():
            cli.err.print(f"[yellow]warning:[/] monitor {name} not used: {problem}")
    if not save:
        cli.console.print("nothing written (add --save to commit)")
        return
    result = lab.save_flux_fit(fit)
    commit = result.commit or "none (level file unchanged)"
    cli.console.print(f"committed {commit} to {lab.meta.name}", highlight=False)
    command_log("flux", irradiation=irradiation, level=level, commit=result.commit)
