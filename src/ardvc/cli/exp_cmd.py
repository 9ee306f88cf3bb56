"""``ardvc exp``: what-if reductions that leave the lab's branches alone until applied."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.cli.output import emit_json, number, pm, table
from ardvc.exps import ApplyOptions, ExperimentRequest


@click.group("exp")
def exp_group() -> None:
    """What-if reductions in isolated repositories (.ardvc/tmp/exps/).

    \b
    ardvc exp run --name lin40 --repo Cornudas --identifier 69421 --set fit.Ar40=linear
    ardvc exp show lin40          its ages beside the current ones (Δ, Δ/σ)
    ardvc exp apply lin40 --ia    commit the refits (<ISOEVO>) and an interpreted age (<IA>)
    ardvc exp remove lin40
    """


@exp_group.command("run")
@click.argument("names", nargs=-1, metavar="[RUNID|UUID]...")
@click.option("--name", "exp_name", metavar="NAME", help="Experiment name (default: exp-<time>).")
@click.option("--repo", required=True, metavar="NAME", help="Data repository.")
@click.option("--identifier", "identifiers", multiple=True, metavar="ID", help="Repeatable.")
@click.option(
    "--type",
    "types",
    multiple=True,
    metavar="TYPE",
    help="Analysis types to include (default: unknown); repeatable.",
)
@click.option("--all-types", is_flag=True, help="Include every analysis type.")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="fit.ISOTOPE=FIT (or fit.DETECTOR, fit.signals, fit.baselines, fit.all, "
    "fit.error_type) refits from the raw data; every ardvc reduce --set key "
    "(constants=min2000, trapped_error=false, …) changes the reduction.",
)
@click.option("--conventions", metavar="NAME", help="pychron-2018, pychron-2022 or ardvc.")
@click.option("--meta-at", metavar="REV", help="MetaRepo revision (default: HEAD).")
@click.option(
    "--skip-problems",
    is_flag=True,
    help="Keep entries that cannot be refitted as stored instead of refusing.",
)
@click.option("--replace", is_flag=True, help="Replace an experiment of the same name.")
@pass_ctx
@report_errors
def run_cmd(
    cli: CliContext,
    names: tuple[str, ...],
    exp_name: str | None,
    repo: str,
    identifiers: tuple[str, ...],
    types: tuple[str, ...],
    all_types: bool,
    sets: tuple[str, ...],
    conventions: str | None,
    meta_at: str | None,
    skip_problems: bool,
    replace: bool,
) -> None:
    """Refit and reduce a selection with other settings, without touching the lab.

    The selection is chosen as for ardvc reduce. The experiment gets its own repository
    that reads the lab repository's objects; refits are committed there as ardvc fit
    --save would commit them, then the selection is reduced with the experiment's
    settings. No branch, ref or file of the lab changes.
    """
    lab = cli.lab()
    name = exp_name or datetime.now(UTC).strftime("exp-%Y%m%d-%H%M%S")
    request = ExperimentRequest(
        name=name,
        repo=repo,
        names=names,
        identifiers=identifiers,
        types=None if all_types else (types or ("unknown",)),
        sets=sets,
        conventions=conventions,
        meta_rev=meta_at,
        skip_problems=skip_problems,
        replace=replace,
    )
    with cli.err.status("experiment", spinner="dots") as status:
        experiment = lab.run_experiment(request, progress=status.update)
    failed = sum(1 for r in experiment.results if r.get("error"))
    command_log("exp run", name=name, repo=repo, n=len(experiment.results), failed=failed)
    refits = f", {len(experiment.commits)} refit commits" if experiment.commits else ""
    cli.console.print(
        f"experiment {name}: {len(experiment.results) - failed} of {len(experiment.results)} "
        f"analyses reduced{refits} (base {experiment.base[:10]} of {repo}:"
        f"{experiment.branch}); compare with: ardvc exp show {name}",
        highlight=False,
    )


@exp_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
@report_errors
def list_cmd(cli: CliContext, as_json: bool) -> None:
    """The experiments of this lab."""
    experiments = cli.lab().experiments.all()
    if as_json:
        emit_json(
            cli.console,
            [
                {
                    "name": e.name,
                    "created": e.created,
                    "repo": e.repo,
                    "base": e.base,
                    "settings": e.requested,
                    "analyses": len(e.analyses),
                    "applied": len(e.applied),
                }
                for e in experiments
            ],
        )
        return
    rows = [
        (
            e.name,
            e.created,
            f"{e.repo}:{e.branch}@{e.base[:8]}",
            " ".join(e.requested) or "—",
            str(len(e.analyses)),
            "yes" if e.applied else "no",
        )
        for e in experiments
    ]
    columns = ("name", "created", "from", "settings", "analyses", "applied")
    cli.console.print(table("experiments", columns, rows))


@exp_group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
@report_errors
def show_cmd(cli: CliContext, name: str, as_json: bool) -> None:
    """An experiment's ages beside the current ones: Δ = experiment − current, and Δ/σ
    in units of the current age error (1σ, without J)."""
    lab = cli.lab()
    experiment = lab.experiments.load(name)
    rows = lab.compare_experiment(name)
    command_log("exp show", name=name, n=len(rows))
    if as_json:
        emit_json(
            cli.console,
            {
                "experiment": name,
                "settings": experiment.requested,
                "rows": [r.as_dict() for r in rows],
            },
        )
        return
    body = [
        (
            r.record_id,
            r.tag,
            pm(r.current_age, r.current_err),
            pm(r.age, r.age_err),
            number(r.delta, 3),
            number(r.sigmas, 3),
            r.problem or r.current_problem or "",
        )
        for r in rows
    ]
    title = f"{name}: {' '.join(experiment.requested) or 'lab settings'} vs current"
    columns = (
        "run ID",
        "tag",
        "current age (Ma)",
        "experiment age (Ma)",
        "Δ (Ma)",
        "Δ/σ",
        "problem",
    )
    cli.console.print(table(title, columns, body))


@exp_group.command("apply")
@click.argument("name")
@click.option(
    "--only",
    multiple=True,
    metavar="RUNID",
    help="Apply only these analyses (repeatable; default: all).",
)
@click.option(
    "--ia",
    is_flag=True,
    help="Also save one interpreted age per identifier (<IA>), reduced with the "
    "experiment's settings.",
)
@click.option("--ia-name", metavar="NAME", help="Name of the interpreted age (default: aliquot).")
@click.option(
    "--preferred",
    metavar="KIND",
    help="plateau, weighted_mean, integrated or isochron for the --ia age.",
)
@pass_ctx
@report_errors
def apply_cmd(
    cli: CliContext,
    name: str,
    only: tuple[str, ...],
    ia: bool,
    ia_name: str | None,
    preferred: str | None,
) -> None:
    """Commit an experiment's results in the lab: refits as <ISOEVO>.intercepts /
    <ISOEVO>.baselines commits (one branch move), and with --ia an <IA> interpreted age.

    Refused, with nothing written, when any file of a chosen analysis changed since the
    experiment ran, or when the refit would not equal the experiment's.
    """
    lab = cli.lab()
    applied = lab.apply_experiment(
        name, ApplyOptions(only=only, ia=ia, ia_name=ia_name, preferred=preferred)
    )
    command_log("exp apply", name=name, commits=len(applied.commits))
    for commit in applied.commits:
        message = lab.repo(lab.experiments.load(name).repo).git.resolve(commit).message
        cli.console.print(f"committed {commit} {message.splitlines()[0]}", highlight=False)


@exp_group.command("remove")
@click.argument("name")
@pass_ctx
@report_errors
def remove_cmd(cli: CliContext, name: str) -> None:
    """Delete an experiment (its record and its own repository)."""
    cli.lab().experiments.remove(name)
    command_log("exp remove", name=name)
    cli.console.print(f"removed experiment {name}", highlight=False)
