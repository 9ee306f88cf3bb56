"""Options that name one sample and how to reduce it, shared by ``ardvc plot`` and
``ardvc export``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ardvc.api import Lab
from ardvc.formats.jsonio import atomic_write_bytes
from ardvc.reduction.sample import SampleReport

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = (
    click.option("--repo", required=True, metavar="NAME", help="Data repository."),
    click.option("--identifier", "identifiers", multiple=True, required=True, metavar="ID",
                 help="The sample's identifier (repeatable where several samples fit)."),
    click.option("--aliquot", type=int, help="Only this aliquot (default: every aliquot)."),
    click.option("--at", "rev", metavar="REV", help="Data-repository revision (default: HEAD)."),
    click.option("--meta-at", metavar="REV", help="MetaRepo revision (default: HEAD)."),
    click.option("--conventions", metavar="NAME",
                 help="pychron-2018, pychron-2022 or ardvc (default: reduce.conventions)."),
    click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                 help="Override a reduction setting (as in ardvc reduce)."),
)  # fmt: skip


def sample_options(func: F) -> F:
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def load_samples(lab: Lab, opts: dict[str, Any]) -> list[SampleReport]:
    """One reduced sample per ``--identifier``."""
    return [
        lab.sample(
            opts["repo"], identifier, aliquot=opts["aliquot"], at=opts["rev"],
            meta_at=opts["meta_at"], conventions=opts["conventions"], settings=opts["sets"],
        )
        for identifier in opts["identifiers"]
    ]  # fmt: skip


def one_sample(lab: Lab, opts: dict[str, Any]) -> SampleReport:
    if len(opts["identifiers"]) != 1:
        raise click.UsageError("give exactly one --identifier here")
    return load_samples(lab, opts)[0]


def write_output(data: bytes, output: Path | None) -> str:
    """Atomically to ``output``, or to stdout when it is ``None`` or ``-``."""
    if output is None or str(output) == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return "stdout"
    atomic_write_bytes(output, data)
    return str(output)
