"""A sample as a Sparrow import payload (``db.load_data("session", payload)``; Sparrow,
UW-Macrostrat / EarthCubeGeochron).

Sparrow's model is sample → session → analysis → datum, each datum a value with an error
and a type (``parameter``, ``unit``, ``error_metric``), plus free ``attribute`` pairs. One
step-heating experiment is one session: one analysis per heating step (its age, K/Ca,
%40Ar*, 39Ar_K released and isotope ratios; ``is_bad`` for omitted steps), one analysis per
interpreted age (``is_interpreted``), and one for the neutron flux (J); ``data`` (the
session's free JSON) records where the numbers came from. Ages carry
``error_metric`` ``"1s"`` (1σ without J); group ages carry a second datum with
``"1s incl. J"`` — a distinct datum type, since Sparrow allows one datum per type per
analysis. Keys whose value would be ``null`` are left out, as Sparrow's importer asks.
"""

from __future__ import annotations

import math
from typing import Any
from zoneinfo import ZoneInfo

from ardvc import __version__
from ardvc.errors import ArdvcError
from ardvc.reduction.sample import SampleReport
from ardvc.report.steps import GroupRow, StepRow, group_rows, step_rows

TECHNIQUE = "40Ar/39Ar step heating"
ONE_SIGMA = "1s"
ONE_SIGMA_J = "1s incl. J"


def datum(
    parameter: str,
    value: float | None,
    error: float | None = None,
    unit: str = "dimensionless",
    metric: str | None = ONE_SIGMA,
    *,
    interpreted: bool = False,
) -> dict[str, Any] | None:
    """A Sparrow datum, or ``None`` when there is no finite value."""
    if value is None or not math.isfinite(value):
        return None
    kind: dict[str, Any] = {"parameter": parameter, "unit": unit}
    out: dict[str, Any] = {"value": value, "type": kind}
    if error is not None and math.isfinite(error):
        out["error"] = error
        if metric:
            kind["error_metric"] = metric
    if interpreted:
        kind["is_interpreted"] = True
    return out


def _data(*items: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [d for d in items if d is not None]


def _attributes(pairs: dict[str, Any]) -> list[dict[str, str]]:
    return [{"parameter": k, "value": str(v)} for k, v in pairs.items() if v not in (None, "")]


def _iso(report: SampleReport, index: int) -> str | None:
    """Run time with the lab's zone when the reduction knows it (naive times otherwise)."""
    try:
        moment = report.analyses[index].main.timestamp_dt
    except ArdvcError:
        return None
    zone = report.reduction.conventions.timezone
    if zone and moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.isoformat()


def step_analysis(report: SampleReport, index: int, row: StepRow) -> dict[str, Any]:
    """A heating step; ``is_accepted`` marks the steps of the plateau (of the weighted mean
    when there is none), Sparrow's "heating steps accepted in the final age"."""
    has_plateau = report.groups is not None and report.groups.plateau is not None
    accepted = row.plateau_step if has_plateau else not row.omitted and row.error is None
    extract = None
    if row.extract_value is not None:
        extract = f"{row.extract_value:g} {row.extract_units or ''}".strip()
    analysis: dict[str, Any] = {
        "analysis_name": row.record_id,
        "analysis_type": "Heating step",
        "session_index": index,
        "is_bad": row.omitted or row.error is not None,
        "is_accepted": accepted,
        "is_standard": False,
        "datum": _data(
            datum("Age", row.age, row.age_err, "Ma"),
            datum("K/Ca", row.kca, row.kca_err),
            datum("40Ar*", row.radiogenic_yield, unit="%", metric=None),
            datum("39Ar_K released", row.k39_percent, unit="%", metric=None),
            datum("39Ar_K", row.moles_k39, unit="mol", metric=None),
            datum("40Ar/39Ar", row.ar40_ar39, row.ar40_ar39_err),
            datum("37Ar/39Ar", row.ar37_ar39, row.ar37_ar39_err),
            datum("36Ar/39Ar", row.ar36_ar39, row.ar36_ar39_err),
            datum("40Ar*/39Ar_K", row.f, row.f_err),
        ),
        "attribute": _attributes({
            "Step": row.step, "Tag": row.tag, "Extract": extract, "Pychron uuid": row.uuid,
            "Plateau step": "yes" if row.plateau_step else None, "Not reduced": row.error,
        }),
    }  # fmt: skip
    date = _iso(report, index)
    if date:
        analysis["date"] = date
    return analysis


def group_analysis(row: GroupRow) -> dict[str, Any]:
    name = f"{row.label} age"
    return {
        "analysis_name": name,
        "analysis_type": "Interpreted age",
        "is_interpreted": True,
        "datum": _data(
            datum("Age", row.value, row.error, "Ma", interpreted=True),
            datum("Age", row.value, row.error_with_j, "Ma", ONE_SIGMA_J, interpreted=True),
            datum("MSWD", row.mswd, metric=None),
            datum("n", float(row.n), metric=None),
        ),
        "attribute": _attributes({"Steps": row.steps, "Note": row.note}),
    }


def sparrow_session(report: SampleReport) -> dict[str, Any]:
    """The Sparrow ``session`` payload of one sample."""
    info = report.info
    sample: dict[str, Any] = {"name": info.get("sample") or report.identifier}
    if info.get("material"):
        sample["material"] = info["material"]
    lat, lon = info.get("latitude"), info.get("longitude")
    if isinstance(lat, int | float) and isinstance(lon, int | float) and (lat, lon) != (0, 0):
        sample["location"] = {"type": "Point", "coordinates": [float(lon), float(lat)]}
    steps = step_rows(report)
    analyses = [step_analysis(report, k, row) for k, row in enumerate(steps)]
    analyses += [group_analysis(g) for g in group_rows(report)]
    groups = report.groups
    if groups is not None:
        position = " ".join(str(info[k]) for k in
                            ("irradiation", "irradiation_level", "irradiation_position")
                            if info.get(k) is not None)  # fmt: skip
        analyses.append({
            "analysis_name": "Neutron flux",
            "analysis_type": "Irradiation",
            "datum": _data(datum("J", groups.j, groups.j * groups.j_rel_error)),
            "attribute": _attributes({"Irradiation position": position}),
        })  # fmt: skip
    session: dict[str, Any] = {
        "name": f"{report.title} {TECHNIQUE}",
        "sample": sample,
        "technique": {"id": TECHNIQUE},
        "analysis": analyses,
        "data": {
            "ardvc_version": __version__, "repository": report.repo, "commit": report.commit,
            "meta_commit": report.reduction.meta_commit,
            "conventions": report.reduction.conventions.name,
            "identifier": report.identifier,
        },
    }  # fmt: skip
    date = _iso(report, 0)
    if date:
        session["date"] = date
    if info.get("mass_spectrometer"):
        session["instrument"] = {"name": info["mass_spectrometer"]}
    return session
