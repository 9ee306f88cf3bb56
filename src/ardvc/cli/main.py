"""``ardvc``: the command line. Each command is a thin shell over :mod:`ardvc.api`."""

from __future__ import annotations

from pathlib import Path

import click

from ardvc import __version__
from ardvc.cli.acquire_cmd import register as register_acquire
from ardvc.cli.cache_cmd import register as register_cache
from ardvc.cli.config_cmd import config_cmd
from ardvc.cli.context import CliContext
from ardvc.cli.demo_cmd import demo_cmd
from ardvc.cli.exp_cmd import exp_group
from ardvc.cli.export_cmd import export_group
from ardvc.cli.fit_cmd import fit_cmd
from ardvc.cli.flux_cmd import flux_cmd
from ardvc.cli.health_cmd import register as register_health
from ardvc.cli.ia_cmd import ia_group
from ardvc.cli.index_cmd import find_cmd, index_group
from ardvc.cli.init_cmd import init_cmd
from ardvc.cli.plot_cmd import plot_group
from ardvc.cli.provenance_cmd import register as register_provenance
from ardvc.cli.reduce_cmd import reduce_cmd
from ardvc.cli.refs_cmd import register as register_refs
from ardvc.cli.repo_cmd import ls_cmd, repo_group
from ardvc.cli.serve_cmd import serve_cmd
from ardvc.cli.show_cmd import show_cmd
from ardvc.cli.sync_cmd import register as register_sync
from ardvc.cli.tag_cmd import tag_cmd
from ardvc.logs import setup_logging


def _parse_overrides(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="-c")
        out[key.strip()] = value
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Lab folder. Default: $ARDVC_ROOT, else the nearest parent holding .ardvc/, "
    "else the per-user default lab.",
)
@click.option("-v", "--verbose", count=True, help="More console output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on the console.")
@click.option(
    "-c",
    "--config",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a configuration key for this command only (highest level).",
)
@click.version_option(__version__, prog_name="ardvc")
@click.pass_context
def main(
    ctx: click.Context, root: Path | None, verbose: int, quiet: bool, overrides: tuple[str, ...]
) -> None:
    """ardvc — argon data version control.

    Git-backed, Pychron-compatible storage and provenance for 40Ar/39Ar labs: a MetaRepo
    (irradiations, J, productions), one git repository per experiment batch, and a SQL
    index derived from git.

    \b
    Start here:
      ardvc init ~/labs/mylab               a new, empty lab
      ardvc init --from-pychron ~/.dvc      adopt Pychron's data in place
      ardvc ls                              repositories and analysis counts
      ardvc show 66681-03L                  one analysis, all its values
    """
    verbosity = -1 if quiet else verbose
    setup_logging(verbosity)
    ctx.obj = CliContext(root=root, verbosity=verbosity, overrides=_parse_overrides(overrides))


main.add_command(init_cmd)
main.add_command(config_cmd)
main.add_command(ls_cmd)
main.add_command(repo_group)
main.add_command(show_cmd)
main.add_command(reduce_cmd)
main.add_command(ia_group)
main.add_command(fit_cmd)
main.add_command(index_group)
main.add_command(find_cmd)
main.add_command(flux_cmd)
main.add_command(demo_cmd)
main.add_command(exp_group)
register_refs(main)
register_acquire(main)
register_cache(main)
main.add_command(serve_cmd)
main.add_command(plot_group)
main.add_command(export_group)
main.add_command(tag_cmd)
register_provenance(main)
register_health(main)
register_sync(main)
