"""Exports of a real sample (Cornudas 69421, CORN-805, ten steps, pinned to the commits of
its 2022 interpreted age) compared with ``ardvc reduce`` run through the console script:
the IsoplotR CSV read back as IsoplotR reads it, the xlsx table read back with openpyxl,
and the Sparrow payload checked against Sparrow's import schema rules."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from ardvc.api import Lab
from ardvc.errors import UsageError
from ardvc.reduction.groups import isochron_points
from ardvc.reduction.sample import SampleReport
from ardvc.report.isoplotr import isoplotr_csv, isoplotr_table
from ardvc.report.sparrow import sparrow_session
from lab_from_bundles import CORNUDAS_IA, META_2022, make_lab

pytestmark = pytest.mark.shared
ARDVC = str(Path(sys.executable).with_name("ardvc"))
PINS = ["--at", CORNUDAS_IA, "--meta-at", META_2022]
RTOL = 1e-12
# IsoplotR's as.ArAr column names per format (R/io.R; the example files ArAr1/2/3.csv)
ISOPLOTR_COLUMNS = {
    1: ["Ar39Ar36", "errAr39Ar36", "Ar40Ar36", "errAr40Ar36", "rho", "Ar39"],
    2: ["Ar39Ar40", "errAr39Ar40", "Ar36Ar40", "errAr36Ar40", "rho", "Ar39"],
    3: ["Ar39Ar40", "errAr39Ar40", "Ar36Ar40", "errAr36Ar40", "Ar39Ar36", "errAr39Ar36", "Ar39"],
}


@pytest.fixture(scope="module")
def lab(bundle_bare: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return make_lab(bundle_bare, tmp_path_factory.mktemp("exports") / "lab")


@pytest.fixture(scope="module")
def report(lab: Lab) -> SampleReport:
    return lab.sample("Cornudas", "69421", at=CORNUDAS_IA, meta_at=META_2022)


def ardvc(lab: Lab, *args: str) -> str:
    done = subprocess.run(
        [ARDVC, "--root", str(lab.root), *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def reduced(lab: Lab) -> list[dict[str, Any]]:
    """``ardvc reduce --json`` of the same steps at the same commits."""
    out = ardvc(lab, "reduce", "--repo", "Cornudas", "--identifier", "69421", "--all-types",
                *PINS, "--json")  # fmt: skip
    rows: list[dict[str, Any]] = json.loads(out)
    assert [r["record_id"] for r in rows] == [f"69421-02{s}" for s in "ABCDEFGHIJ"]
    return rows


def read_like_isoplotr(text: str, fmt: int) -> tuple[tuple[float, float], list[dict[str, float]]]:
    """IsoplotR's reader: read.table(sep=","), J and its error from row 2, the data from
    row 4 on, columns by position with as.ArAr's names."""
    table = list(csv.reader(io.StringIO(text)))
    widths = {len(row) for row in table}
    assert widths == {len(ISOPLOTR_COLUMNS[fmt])}, "read.table needs equal field counts"
    assert table[2] == ISOPLOTR_COLUMNS[fmt]
    j = (float(table[1][0]), float(table[1][1]))
    rows = [dict(zip(ISOPLOTR_COLUMNS[fmt], map(float, row), strict=True)) for row in table[3:]]
    return j, rows


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


@pytest.mark.parametrize("fmt", [1, 2, 3])
def test_isoplotr_csv_read_back_carries_the_reduction(
    lab: Lab, report: SampleReport, reduced: list[dict[str, Any]], fmt: int, tmp_path: Path
) -> None:
    """F = 40Ar*/39Ar_K recomputed from the ratios IsoplotR reads, the age from that F and
    the file's J, and the 39Ar column equal what ardvc reduce printed. Format 2 goes
    through the console script; 1 and 3 through the Python API (the same code)."""
    if fmt == 2:
        out = tmp_path / "69421.csv"
        ardvc(lab, "export", "isoplotr", "--repo", "Cornudas", "--identifier", "69421", *PINS,
              "-o", str(out))  # fmt: skip
        text = out.read_text()
    else:
        text = isoplotr_csv(isoplotr_table(report, fmt))
    (j, j_err), rows = read_like_isoplotr(text, fmt)
    assert len(rows) == len(reduced) == 10
    assert j == reduced[0]["j"] and j_err == reduced[0]["j_err"]
    assert lab.config.get("reduce.atmosphere") == "nier1950"
    atm = 295.5  # Nier (1950) 40Ar/36Ar
    for row, step in zip(rows, reduced, strict=True):
        if fmt == 1:
            f = (row["Ar40Ar36"] - atm) / row["Ar39Ar36"]
        else:
            f = (1 - atm * row["Ar36Ar40"]) / row["Ar39Ar40"]
        assert rel(f, step["f"]) < RTOL, (step["record_id"], f, step["f"])
        age = math.log(1 + j * f) / step["lambda_k"] / 1e6
        assert rel(age, step["age"]) < RTOL
        assert row["Ar39"] == step["k39"]
        if fmt == 3:  # the redundant third ratio agrees with the other two
            assert rel(row["Ar39Ar36"], row["Ar39Ar40"] / row["Ar36Ar40"]) < RTOL
        for key in ("rho",) if fmt != 3 else ():
            assert 0 < row[key] < 1


def test_isoplotr_format2_is_the_isochron_that_ardvc_fits(report: SampleReport) -> None:
    """Format 2 holds exactly the points (x, σx, y, σy, ρ) of ardvc's inverse isochron."""
    table = isoplotr_table(report, 2)
    pts = isochron_points(report.reduction, report.require_groups())
    got = np.array(table.rows)
    np.testing.assert_array_equal(got[:, 0], pts.x)
    np.testing.assert_array_equal(got[:, 1], pts.x_err)
    np.testing.assert_array_equal(got[:, 2], pts.y)
    np.testing.assert_array_equal(got[:, 3], pts.y_err)
    np.testing.assert_allclose(got[:, 4], pts.rho, rtol=1e-15)
    _, rows = read_like_isoplotr(isoplotr_csv(table), 2)
    assert [list(r.values()) for r in rows] == [list(r) for r in table.rows]  # repr round trip


def test_isoplotr_skip_omitted_and_bad_format(report: SampleReport) -> None:
    import dataclasses

    from ardvc.reduction.groups import group_values

    tagged = dataclasses.replace(report.reduction, results=[
        dataclasses.replace(r, tag="omit") if i == 0 else r
        for i, r in enumerate(report.reduction.results)
    ])  # fmt: skip
    omitted = dataclasses.replace(report, reduction=tagged, groups=group_values(tagged))
    assert len(isoplotr_table(omitted, 2).rows) == 10
    skipped = isoplotr_table(omitted, 2, include_omitted=False)
    assert skipped.record_ids == tuple(f"69421-02{s}" for s in "BCDEFGHIJ")
    with pytest.raises(UsageError, match="no IsoplotR Ar-Ar format 4"):
        isoplotr_table(report, 4)


def g16(value: float) -> float:
    """What a cell holds: openpyxl writes numbers with 16 significant digits (Excel keeps 15)."""
    return float(f"{value:.16g}")


def test_xlsx_table_holds_the_reduction(
    lab: Lab, reduced: list[dict[str, Any]], report: SampleReport, tmp_path: Path
) -> None:
    out = tmp_path / "table.xlsx"
    ardvc(lab, "export", "xlsx", "--repo", "Cornudas", "--identifier", "69421", *PINS,
          "-o", str(out))  # fmt: skip
    ws = openpyxl.load_workbook(out).active
    assert ws is not None and ws.title == "CORN-805 (69421)"
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(i for i, row in enumerate(cells) if row[:2] == ["Step", "Run ID"])
    names = cells[header]
    info = {row[0]: row[1] for row in cells[:header] if row[0]}
    assert info["Sample"] == "CORN-805" and info["Identifier"] == "69421"
    assert info["J"] == g16(reduced[0]["j"])
    steps = [dict(zip(names, row, strict=False)) for row in cells[header + 1 : header + 11]]
    for step, expected in zip(steps, reduced, strict=True):
        assert step["Run ID"] == expected["record_id"]
        assert step["Age (Ma)"] == g16(expected["age"])
        assert step["±1σ w/o J"] == g16(expected["age_err"])
        assert step["±1σ with J"] == g16(expected["age_err_with_j"])
        assert step["K/Ca"] == g16(expected["kca"])
        assert step["40Ar*/39Ar_K"] == g16(expected["f"])
    assert sum(s["39Ar_K (%)"] for s in steps) == pytest.approx(100, rel=1e-12)
    assert steps[-1]["Σ39Ar_K (%)"] == pytest.approx(100, rel=1e-12)
    labels = ("Plateau", "Weighted mean", "Integrated (total gas)", "Inverse isochron")
    groups = {row[0]: row for row in cells if row and row[0] in labels}
    p = report.require_groups().plateau
    assert p is not None
    assert groups["Plateau"][1] == g16(p.value) and round(p.value, 2) == 31.92
    assert groups["Plateau"][6] == "F–J" and groups["Plateau"][5] == 5


def walk(value: Any, path: str = "$") -> list[str]:
    """Paths of every null or non-finite number in a JSON document."""
    if value is None:
        return [path]
    if isinstance(value, float) and not math.isfinite(value):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in walk(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in walk(v, f"{path}[{i}]")]
    return []


def test_sparrow_payload(reduced: list[dict[str, Any]], report: SampleReport) -> None:
    payload = json.loads(json.dumps(sparrow_session(report), allow_nan=False))
    assert walk(payload) == []  # Sparrow's importer wants nulls left out
    assert payload["sample"]["name"] == "CORN-805" and payload["sample"]["material"] == "Groundmass"
    assert payload["instrument"] == {"name": "Felix"} and payload["date"].startswith("2022-01-2")
    analyses = payload["analysis"]
    steps = [a for a in analyses if a["analysis_type"] == "Heating step"]
    assert [a["analysis_name"] for a in steps] == [r["record_id"] for r in reduced]
    assert [a["session_index"] for a in steps] == list(range(10))
    for analysis in analyses:
        kinds = [(d["type"]["parameter"], d["type"]["unit"], d["type"].get("error_metric"))
                 for d in analysis["datum"]]  # fmt: skip
        assert len(kinds) == len(set(kinds)), analysis["analysis_name"]  # UNIQUE(analysis, type)
        assert all(isinstance(d["value"], float | int) for d in analysis["datum"])
    for analysis, expected in zip(steps, reduced, strict=True):
        age = next(d for d in analysis["datum"] if d["type"]["parameter"] == "Age")
        kind = {"parameter": "Age", "unit": "Ma", "error_metric": "1s"}
        assert age == {"value": expected["age"], "error": expected["age_err"], "type": kind}
        assert analysis["is_bad"] is False
    accepted = [a["analysis_name"][-1] for a in steps if a["is_accepted"]]
    assert accepted == list("FGHIJ")  # the plateau steps
    plateau = next(a for a in analyses if a["analysis_name"] == "Plateau age")
    assert plateau["is_interpreted"] is True
    p = report.require_groups().plateau
    assert p is not None
    metrics = {
        d["type"].get("error_metric"): d
        for d in plateau["datum"]
        if d["type"]["parameter"] == "Age"
    }
    assert metrics["1s"]["value"] == p.value and set(metrics) == {"1s", "1s incl. J"}
    assert metrics["1s incl. J"]["error"] > metrics["1s"]["error"]
    flux = next(a for a in analyses if a["analysis_name"] == "Neutron flux")
    assert flux["datum"][0]["value"] == reduced[0]["j"]
    assert payload["data"]["commit"] == CORNUDAS_IA and payload["data"]["meta_commit"] == META_2022
