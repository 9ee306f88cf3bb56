"""Isotope evolutions of one analysis, one panel per signal (and baseline): the measured
points, the points the fit left out (✕ by the analyst, ○ as outliers), the fitted curve and
the intercept at time zero with its error bar."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ardvc.errors import MissingInputError
from ardvc.reduction.evolution import Evolution
from ardvc.report import _style as st
from ardvc.report.templates import PlotStyle, builtin


def _panel(ax: Axes, ev: Evolution, s: float, c: st.Colours, marker: float) -> None:
    ax.set_gid(f"evolution:{ev.label}")
    if ev.t.size:
        out = np.zeros(ev.t.size, dtype=bool)
        out[list(ev.excluded)] = True
        ax.plot(ev.t[~out], ev.y[~out], "o", ms=marker, color=c.edge, gid="kept")
        user, outl = list(ev.user_excluded), list(ev.outliers)
        if user:
            ax.plot(ev.t[user], ev.y[user], "x", ms=marker + 1, color=c.omitted_edge, gid="user")
        if outl:
            ax.plot(ev.t[outl], ev.y[outl], "o", ms=marker + 1, mfc="none", color=c.fit,
                    gid="outliers")  # fmt: skip
    if ev.fit_t.size:
        ax.plot(ev.fit_t, ev.fit_y, "-", color=c.fit, linewidth=1.1, gid="fit")
    if ev.problem is None and math.isfinite(ev.value):
        if ev.series == "signal":
            ax.errorbar([ev.time_zero], [ev.value], yerr=[s * ev.error], fmt="s", ms=marker + 1,
                        color=c.fit, capsize=2, gid="intercept")  # fmt: skip
        text = f"{st.pm(ev.value, s * ev.error)} ({st.sigma_text(s)}), n = {ev.fn}/{ev.n}"
    else:
        text = ev.problem or "no fit"
    ax.set_title(f"{ev.label}  {ev.fit or ev.kind_used or ''}\n{text}", fontsize=7, loc="left")
    ax.tick_params(direction="in", top=True, right=True, labelsize=7)


def evolution_figure(
    evolutions: list[Evolution],
    *,
    title: str,
    sigma: float | None = None,
    style: PlotStyle | None = None,
) -> Figure:
    """One panel per series (baselines only if the template's ``show_baselines``)."""
    style = style or builtin("evolution")
    s = st.check_sigma(style.sigma if sigma is None else sigma)
    c = style.colours
    show_baselines = bool(style.option("show_baselines"))
    columns, marker = int(style.option("columns")), float(style.option("marker_size"))
    shown = [e for e in evolutions if e.series == "signal" or show_baselines]
    if not shown:
        raise MissingInputError(f"{title}: no intercepts or baselines to draw")
    columns = max(1, min(columns, len(shown)))
    rows = math.ceil(len(shown) / columns)
    fig = st.new_figure(style.width, style.height)
    axes = fig.subplots(rows, columns, squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k < len(shown):
            _panel(ax, shown[k], s, c, marker)
            if k // columns == rows - 1 or k + columns >= len(shown):
                ax.set_xlabel("time (s)", fontsize=7)
        else:
            ax.set_visible(False)
    fig.suptitle(title)
    st.apply_fonts(fig, style.font_family, style.font_size, style.title_size)
    return fig
