"""``ardvc ia``: interpreted ages."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.cli.output import emit_json, table
from ardvc.config import Config
from ardvc.data import DataRepo
from ardvc.errors import LabNotFoundError, UsageError
from ardvc.formats.ia import decode_ia
from ardvc.formats.jsonio import loads
from ardvc.gitstore import GitRepo, path_history
from ardvc.gitstore.history import commit_time
from ardvc.meta import MetaRepo
from ardvc.reduce.conventions import preset
from ardvc.reduction.ia_save import save_ia
from ardvc.reduction.ia_write import PREFERRED_KINDS
from ardvc.reduction.iacheck import MATCH, NOT_STORED, Comparison, check_ia, default_conventions
from ardvc.reduction.select import commit_before
from ardvc.reduction.settings import settings as reduction_settings
from ardvc.reduction.timezone import local_zone
from ardvc.workspace import find_root


@click.group("ia")
def ia_group() -> None:
    """Interpreted ages (sample ages) and their reproducibility."""


def _lab_timezone(cli: CliContext) -> str | None:
    try:
        workspace = find_root(cli.root)
    except LabNotFoundError:
        return None
    zone = Config(workspace.ardvc_dir).get("lab.timezone")
    return str(zone) if zone else None


def _rel(row: Comparison) -> str:
    return "—" if row.rel is None else f"{row.rel:.1e}"


def _fmt(value: float | None) -> str:
    return "—" if value is None else repr(float(value))


@ia_group.command("check")
@click.argument("file", metavar="FILE.ia.json")
@click.option(
    "--data-repo",
    required=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The data repository (a git folder).",
)
@click.option(
    "--meta-repo",
    required=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The MetaRepo (a git folder).",
)
@click.option(
    "--data-commit",
    metavar="C",
    help="Data-repository state (default: the last commit that changed FILE).",
)
@click.option(
    "--meta-commit",
    metavar="C",
    help="MetaRepo state (default: its last commit before the data commit).",
)
@click.option(
    "--meta-before",
    metavar="DATE",
    help="MetaRepo state: its last commit before DATE (ISO).",
)
@click.option(
    "--rtol",
    default=1e-9,
    show_default=True,
    help="Relative tolerance of the per-analysis checks.",
)
@click.option("--strict", is_flag=True, help="A group-value mismatch also fails.")
@click.option(
    "--conventions",
    metavar="NAME",
    help="Override the conventions (default by file format: 2018 files pychron-2018, "
    "2022 files pychron-2022).",
)
@click.option(
    "--timezone",
    metavar="ZONE",
    help="Lab time zone for 36Cl decay days (default: lab.timezone, else this machine's zone).",
)
@click.option("--json", "as_json", is_flag=True, help="The full report as JSON.")
@pass_ctx
@report_errors
def ia_check(
    cli: CliContext,
    file: str,
    data_repo: Path,
    meta_repo: Path,
    data_commit: str | None,
    meta_commit: str | None,
    meta_before: str | None,
    rtol: float,
    strict: bool,
    conventions: str | None,
    timezone: str | None,
    as_json: bool,
) -> None:
    """Does a stored interpreted age still reproduce from git?

    Recomputes every analysis of FILE (a path on disk, or a path inside the data
    repository) from the repositories at the given commits, with the constants the file
    records, and compares age, age error, K/Ca and %40Ar* of each analysis, then the group
    values (weighted mean, plateau, integrated, isochron) under every convention Pychron
    used. Exit status 0 when every per-analysis value agrees within --rtol; 1 otherwise
    (and, with --strict, when a group value mismatches).

    \b
    ardvc ia check 694/ia/21_00000.ia.json --data-repo repositories/Cornudas \\
        --meta-repo MetaData --timezone America/Denver
    """
    if meta_commit and meta_before:
        raise click.UsageError("give --meta-commit or --meta-before, not both")
    data = DataRepo(GitRepo(data_repo))
    meta = MetaRepo(GitRepo(meta_repo))
    disk = Path(file)
    if disk.is_file():
        raw, path = disk.read_bytes(), str(disk)
        commit = data.git.head_id(data_commit)
    else:
        path = file
        commit = data_commit
        if commit is None:
            last = next(iter(path_history(data.git, [path], limit=1)), None)
            if last is None or last.after is None:
                raise UsageError(f"{path} is neither a file here nor in {data.name}")
            commit = last.commit
        raw = data.git.read(path, commit)
    assert commit is not None
    ia = decode_ia(loads(raw, path=path, repo=data.name, commit=commit), path=path)
    if meta_commit is None:
        when = (
            datetime.fromisoformat(meta_before)
            if meta_before
            else commit_time(data.git.resolve(commit))
        )
        meta_commit = commit_before(meta.git, when)
    zone = timezone or _lab_timezone(cli) or local_zone()
    if zone is not None and zone.lower() in {"naive", "none"}:
        zone = None
    conv = preset(conventions) if conventions else default_conventions(ia)
    conv = conv.updated(timezone=zone) if zone != conv.timezone else conv
    report = check_ia(
        ia, path=path, data=data, data_rev=commit, meta=meta, meta_rev=meta_commit,
        conventions=conv, rtol=rtol,
    )  # fmt: skip
    command_log("ia check", path=path, ok=report.ok, data=commit[:12], meta=meta_commit[:12])
    if as_json:
        emit_json(cli.console, report.as_dict())
    else:
        cli.console.print(
            f"{path}  ({ia.format_version} format)\n"
            f"data     {data.name} @ {report.data_commit[:12]}\n"
            f"MetaRepo {meta.name} @ {report.meta_commit[:12]}\n"
            f"conventions {report.conventions}, time zone {zone or 'naive'}, rtol {rtol:g}",
            highlight=False,
        )
        columns = ("value", "stored", "recomputed", "rel. diff", "status")
        rows = [
            (c.name, _fmt(c.stored), _fmt(c.computed), _rel(c), c.status) for c in report.analyses
        ]
        cli.console.print(table("analyses", columns, rows))
        groups = [
            (c.name, _fmt(c.stored), _fmt(c.computed), _rel(c), c.status, c.note)
            for c in report.groups
        ]
        cli.console.print(table("group values", (*columns, "note"), groups))
        for failure in report.failures:
            cli.err.print(f"[red]failed:[/] {failure}", highlight=False)
        agreed = sum(1 for c in report.analyses if c.status in {MATCH, NOT_STORED})
        cli.console.print(
            f"{agreed} of {len(report.analyses)} per-analysis values agree within {rtol:g}",
            highlight=False,
        )
    if not (report.strict_ok if strict else report.ok):
        raise SystemExit(1)


@ia_group.command("save")
@click.argument("names", nargs=-1, metavar="[RUNID|UUID]...")
@click.option("--repo", required=True, metavar="NAME", help="Data repository.")
@click.option("--identifier", metavar="ID", help="The sample: every analysis of ID.")
@click.option("--name", metavar="NAME", help="IA name (default: the steps' aliquot, '02').")
@click.option(
    "--preferred",
    type=click.Choice(PREFERRED_KINDS),
    help="The preferred age (default: plateau when there is one, else weighted_mean).",
)
@click.option("--exclude", multiple=True, metavar="RUNID", help="Leave a step out; repeatable.")
@click.option("--meta-at", metavar="REV", help="MetaRepo revision (default: HEAD).")
@click.option(
    "--conventions",
    metavar="NAME",
    help="pychron-2018, pychron-2022 or ardvc (default: reduce.conventions).",
)
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a reduction setting, as for ardvc reduce.")  # fmt: skip
@pass_ctx
@report_errors
def ia_save(
    cli: CliContext,
    names: tuple[str, ...],
    repo: str,
    identifier: str | None,
    name: str | None,
    preferred: str | None,
    exclude: tuple[str, ...],
    meta_at: str | None,
    conventions: str | None,
    sets: tuple[str, ...],
) -> None:
    """Reduce one sample at the branch head and commit its interpreted age.

    Writes Pychron's 2022 nested format (per-analysis values and intermediates, group ages,
    constants) plus an "ardvc" block with the conventions, constants, data and MetaRepo
    commits and the steps of each group value, to the first free
    reduction/<id[:3]>/ia/<id[3:]>_<nnnnn>.ia.json, committed as
    "<IA> added interpreted ages <name> <identifier> <sample>". Refused, with nothing
    written, when a step does not reduce (leave it out with --exclude) or the branch moves.

    \b
    ardvc ia save --repo Cornudas --identifier 69421 --meta-at 20d8fab7
    ardvc ia save --repo Cornudas --identifier 69427 --exclude 69427-01A --preferred plateau
    """
    lab = cli.lab()
    data = lab.repo(repo)
    constants, convs = reduction_settings(lab.config, sets, conventions=conventions)
    plan, result = save_ia(
        data, lab.meta, lab.author(), conventions=convs, identifier=identifier, names=names,
        constants=constants, meta_rev=meta_at, name=name, preferred=preferred, exclude=exclude,
    )  # fmt: skip
    command_log("ia save", repo=repo, path=plan.path, commit=(result.commit or "")[:12])
    preferred_block = plan.content["preferred"]
    cli.console.print(
        f"{plan.path}: {plan.preferred} age {preferred_block['age']!r} ± "
        f"{preferred_block['age_err']!r} {preferred_block['display_age_units']} "
        f"({preferred_block['nanalyses']} of {len(plan.content['analyses'])} steps; "
        f"MetaRepo {plan.reduction.meta_commit[:10]}, {plan.reduction.conventions.name})\n"
        f"committed {result.commit} {plan.message}",
        highlight=False,
    )
