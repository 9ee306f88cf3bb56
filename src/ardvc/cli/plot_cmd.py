"""``ardvc plot``: publication figures drawn with the lab's plot templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.cli.sample_options import one_sample, sample_options
from ardvc.reduction.evolution import evolutions
from ardvc.report import age_spectrum, inverse_isochron, save
from ardvc.report.evolution import evolution_figure
from ardvc.report.ideogram import ideogram

SAMPLE_KINDS = {"age-spectrum": "age_spectrum", "isochron": "isochron", "ideogram": "ideogram"}


def _output(output: Path | None, stem: str, kind: str) -> Path:
    return output if output is not None else Path(f"{stem}-{kind}.png")


_COMMON = (
    click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                 help="File to write; .png, .pdf or .svg (default: <name>-<kind>.png)."),
    click.option("--title", help="Figure title (default: sample and identifier)."),
    click.option("--sigma", type=float, help="Error multiple (default: the template's)."),
    click.option("--dpi", type=int, help="PNG resolution (default: the template's)."),
)  # fmt: skip


def _common(func: Any) -> Any:
    for option in reversed(_COMMON):
        func = option(func)
    return func


@click.group("plot")
def plot_group() -> None:
    """Figures as PNG, PDF or SVG, styled by the templates in .ardvc/plots/.

    Each kind has its template (age_spectrum.toml, isochron.toml, ideogram.toml,
    evolution.toml): size, fonts, colours, the σ of every error, and a few switches. Edit
    them; the next plot uses them. Missing templates are written with the defaults.

    \b
    ardvc plot age-spectrum --repo Cornudas --identifier 69421 -o 69421.pdf
    ardvc plot isochron --repo Cornudas --identifier 69421 --at c919ed7 --meta-at 20d8fab7
    ardvc plot evolution 69421-02F --repo Cornudas -o 02F.svg
    """


def _sample_plot(kind: str) -> click.Command:
    template = SAMPLE_KINDS[kind]

    @sample_options
    @_common
    @pass_ctx
    @report_errors
    def command(cli: CliContext, /, output: Path | None, title: str | None, sigma: float | None,
                dpi: int | None, **opts: Any) -> None:  # fmt: skip
        lab = cli.lab()
        report = one_sample(lab, opts)
        groups = report.require_groups()
        style = lab.plot_style(template)
        draw = {"age_spectrum": age_spectrum, "isochron": inverse_isochron,
                "ideogram": ideogram}[template]  # fmt: skip
        fig = draw(report.reduction, groups, title=title or report.title, sigma=sigma, style=style)
        path = save(fig, _output(output, report.identifier, kind), dpi=dpi or style.dpi)
        command_log(f"plot {kind}", identifier=report.identifier, output=path)
        cli.console.print(f"wrote {path} ({style.source})", highlight=False)

    command.__doc__ = f"The {kind.replace('-', ' ')} of one sample (template {template}.toml)."
    return click.command(kind)(command)


for _kind in SAMPLE_KINDS:
    plot_group.add_command(_sample_plot(_kind))


@plot_group.command("evolution")
@click.argument("name", metavar="RUNID|UUID")
@click.option("--repo", metavar="NAME", help="Data repository (default: search all).")
@click.option("--at", "rev", metavar="REV", help="Revision to read (needs --repo).")
@_common
@pass_ctx
@report_errors
def evolution_cmd(cli: CliContext, name: str, repo: str | None, rev: str | None,
                  output: Path | None, title: str | None, sigma: float | None,
                  dpi: int | None) -> None:  # fmt: skip
    """Isotope evolutions of one analysis: points, excluded points, fits, intercepts
    (template evolution.toml)."""
    if rev and not repo:
        raise click.UsageError("--at needs --repo: revisions belong to one repository")
    lab = cli.lab()
    analysis = lab.analysis(name, repo=repo, rev=rev)
    style = lab.plot_style("evolution")
    fig = evolution_figure(evolutions(analysis), title=title or analysis.record_id, sigma=sigma,
                           style=style)  # fmt: skip
    path = save(fig, _output(output, analysis.record_id, "evolution"), dpi=dpi or style.dpi)
    command_log("plot evolution", name=analysis.record_id, output=path)
    cli.console.print(f"wrote {path} ({style.source})", highlight=False)
