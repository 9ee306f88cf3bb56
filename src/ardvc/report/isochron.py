"""The inverse isochron (36Ar/40Ar against 39Ar_K/40Ar) with error ellipses.

The points are exactly those :func:`ardvc.reduction.groups.group_values` regressed
(:func:`~ardvc.reduction.groups.isochron_points`), each drawn as its ``sigma``·σ error
ellipse from σx, σy and ρ; the line is the York fit of y on x, whose y-intercept is the
trapped 36/40. The age comes from the x-on-y fit's intercept, as Pychron computes it.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse, Patch

from ardvc.reduction.groups import GroupValues, IsochronPoints, isochron_points
from ardvc.reduction.run import Reduction
from ardvc.report import _style as st
from ardvc.report.templates import PlotStyle, builtin


def error_ellipse(
    x: float, y: float, sx: float, sy: float, rho: float, sigma: float, **kwargs: object
) -> Ellipse:
    """The ellipse whose projections on x and y span ±sigma·σx and ±sigma·σy: the axes are
    the eigenvectors of [[σx², ρσxσy], [ρσxσy, σy²]] scaled by sigma·√eigenvalue."""
    c = rho * sx * sy
    values, vectors = np.linalg.eigh(np.array([[sx * sx, c], [c, sy * sy]]))
    major = vectors[:, 1]
    return Ellipse(
        (x, y), 2 * sigma * math.sqrt(max(values[1], 0.0)),
        2 * sigma * math.sqrt(max(values[0], 0.0)),
        angle=math.degrees(math.atan2(major[1], major[0])), **kwargs,
    )  # fmt: skip


def ellipse_outline(
    x: float, y: float, sx: float, sy: float, rho: float, sigma: float, points: int = 48
) -> tuple[list[float], list[float]]:
    """Closed outline of the same ellipse as :func:`error_ellipse` (centre + sigma·L·u over
    the unit circle, L the Cholesky factor of the covariance), for vector plots in a browser."""
    t = np.linspace(0.0, 2 * math.pi, points)
    r = max(-1.0, min(1.0, rho))
    xs = x + sigma * sx * np.cos(t)
    ys = y + sigma * sy * (r * np.cos(t) + math.sqrt(1 - r * r) * np.sin(t))
    return xs.tolist(), ys.tolist()


def inverse_isochron(
    reduction: Reduction,
    groups: GroupValues,
    *,
    title: str | None = None,
    sigma: float | None = None,
    style: PlotStyle | None = None,
) -> Figure:
    """Inverse isochron of ``groups.steps``: ellipses, York line, atmospheric 36/40.

    ``style`` (a plot template) gives size, fonts, colours and σ; an explicit ``sigma``
    wins (default 2σ). Gids: ``point:<run ID>`` ellipses, ``york`` line, ``atmosphere``
    marker, ``isochron`` axes. Omitted steps are grey dashed ellipses, outside the fit.
    """
    style = style or builtin("isochron")
    c = style.colours
    s = st.check_sigma(style.sigma if sigma is None else sigma)
    pts = isochron_points(reduction, groups)
    names = [reduction.results[i].record_id for i in pts.steps]
    fig = st.new_figure(style.width, style.height)
    ax = fig.subplots()
    ax.set_gid("isochron")
    for k, name in enumerate(names):
        omitted = pts.omitted[k]
        ax.add_patch(
            error_ellipse(
                float(pts.x[k]), float(pts.y[k]), float(pts.x_err[k]), float(pts.y_err[k]),
                float(pts.rho[k]), s, gid=f"point:{name}",
                facecolor=c.omitted if omitted else c.kept,
                edgecolor=c.omitted_edge if omitted else c.edge,
                linestyle="--" if omitted else "-", linewidth=0.8, alpha=0.8, zorder=3,
            )
        )  # fmt: skip
    kept = ~np.array(pts.omitted)
    ax.plot(pts.x[kept], pts.y[kept], "o", ms=2.5, color=c.edge, zorder=4)
    if not kept.all():
        ax.plot(pts.x[~kept], pts.y[~kept], "x", ms=4, color=c.omitted_edge, zorder=4)
    atm = reduction.constants.atmosphere
    ax.plot(
        [0.0], [1 / atm.atm4036], marker=">", ms=8, color=c.atmosphere, clip_on=False,
        linestyle="none", zorder=5, gid="atmosphere",
        label=f"atmosphere $^{{40}}$Ar/$^{{36}}$Ar = {atm.atm4036:g} ({atm.name})",
    )  # fmt: skip
    handles: list[Artist] = [
        Patch(facecolor=c.kept, edgecolor=c.edge,
              label=f"steps: {st.sigma_text(s)} error ellipses (ρ from the fit inputs)"),
    ]  # fmt: skip
    if not kept.all():
        handles.append(
            Patch(facecolor=c.omitted, edgecolor=c.omitted_edge, linestyle="--",
                  label="omitted (tag): not in the fit")
        )  # fmt: skip
    x_end = _draw_fit(ax, groups, pts, handles, s, c.fit)
    handles.append(_atm_handle(ax))
    y_top = max(1 / atm.atm4036, float(np.max(pts.y + s * pts.y_err)))
    if groups.isochron_fit is not None:
        y_top = max(y_top, groups.isochron_fit.fit.intercept)
    x_right = 1.05 * max(x_end, float(np.max(pts.x + s * pts.x_err)))
    ax.set_xlim(0, x_right)
    ax.set_ylim(0, 1.45 * y_top)  # headroom for the legend above the data
    if _hidden_by_symbols(pts, s, x_right, 1.45 * y_top):
        first = handles[0]
        assert isinstance(first, Patch)
        first.set_label(f"{first.get_label()}; most smaller than the symbols")
    ax.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.9)
    ax.ticklabel_format(axis="y", style="sci", scilimits=(0, 0), useMathText=True)
    ax.set_xlabel(r"$^{39}$Ar$_K$ / $^{40}$Ar")
    ax.set_ylabel(r"$^{36}$Ar / $^{40}$Ar")
    ax.tick_params(direction="in", top=True, right=True)
    fig.suptitle(title if title is not None else st.sample_name(names))
    st.apply_fonts(fig, style.font_family, style.font_size, style.title_size)
    return fig


def _hidden_by_symbols(pts: IsochronPoints, s: float, width: float, height: float) -> bool:
    """True when the median ellipse spans under 0.5 % of both axes (a ~2 pt symbol), so
    the legend says why no ellipse is visible rather than leaving readers to guess."""
    fx = float(np.median(2 * s * pts.x_err)) / width
    fy = float(np.median(2 * s * pts.y_err)) / height
    return fx < 0.005 and fy < 0.005


def _atm_handle(ax: Axes) -> Artist:
    return next(line for line in ax.lines if line.get_gid() == "atmosphere")


def _draw_fit(
    ax: Axes, groups: GroupValues, pts: IsochronPoints, handles: list[Artist], s: float,
    colour: str,
) -> float:  # fmt: skip
    """The York line from the y axis to the x axis, with its label; returns its x end."""
    iso, age = groups.isochron_fit, groups.isochron
    if iso is None or age is None:
        handles.append(
            Line2D([], [], linestyle="none", label="no isochron fit (needs ≥ 3 steps in the fit)")
        )
        return 0.0
    fit = iso.fit
    x_end = -fit.intercept / fit.slope if fit.slope < 0 else float(np.max(pts.x))
    x_end = max(x_end, float(np.max(pts.x)))
    err, err_j = s * age.error, s * age.error_with_j
    d = st.decimals_for(err_j)
    trapped = st.pm(iso.trapped_4036, s * iso.trapped_4036_err)
    label = (
        f"Isochron age {st.pm(age.value, err_j, d)} Ma ({st.sigma_text(s)}, with J; "
        f"± {err:.{d}f} without J)\n"
        f"($^{{40}}$Ar/$^{{36}}$Ar)$_{{trapped}}$ = {trapped} ({st.sigma_text(s)})\n"
        f"MSWD = {iso.mswd:.2f}, n = {len(iso.members)} of {len(pts.steps)} steps; "
        "York fit, errors not scaled by √MSWD"
    )
    line = Line2D(
        [0.0, x_end], [fit.intercept, fit.intercept + fit.slope * x_end],
        color=colour, linewidth=1.2, gid="york", label=label, zorder=2,
    )  # fmt: skip
    ax.add_line(line)
    handles.append(line)
    return x_end
