"""``ardvc demo``: the main job on the embedded default (``make demo``)."""

from __future__ import annotations

from pathlib import Path

import click

from ardvc.cli.context import CliContext, pass_ctx, report_errors
from ardvc.demo import run_demo


@click.command("demo")
@click.argument("directory", default="demo-lab", type=click.Path(path_type=Path))
@click.option("--seed", default=0, show_default=True, help="Simulator seed.")
@pass_ctx
@report_errors
def demo_cmd(cli: CliContext, directory: Path, seed: int) -> None:
    """Build a lab in DIRECTORY from a simulated day of measurements and reduce it.

    \b
    ardvc demo                 into ./demo-lab
    ardvc demo /tmp/lab --seed 3

    Records blanks, air, FC-2 flux monitors and a step-heating unknown through the
    persister, then runs the lab's reduction one committed step at a time — fit --save,
    blanks --save, icfactors --save, flux --save, reduce, ia save — and prints the age
    table (plateau, weighted mean, isochron, against the simulated true age) and writes
    age-spectrum.png and isochron.png into DIRECTORY. Needs no data: the simulated
    spectrometer is built in. DIRECTORY must be new or an earlier demo's lab.
    """
    run_demo(directory, seed=seed, console=cli.console)
