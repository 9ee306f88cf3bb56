"""What every command shares: the chosen root, verbosity, overrides and the opened lab."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click
from rich.console import Console

from ardvc.errors import ArdvcError
from ardvc.logs import FILE_ONLY, get_logger, setup_logging

if TYPE_CHECKING:
    from ardvc.api import Lab
    from ardvc.config import Config
    from ardvc.labcache import CacheLab
    from ardvc.workspace import Workspace

P = ParamSpec("P")
R = TypeVar("R")


def _console(stderr: bool = False) -> Console:
    """Wide output when piped (rich would assume 80 columns and wrap numbers)."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, width=None if stream.isatty() else 200)


@dataclass
class CliContext:
    root: Path | None = None
    verbosity: int = 0
    overrides: dict[str, str] = field(default_factory=dict)
    console: Console = field(default_factory=_console)
    err: Console = field(default_factory=lambda: _console(stderr=True))
    _lab: Lab | None = None
    _cache_lab: CacheLab | None = None

    def lab(self) -> Lab:
        """Open the lab once and start its log file."""
        if self._lab is None:
            from ardvc.api import Lab  # what every command needs, but not --help

            lab = Lab.open(self.root, overrides=self.overrides)
            self._start_log(lab.workspace, lab.config)
            self._lab = lab
        return self._lab

    def cache_lab(self) -> CacheLab:
        """The lab as the cache commands need it, without importing the whole API (they
        start in a fraction of the time); log file started."""
        from ardvc.labcache import CacheLab

        if self._lab is not None:
            return CacheLab(self._lab.workspace, self._lab.config)
        if self._cache_lab is None:
            self._cache_lab = CacheLab.open(self.root, overrides=self.overrides)
            self._start_log(self._cache_lab.workspace, self._cache_lab.config)
        return self._cache_lab

    def _start_log(self, workspace: Workspace, cfg: Config) -> None:
        setup_logging(
            self.verbosity,
            workspace.log_file,
            file_level=str(cfg.get("log.level")),
            max_bytes=int(cfg.get("log.max_bytes")),
            backups=int(cfg.get("log.backups")),
        )


pass_ctx = click.make_pass_decorator(CliContext)


def report_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn :class:`ArdvcError` into a clear message, its hint, and the error's exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ArdvcError as exc:
            get_logger("cli").error("%s: %s", type(exc).__name__, exc, extra=FILE_ONLY)
            err = _console(stderr=True)
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            if exc.hint:
                err.print(f"[yellow]hint:[/] {exc.hint}", highlight=False)
            raise SystemExit(exc.exit_code) from None

    return wrapper


def command_log(command: str, **details: Any) -> None:
    """One line per command in logs/ardvc.log (never with secret values)."""
    shown = " ".join(f"{k}={v}" for k, v in details.items() if v is not None)
    get_logger("cli").info("ardvc %s %s", command, shown, extra=FILE_ONLY)
