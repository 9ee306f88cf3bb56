"""``ardvc``: the command line. Each command is a thin shell over :mod:`ardvc.api`.

Commands load on first use (:class:`LazyGroup`): ``ardvc status`` never imports the
reduction engine, matplotlib or the web server, so a command starts in a fraction of the
time importing every module would take.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from ardvc import __version__
from ardvc.cli.context import CliContext
from ardvc.logs import setup_logging

COMMANDS = {
    "add": "cache_cmd:add_cmd",
    "blame": "provenance_cmd:blame_cmd",
    "blanks": "refs_cmd:blanks_cmd",
    "cache": "cache_cmd:cache_group",
    "checkout": "cache_cmd:checkout_cmd",
    "clone-lab": "sync_cmd:clone_lab_cmd",
    "config": "config_cmd:config_cmd",
    "credential": "sync_cmd:credential_cmd",
    "demo": "demo_cmd:demo_cmd",
    "diff": "provenance_cmd:diff_cmd",
    "doctor": "health_cmd:doctor_cmd",
    "exp": "exp_cmd:exp_group",
    "export": "export_cmd:export_group",
    "find": "index_cmd:find_cmd",
    "fit": "fit_cmd:fit_cmd",
    "flux": "flux_cmd:flux_cmd",
    "fsck": "health_cmd:fsck_cmd",
    "gc": "cache_cmd:gc_cmd",
    "ia": "ia_cmd:ia_group",
    "icfactors": "refs_cmd:icfactors_cmd",
    "index": "index_cmd:index_group",
    "init": "init_cmd:init_cmd",
    "lock": "cache_cmd:lock_cmd",
    "log": "provenance_cmd:log_cmd",
    "ls": "repo_cmd:ls_cmd",
    "offline": "sync_cmd:offline_group",
    "outbox": "acquire_cmd:outbox_cmd",
    "plot": "plot_cmd:plot_group",
    "pull": "sync_cmd:pull_cmd",
    "push": "sync_cmd:push_cmd",
    "reduce": "reduce_cmd:reduce_cmd",
    "remote": "remote_cmd:remote_group",
    "repo": "repo_cmd:repo_group",
    "run-cache": "cache_cmd:run_cache_group",
    "runs": "acquire_cmd:runs_group",
    "serve": "serve_cmd:serve_cmd",
    "share": "sync_cmd:share_cmd",
    "show": "show_cmd:show_cmd",
    "simulate": "acquire_cmd:simulate_cmd",
    "status": "sync_cmd:status_cmd",
    "tag": "tag_cmd:tag_cmd",
    "unprotect": "cache_cmd:unprotect_cmd",
}
"""Command name → ``module:attribute`` under :mod:`ardvc.cli`."""


class LazyGroup(click.Group):
    """A group whose subcommands are imported when they are asked for."""

    def __init__(self, *args: object, lazy: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, _, attr = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(f"ardvc.cli.{module}"), attr)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


def _parse_overrides(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="-c")
        out[key.strip()] = value
    return out


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
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
