"""A step-heating table as labs publish it (one worksheet per sample): a header with the
sample, irradiation, J and the constants; one row per step with the corrected isotope
ratios, 39Ar_K, K/Ca, %40Ar*, the cumulative 39Ar release and the age; then the plateau,
weighted mean, integrated and isochron ages; then notes saying what every error is.

Cells hold numbers, not formatted text (display formats only round what is shown), so the
table can be recomputed from: openpyxl writes 16 significant digits, one more than Excel
keeps.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ardvc import __version__
from ardvc.reduction.sample import SampleReport
from ardvc.report.steps import group_rows, step_rows

STEP_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (header, StepRow attribute, number format)
    ("Step", "step", "@"),
    ("Run ID", "record_id", "@"),
    ("Tag", "tag", "@"),
    ("Extract", "extract_value", "0.0##"),
    ("Units", "extract_units", "@"),
    ("40Ar/39Ar", "ar40_ar39", "0.0000"),
    ("±1σ", "ar40_ar39_err", "0.0000"),
    ("37Ar/39Ar", "ar37_ar39", "0.00000"),
    ("±1σ", "ar37_ar39_err", "0.00000"),
    ("36Ar/39Ar", "ar36_ar39", "0.0000E+00"),
    ("±1σ", "ar36_ar39_err", "0.0000E+00"),
    ("39Ar_K (mol)", "moles_k39", "0.000E+00"),
    ("K/Ca", "kca", "0.00"),
    ("±1σ", "kca_err", "0.00"),
    ("40Ar* (%)", "radiogenic_yield", "0.0"),
    ("39Ar_K (%)", "k39_percent", "0.0"),
    ("Σ39Ar_K (%)", "cumulative_k39_percent", "0.0"),
    ("40Ar*/39Ar_K", "f", "0.00000"),
    ("±1σ", "f_err", "0.00000"),
    ("Age (Ma)", "age", "0.000"),
    ("±1σ w/o J", "age_err", "0.000"),
    ("±1σ with J", "age_err_with_j", "0.000"),
)
GROUP_COLUMNS = ("Group", "Age (Ma)", "±1σ w/o J", "±1σ with J", "MSWD", "n", "Steps", "Note")
BOLD = Font(bold=True)


def _write_row(ws: Worksheet, row: int, values: Sequence[Any], *, bold: bool = False) -> None:
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col, value=value)
        if bold:
            cell.font = BOLD


def header_lines(report: SampleReport) -> list[tuple[str, Any]]:
    info, groups, reduction = report.info, report.groups, report.reduction
    position = " ".join(str(info.get(k)) for k in
                        ("irradiation", "irradiation_level", "irradiation_position")
                        if info.get(k) is not None)  # fmt: skip
    c = reduction.constants
    lines: list[tuple[str, Any]] = [
        ("Sample", info.get("sample") or ""),
        ("Identifier", report.identifier),
        ("Material", info.get("material") or ""),
        ("Project", info.get("project") or ""),
        ("Irradiation position", position),
        ("Spectrometer", info.get("mass_spectrometer") or ""),
    ]
    if groups is not None:
        lines += [("J", groups.j), ("J ±1σ", groups.j * groups.j_rel_error)]
    lines += [
        ("Decay constants", f"{c.decay.name}: λ_K = {c.decay.total:.4e} /a"),
        ("Atmosphere", f"{c.atmosphere.name}: 40Ar/36Ar = {c.atmosphere.atm4036} ± "
                       f"{c.atmosphere.atm4036_err}"),
        ("Conventions", reduction.conventions.name),
        ("Data", f"{report.repo} @ {report.commit}"),
        ("MetaRepo", reduction.meta_commit),
        ("Reduced with", f"ardvc {__version__}"),
    ]  # fmt: skip
    return lines


NOTES = (
    "All errors 1σ. Step ages exclude the J error unless stated; group ages are given without",
    "and with it. Plateau and weighted-mean errors are SEM·√MSWD when MSWD > 1.",
    "Ratios: corrected for baseline, blank, detector IC and 37Ar/39Ar decay; not for interfering",
    "reactions. Steps tagged omit/invalid/outlier/skip are left out of plateau, weighted mean",
    "and isochron, and kept in the integrated age.",
)


def step_table_workbook(reports: Sequence[SampleReport]) -> bytes:
    """One worksheet per sample; the bytes of the .xlsx file."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for report in reports:
        ws = wb.create_sheet(title=_sheet_title(report, wb.sheetnames))
        row = 1
        for key, value in header_lines(report):
            _write_row(ws, row, [key, value])
            ws.cell(row=row, column=1).font = BOLD
            row += 1
        row += 1
        _write_row(ws, row, [h for h, _, _ in STEP_COLUMNS], bold=True)
        table_top = row
        for step in step_rows(report):
            row += 1
            for col, (_, attr, fmt) in enumerate(STEP_COLUMNS, start=1):
                cell = ws.cell(row=row, column=col, value=getattr(step, attr))
                cell.number_format = fmt
            if step.error:
                ws.cell(row=row, column=len(STEP_COLUMNS) + 1, value=f"not reduced: {step.error}")
        row += 2
        _write_row(ws, row, GROUP_COLUMNS, bold=True)
        for group in group_rows(report):
            row += 1
            _write_row(ws, row, [group.label, group.value, group.error, group.error_with_j,
                                 group.mswd, group.n, group.steps, group.note])  # fmt: skip
            for col in (2, 3, 4):
                ws.cell(row=row, column=col).number_format = "0.000"
            ws.cell(row=row, column=5).number_format = "0.00"
        row += 2
        for line in NOTES:
            ws.cell(row=row, column=1, value=line).alignment = Alignment(wrap_text=False)
            row += 1
        ws.freeze_panes = ws.cell(row=table_top + 1, column=3)
        for col in range(1, len(STEP_COLUMNS) + 1):
            ws.column_dimensions[get_column_letter(col)].width = 13
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _sheet_title(report: SampleReport, taken: list[str]) -> str:
    """Excel's rules: ≤ 31 characters, none of ``[]:*?/\\``, unique in the workbook."""
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in report.title)[:31] or "sample"
    title, n = base, 1
    while title in taken:
        n += 1
        title = f"{base[: 31 - len(str(n)) - 1]}~{n}"
    return title
