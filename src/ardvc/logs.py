"""Logging: every command writes ``logs/ardvc.log`` (rotating); ``-v``/``-q`` set the console.

The file log is the audit trail of what a command did on this workstation; the console shows
only what the user asked to see. Secrets never reach either: callers log masked values.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from rich.logging import RichHandler

LOGGER_NAME = "ardvc"
FILE_ONLY = {"file_only": True}
"""``extra=FILE_ONLY`` keeps a record out of the console (it is already shown there)."""


def _not_file_only(record: logging.LogRecord) -> bool:
    return not getattr(record, "file_only", False)


_FILE_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


def console_level(verbosity: int) -> int:
    """0 → WARNING, 1 → INFO, ≥2 → DEBUG, negative (``-q``) → ERROR."""
    if verbosity < 0:
        return logging.ERROR
    return {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)


def setup_logging(
    verbosity: int = 0,
    log_file: Path | None = None,
    *,
    file_level: str = "INFO",
    max_bytes: int = 5_000_000,
    backups: int = 5,
) -> logging.Logger:
    """Configure the ``ardvc`` logger once per process (re-calling replaces the handlers)."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    console = RichHandler(level=console_level(verbosity), show_path=False, show_time=False)
    console.addFilter(_not_file_only)
    logger.addHandler(console)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
        handler.setLevel(logging.getLevelNamesMapping().get(file_level.upper(), logging.INFO))
        handler.setFormatter(logging.Formatter(_FILE_FORMAT))
        logger.addHandler(handler)
    return logger


def get_logger(name: str) -> logging.Logger:
    """A child of the ``ardvc`` logger (``ardvc.<name>``)."""
    return logging.getLogger(f"{LOGGER_NAME}.{name}")
