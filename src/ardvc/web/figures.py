"""Plotly figure specifications (plain JSON-ready dicts) of what the report layer computed:
the browser draws them with the locally served plotly.js. No numbers are derived here
beyond placing them (box corners, ellipse outlines come from ``report``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ardvc.errors import ArdvcError
from ardvc.reduction.evolution import Evolution
from ardvc.reduction.groups import isochron_points
from ardvc.reduction.sample import SampleReport
from ardvc.report import _style as st
from ardvc.report.ideogram import ideogram_data
from ardvc.report.isochron import ellipse_outline
from ardvc.report.spectrum import cumulative_k39

Figure = dict[str, Any]
SIGMA = 2.0
FONT = {"family": "system-ui, sans-serif", "size": 12}


def _layout(title: str, x: str, y: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 13}}, "font": FONT,
        "margin": {"l": 60, "r": 10, "t": 36, "b": 44}, "showlegend": False,
        "xaxis": {"title": {"text": x}, "zeroline": False},
        "yaxis": {"title": {"text": y}, "zeroline": False, "exponentformat": "e"},
        **extra,
    }  # fmt: skip


def _list(values: Any) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=float)]


def evolution(ev: Evolution) -> Figure:
    """Points kept (filled), left out by the analyst (✕) or as outliers (○), the fit curve,
    and the intercept at time zero with its 2σ error bar."""
    out = set(ev.excluded)
    kept = [k for k in range(ev.t.size) if k not in out]
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "markers", "name": "measured", "x": _list(ev.t[kept]),
         "y": _list(ev.y[kept]), "marker": {"size": 4, "color": st.EDGE}},
    ]  # fmt: skip
    for name, picks, symbol, colour in (
        ("excluded by the analyst", list(ev.user_excluded), "x", st.OMITTED_EDGE),
        ("outliers", list(ev.outliers), "circle-open", st.FIT_COLOUR),
    ):
        if picks:
            data.append({"type": "scatter", "mode": "markers", "name": name,
                         "x": _list(ev.t[picks]), "y": _list(ev.y[picks]),
                         "marker": {"size": 7, "symbol": symbol, "color": colour}})  # fmt: skip
    if ev.fit_t.size:
        data.append({"type": "scatter", "mode": "lines", "name": f"fit ({ev.kind_used})",
                     "x": _list(ev.fit_t), "y": _list(ev.fit_y),
                     "line": {"color": st.FIT_COLOUR, "width": 1.5}})  # fmt: skip
    if ev.series == "signal" and ev.problem is None and np.isfinite(ev.value):
        data.append({"type": "scatter", "mode": "markers", "name": "intercept",
                     "x": [ev.time_zero], "y": [ev.value],
                     "error_y": {"type": "data", "array": [SIGMA * ev.error], "visible": True},
                     "marker": {"size": 8, "symbol": "square", "color": st.FIT_COLOUR},
                     })  # fmt: skip
    return {"data": data, "layout": _layout(ev.label, "time (s)", "intensity (fA)", height=280)}


def age_spectrum(report: SampleReport) -> Figure:
    """Boxes of width %39Ar_K and height ±2σ (without J), omitted steps grey, the plateau
    as a red bar over its steps."""
    groups = report.require_groups()
    results = [report.reduction.results[i] for i in groups.steps]
    edges = cumulative_k39([r.k39 for r in results])
    omitted = set(groups.omitted)
    members = {groups.steps[k] for k in groups.plateau.members} if groups.plateau else set()
    colours = [st.OMITTED_FACE if i in omitted else st.PLATEAU_FACE if i in members
               else st.KEPT_FACE for i in groups.steps]  # fmt: skip
    data: list[dict[str, Any]] = [{
        "type": "bar", "name": "steps", "x": _list((edges[:-1] + edges[1:]) / 2),
        "width": _list(np.diff(edges)), "base": [r.age - SIGMA * r.age_err for r in results],
        "y": [2 * SIGMA * r.age_err for r in results],
        "text": [st.step_name(r.record_id) for r in results], "textposition": "outside",
        "customdata": [r.record_id for r in results],
        "hovertemplate": "%{customdata}<extra></extra>",
        "marker": {"color": colours, "line": {"color": st.EDGE, "width": 1}},
    }]  # fmt: skip
    p = groups.plateau
    if p is not None:
        data.append({"type": "scatter", "mode": "lines", "name": "plateau",
                     "x": [float(edges[p.start]), float(edges[p.end + 1])],
                     "y": [p.value, p.value], "line": {"color": st.FIT_COLOUR, "width": 3},
                     })  # fmt: skip
    layout = _layout(f"{report.title}: age spectrum (±2σ, without J)",
                     "cumulative 39Ar_K released (%)", "apparent age (Ma)",
                     bargap=0, height=420)  # fmt: skip
    layout["xaxis"]["range"] = [0, 100]
    return {"data": data, "layout": layout}


def isochron(report: SampleReport) -> Figure:
    """2σ error ellipses of 36Ar/40Ar against 39Ar_K/40Ar and the York line."""
    groups = report.require_groups()
    pts = isochron_points(report.reduction, groups)
    data: list[dict[str, Any]] = []
    for k, i in enumerate(pts.steps):
        xs, ys = ellipse_outline(float(pts.x[k]), float(pts.y[k]), float(pts.x_err[k]),
                                 float(pts.y_err[k]), float(pts.rho[k]), SIGMA)  # fmt: skip
        grey = pts.omitted[k]
        data.append({"type": "scatter", "mode": "lines", "fill": "toself", "x": xs, "y": ys,
                     "name": report.reduction.results[i].record_id,
                     "fillcolor": st.OMITTED_FACE if grey else st.KEPT_FACE,
                     "line": {"color": st.OMITTED_EDGE if grey else st.EDGE, "width": 1,
                              "dash": "dash" if grey else "solid"}})  # fmt: skip
    data.append({"type": "scatter", "mode": "markers", "name": "steps", "x": _list(pts.x),
                 "y": _list(pts.y), "marker": {"size": 5, "color": st.EDGE},
                 "text": [report.reduction.results[i].record_id for i in pts.steps]})  # fmt: skip
    fit = groups.isochron_fit
    if fit is not None:
        x_end = max(float(np.max(pts.x)), -fit.fit.intercept / fit.fit.slope
                    if fit.fit.slope < 0 else 0.0)  # fmt: skip
        data.append({"type": "scatter", "mode": "lines", "name": "York fit", "x": [0.0, x_end],
                     "y": [fit.fit.intercept, fit.fit.intercept + fit.fit.slope * x_end],
                     "line": {"color": st.FIT_COLOUR, "width": 1.5}})  # fmt: skip
    atm = report.reduction.constants.atmosphere
    data.append({"type": "scatter", "mode": "markers", "name": f"atmosphere ({atm.name})",
                 "x": [0.0], "y": [1 / atm.atm4036],
                 "marker": {"symbol": "triangle-right", "size": 11,
                            "color": st.ATMOSPHERE_COLOUR}})  # fmt: skip
    layout = _layout(f"{report.title}: inverse isochron (2σ ellipses)", "39Ar_K / 40Ar*",
                     "36Ar / 40Ar*", height=420)  # fmt: skip
    layout["xaxis"]["rangemode"] = "tozero"
    layout["yaxis"]["rangemode"] = "tozero"
    return {"data": data, "layout": layout}


def ideogram(report: SampleReport) -> Figure:
    """Summed normal densities of the kept ages and the ranked ages with 2σ bars."""
    data_ = ideogram_data(report.reduction, report.require_groups())
    order = np.argsort(data_.ages)
    colours = [st.OMITTED_EDGE if data_.omitted[k] else st.EDGE for k in order]
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines", "name": "probability", "x": _list(data_.x),
         "y": _list(data_.density), "fill": "tozeroy", "fillcolor": "rgba(158,202,225,0.5)",
         "line": {"color": st.EDGE}, "yaxis": "y2"},
        {"type": "scatter", "mode": "markers", "name": "ages", "x": _list(data_.ages[order]),
         "y": list(range(len(order))), "text": [data_.record_ids[k] for k in order],
         "error_x": {"type": "data", "array": _list(SIGMA * data_.errors[order])},
         "marker": {"size": 6, "color": colours}},
    ]  # fmt: skip
    layout = _layout(
        f"{report.title}: ideogram (weighted mean {st.pm(data_.mean, SIGMA * data_.mean_error)}"
        f" Ma, 2σ, MSWD {data_.mswd:.2f})", "age (Ma)", "", height=420,
        shapes=[{"type": "line", "xref": "x", "yref": "paper", "x0": data_.mean,
                 "x1": data_.mean, "y0": 0, "y1": 1, "line": {"color": st.FIT_COLOUR}}],
        yaxis2={"domain": [0.42, 1], "title": {"text": "relative probability"}},
    )  # fmt: skip
    layout["yaxis"].update({"domain": [0, 0.36], "showticklabels": False})
    return {"data": data, "layout": layout}


def sample_figures(report: SampleReport) -> dict[str, Figure | str]:
    """Each sample figure, or why it cannot be drawn."""
    out: dict[str, Figure | str] = {}
    for name, make in (("spectrum", age_spectrum), ("isochron", isochron),
                       ("ideogram", ideogram)):  # fmt: skip
        try:
            out[name] = make(report)
        except ArdvcError as exc:
            out[name] = str(exc)
    return out
