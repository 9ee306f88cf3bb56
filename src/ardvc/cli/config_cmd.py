"""``ardvc config``."""

from __future__ import annotations

import click
from rich.table import Table

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.config import KEYS, Config, Level, is_secret
from ardvc.errors import ConfigError, LabNotFoundError
from ardvc.workspace import find_root


def _open_config(cli: CliContext, need_lab: bool) -> Config:
    try:
        workspace = find_root(cli.root)
    except LabNotFoundError:
        if need_lab:
            raise
        return Config(None, overrides=cli.overrides)
    return Config(workspace.ardvc_dir, overrides=cli.overrides)


@click.command("config")
@click.argument("key", required=False)
@click.argument("value", required=False)
@click.option("--local", "level", flag_value=Level.LOCAL, help="Use .ardvc/config.local (secrets).")
@click.option("--global", "level", flag_value=Level.USER, help="Use the per-user config file.")
@click.option("--system", "level", flag_value=Level.SYSTEM, help="Use the system config file.")
@click.option("--unset", is_flag=True, help="Remove KEY from the chosen level.")
@click.option("--list", "list_", is_flag=True, help="List every key with its value.")
@click.option(
    "--show-origin", is_flag=True, help="With --list or KEY: where each value comes from."
)
@pass_ctx
@report_errors
def config_cmd(
    cli: CliContext,
    key: str | None,
    value: str | None,
    level: Level | None,
    unset: bool,
    list_: bool,
    show_origin: bool,
) -> None:
    """Read or write configuration.

    \b
    ardvc config KEY                 print the effective value
    ardvc config KEY VALUE           write it to .ardvc/config (the lab level)
    ardvc config --local KEY VALUE   write it to .ardvc/config.local (secrets go here)
    ardvc config --unset KEY         remove it from the chosen level
    ardvc config --list --show-origin

    Levels, lowest to highest: built-in, system, user (--global), lab, local, ARDVC_*
    environment variables, -c KEY=VALUE. Keys naming a token or password, and URLs with
    a password, are refused outside config.local.
    """
    chosen = Level(level) if level else Level.LAB
    needs_lab = chosen in (Level.LAB, Level.LOCAL) and (value is not None or unset)
    config = _open_config(cli, needs_lab)
    if list_:
        table = Table(show_header=True, header_style="bold")
        table.add_column("key")
        table.add_column("value")
        if show_origin:
            table.add_column("origin")
        for setting in config.settings():
            row = [setting.key, setting.shown()]
            if show_origin:
                row.append(f"{setting.level}: {setting.origin}")
            table.add_row(*row)
        cli.console.print(table)
        return
    if key is None:
        raise click.UsageError("give a KEY, or --list (ardvc config --help shows how)")
    if unset:
        if value is not None:
            raise click.UsageError("--unset takes a KEY only")
        removed = config.unset(key, chosen)
        command_log("config --unset", key=key, level=str(chosen))
        note = "removed" if removed else "was not set"
        cli.console.print(f"{key} {note} at the {chosen} level ({config.path(chosen)})")
        return
    if value is None:
        found = config.setting(key)
        if found is None:
            raise ConfigError(f"{key} is not set")
        line = found.shown()
        if show_origin:
            line = f"{line}\t{found.level}: {found.origin}"
        cli.console.print(line, highlight=False)
        return
    config.set(key, value, chosen)
    shown = "***" if is_secret(key, value) else value
    command_log("config", key=key, level=str(chosen), value=shown)
    note = f"  # {KEYS[key].help}" if key in KEYS else ""
    cli.console.print(f"{key} = {shown} ({chosen}: {config.path(chosen)}){note}", highlight=False)
