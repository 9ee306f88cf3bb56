"""A sample's steps as an IsoplotR Ar-Ar input file (``read.data(f, method="Ar-Ar",
format=N)``; Vermeesch 2018).

IsoplotR reads the file positionally with ``read.table(sep=",")``: row 1 is a label row,
row 2 holds J and its 1σ error in the first two columns, row 3 names the columns, and the
data start on row 4; errors are 1σ absolute (``ierr = 1``). The column layouts follow
IsoplotR's ``as.ArAr`` (and its example files ``ArAr1/2/3.csv``):

====== =================================================================================
format columns
====== =================================================================================
1      39Ar/36Ar, err, 40Ar/36Ar, err, rho, 39Ar  (normal isochron)
2      39Ar/40Ar, err, 36Ar/40Ar, err, rho, 39Ar  (inverse isochron; the default)
3      39Ar/40Ar, err, 36Ar/40Ar, err, 39Ar/36Ar, err, 39Ar
====== =================================================================================

(IsoplotR's help text lists format 2 as "6/0, 9/0", but its reader and example file put
39/40 first; the reader is what counts.)

The ratios are those ardvc's own isochron regresses: 40Ar less its K-derived part,
39Ar_K and atmospheric 36Ar after blank, IC, decay and interference corrections; errors are
propagated through the whole reduction, and ρ follows Pychron's definition from the
relative errors of the three isotopes, as in :func:`~ardvc.reduction.groups.isochron_points`.
Every number is written with Python's shortest exact ``repr``, so reading the file back
gives the reduction's values bit for bit. The 39Ar column is 39Ar_K (the release spectrum's
widths).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

from ardvc.errors import MissingInputError, UsageError
from ardvc.reduce.isochron import error_correlation
from ardvc.reduction.groups import isochron_components
from ardvc.reduction.sample import SampleReport

COLUMNS: dict[int, tuple[str, ...]] = {
    1: ("Ar39Ar36", "errAr39Ar36", "Ar40Ar36", "errAr40Ar36", "rho", "Ar39"),
    2: ("Ar39Ar40", "errAr39Ar40", "Ar36Ar40", "errAr36Ar40", "rho", "Ar39"),
    3: ("Ar39Ar40", "errAr39Ar40", "Ar36Ar40", "errAr36Ar40", "Ar39Ar36", "errAr39Ar36", "Ar39"),
}
FORMATS = tuple(COLUMNS)


@dataclass(frozen=True)
class IsoplotrTable:
    """The rows of one export: ``rows[k]`` belongs to ``record_ids[k]``."""

    format: int
    j: float
    j_err: float
    record_ids: tuple[str, ...]
    rows: tuple[tuple[float, ...], ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return COLUMNS[self.format]


def isoplotr_table(
    report: SampleReport, fmt: int = 2, *, include_omitted: bool = True
) -> IsoplotrTable:
    """The ratios of every reduced step of ``report`` in IsoplotR format ``fmt``."""
    if fmt not in COLUMNS:
        raise UsageError(f"no IsoplotR Ar-Ar format {fmt}", hint="formats: 1, 2, 3")
    groups = report.require_groups()
    reduction = report.reduction
    chain = reduction.chain
    assert chain is not None  # groups exist, so the engine ran
    left_out = set(groups.omitted)
    steps = [i for i in groups.steps if include_omitted or i not in left_out]
    if not steps:
        raise MissingInputError(f"{report.title}: every step is omitted; nothing to export")
    js = {(reduction.results[i].j, reduction.results[i].j_err) for i in steps}
    if len(js) != 1:
        raise UsageError(f"{report.title}: the steps have {len(js)} different J values")
    j, j_err = js.pop()
    a40, k39, atm36 = isochron_components(chain, np.array([reduction.rows[i] for i in steps]))
    f40, f39, f36 = a40.std / a40.value, k39.std / k39.value, atm36.std / atm36.value
    r39_40, r36_40, r39_36, r40_36 = k39 / a40, atm36 / a40, k39 / atm36, a40 / atm36
    if fmt == 1:
        rho = error_correlation(f36, f40, f39)  # shared denominator 36Ar
        cols = [r39_36.value, r39_36.std, r40_36.value, r40_36.std, rho, k39.value]
    elif fmt == 2:
        rho = error_correlation(f40, f36, f39)  # shared denominator 40Ar
        cols = [r39_40.value, r39_40.std, r36_40.value, r36_40.std, rho, k39.value]
    else:
        cols = [r39_40.value, r39_40.std, r36_40.value, r36_40.std, r39_36.value, r39_36.std,
                k39.value]  # fmt: skip
    rows = tuple(tuple(float(c[k]) for c in cols) for k in range(len(steps)))
    bad = [reduction.results[steps[k]].record_id for k, row in enumerate(rows)
           if not all(math.isfinite(v) for v in row)]  # fmt: skip
    if bad:
        raise MissingInputError(f"{report.title}: non-finite isochron ratios for {', '.join(bad)}")
    return IsoplotrTable(
        fmt, float(j), float(j_err), tuple(reduction.results[i].record_id for i in steps), rows
    )


def isoplotr_csv(table: IsoplotrTable) -> str:
    """The file IsoplotR reads: every row padded to the same number of fields."""
    width = len(table.columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["J", "err[J]"] + [""] * (width - 2))
    writer.writerow([repr(table.j), repr(table.j_err)] + [""] * (width - 2))
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([repr(v) for v in row])
    return out.getvalue()
