"""The command line loads each command on first use: every listed command resolves to a
click command of that name, and a command that needs neither figures nor the reduction
engine starts without importing matplotlib or scipy."""

from __future__ import annotations

import subprocess
import sys

import click

from ardvc.cli.main import COMMANDS, main


def test_every_listed_command_loads_under_its_name() -> None:
    ctx = click.Context(main)
    assert main.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name
        assert command.help, f"ardvc {name} has no --help text"


def test_status_and_config_start_without_matplotlib_or_scipy() -> None:
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from ardvc.cli.main import main\n"
        "for args in (['status', '--help'], ['config', '--help'], ['cache', 'status', '--help']):\n"
        "    out = CliRunner().invoke(main, args)\n"
        "    assert out.exit_code == 0, out.output\n"
        "print(sorted(m for m in ('matplotlib', 'scipy', 'fastapi') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
