"""``ardvc export``: a sample for IsoplotR, a spreadsheet or Sparrow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import orjson

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.cli.sample_options import load_samples, one_sample, sample_options, write_output
from ardvc.report.isoplotr import FORMATS, isoplotr_csv, isoplotr_table
from ardvc.report.sparrow import sparrow_session
from ardvc.report.xlsx import step_table_workbook


@click.group("export")
def export_group() -> None:
    """Export a reduced sample: IsoplotR CSV, a step-heating table (.xlsx), Sparrow JSON.

    Every export reduces the sample first (as ardvc reduce does), so its numbers are the
    reduction's; --at and --meta-at pin both repositories for a reproducible file.

    \b
    ardvc export isoplotr --repo Cornudas --identifier 69421 -o 69421.csv
    ardvc export xlsx --repo Cornudas --identifier 69421 --identifier 69427 -o table.xlsx
    ardvc export sparrow --repo Cornudas --identifier 69421 > 69421.sparrow.json
    """


_OUT = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                    help="File to write (default: standard output).")  # fmt: skip


@export_group.command("isoplotr")
@sample_options
@click.option("--format", "fmt", type=click.Choice([str(f) for f in FORMATS]), default="2",
              show_default=True,
              help="IsoplotR Ar-Ar format: 1 = 39/36, 40/36, rho; 2 = 39/40, 36/40, rho; "
              "3 = 39/40, 36/40, 39/36.")  # fmt: skip
@click.option("--skip-omitted", is_flag=True, help="Leave out steps tagged omit/invalid/….")
@_OUT
@pass_ctx
@report_errors
def isoplotr_cmd(cli: CliContext, /, fmt: str, skip_omitted: bool, output: Path | None,
                 **opts: Any) -> None:  # fmt: skip
    """IsoplotR's Ar-Ar CSV (read.data(f, method="Ar-Ar", format=N)): J on row 2, 1σ
    absolute errors, one row per step, 39Ar_K last."""
    report = one_sample(cli.lab(), opts)
    table = isoplotr_table(report, int(fmt), include_omitted=not skip_omitted)
    where = write_output(isoplotr_csv(table).encode("utf-8"), output)
    command_log("export isoplotr", identifier=report.identifier, rows=len(table.rows), out=where)


@export_group.command("xlsx")
@sample_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The .xlsx file to write.")  # fmt: skip
@pass_ctx
@report_errors
def xlsx_cmd(cli: CliContext, /, output: Path, **opts: Any) -> None:
    """A step-heating table as labs publish it, one worksheet per --identifier."""
    reports = load_samples(cli.lab(), opts)
    where = write_output(step_table_workbook(reports), output)
    command_log("export xlsx", samples=len(reports), out=where)
    cli.err.print(f"wrote {where}: {', '.join(r.title for r in reports)}", highlight=False)


@export_group.command("sparrow")
@sample_options
@_OUT
@pass_ctx
@report_errors
def sparrow_cmd(cli: CliContext, /, output: Path | None, **opts: Any) -> None:
    """A Sparrow session payload (sample, heating steps, interpreted ages, J) as JSON."""
    report = one_sample(cli.lab(), opts)
    payload = orjson.dumps(sparrow_session(report), option=orjson.OPT_INDENT_2) + b"\n"
    where = write_output(payload, output)
    command_log("export sparrow", identifier=report.identifier, out=where)
