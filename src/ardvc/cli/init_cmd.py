"""``ardvc init``."""

from __future__ import annotations

from pathlib import Path

import click

from ardvc.cli.context import CliContext, pass_ctx, report_errors
from ardvc.labinit import adopt_pychron, init_lab
from ardvc.logs import setup_logging


@click.command("init")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--meta-repo", "meta_repo", metavar="NAME", help="MetaRepo folder name (MetaData).")
@click.option(
    "--from-pychron",
    "pychron_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Adopt an existing Pychron .dvc folder (MetaRepo + repositories/) in place; "
    "no existing file is rewritten.",
)
@pass_ctx
@report_errors
def init_cmd(
    cli: CliContext, path: Path | None, meta_repo: str | None, pychron_dir: Path | None
) -> None:
    """Create a lab at PATH (default: --root, $ARDVC_ROOT or the current folder).

    Makes .ardvc/ (config, config.local with mode 0600, cache, tmp), repositories/, logs/
    and a MetaRepo with placeholder holders and productions in one commit. Running it
    again on a lab changes nothing and says so.
    """
    if pychron_dir is not None:
        if path is not None:
            raise click.UsageError("give either PATH or --from-pychron DIR, not both")
        result = adopt_pychron(pychron_dir, meta_repo)
    else:
        target = path or cli.root or Path.cwd()
        result = init_lab(target, meta_repo)
    setup_logging(cli.verbosity, result.workspace.log_file)
    for message in result.messages:
        cli.console.print(message, highlight=False)
