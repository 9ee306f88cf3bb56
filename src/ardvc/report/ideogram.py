"""The ideogram (Deino & Potts 1992): the summed normal probability densities of a sample's
ages, above the ages themselves ranked with their error bars, and the weighted mean.

Each age contributes N(age, σ²) with σ its 1σ error without J (the scatter the MSWD
judges); the curve is the plain sum (one unit of area per age), so its height reads as "how
many ages per Ma". Omitted steps are drawn grey and stay out of the curve and the mean.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ardvc.errors import MissingInputError
from ardvc.reduce.ols import FloatArray
from ardvc.reduce.stats import ErrorKind
from ardvc.reduction.groups import GroupValues
from ardvc.reduction.run import Reduction
from ardvc.report import _style as st
from ardvc.report.templates import PlotStyle, builtin

SPAN_SIGMA = 4.0
"""The x range covers every age ± this many σ."""


def probability_density(
    ages: Sequence[float], errors: Sequence[float], x: FloatArray
) -> FloatArray:
    """Σᵢ N(x; ageᵢ, σᵢ²) at ``x`` (σ must be positive and finite)."""
    a = np.asarray(ages, dtype=float)[:, None]
    s = np.asarray(errors, dtype=float)[:, None]
    if a.size == 0:
        return np.zeros_like(np.asarray(x, dtype=float))
    if not (np.all(np.isfinite(s)) and np.all(s > 0) and np.all(np.isfinite(a))):
        raise MissingInputError("an ideogram needs finite ages with positive errors")
    z = (np.asarray(x, dtype=float)[None, :] - a) / s
    density: FloatArray = (np.exp(-0.5 * z * z) / (s * math.sqrt(2 * math.pi))).sum(axis=0)
    return density


@dataclass(frozen=True)
class IdeogramData:
    """What an ideogram shows, in result order; ``x``/``density`` over the kept steps."""

    record_ids: tuple[str, ...]
    ages: FloatArray
    errors: FloatArray
    omitted: tuple[bool, ...]
    x: FloatArray
    density: FloatArray
    mean: float
    mean_error: float
    """1σ SEM·√MSWD (when MSWD > 1) of the weighted mean, without J."""
    mswd: float
    n: int


def ideogram_data(reduction: Reduction, groups: GroupValues, points: int = 400) -> IdeogramData:
    results = [reduction.results[i] for i in groups.steps]
    omitted = tuple(i in set(groups.omitted) for i in groups.steps)
    ages = np.array([r.age for r in results])
    errors = np.array([r.age_err for r in results])
    kept = ~np.array(omitted, dtype=bool)
    if not kept.any():
        raise MissingInputError("every step is omitted: no ideogram")
    low = float(np.min(ages - SPAN_SIGMA * errors))
    high = float(np.max(ages + SPAN_SIGMA * errors))
    # an even grid, plus points across each kept age's own ±4σ so no narrow peak is missed
    around = ages[kept, None] + errors[kept, None] * np.linspace(-SPAN_SIGMA, SPAN_SIGMA, 33)
    x = np.unique(np.concatenate([np.linspace(low, high, max(10, int(points))), around.ravel()]))
    w = groups.weighted
    return IdeogramData(
        record_ids=tuple(r.record_id for r in results), ages=ages, errors=errors,
        omitted=omitted, x=x, density=probability_density(ages[kept], errors[kept], x),
        mean=w.value, mean_error=w.error_as(ErrorKind.MSEM), mswd=w.mswd, n=len(w.members),
    )  # fmt: skip


def ideogram(
    reduction: Reduction,
    groups: GroupValues,
    *,
    title: str | None = None,
    sigma: float | None = None,
    style: PlotStyle | None = None,
) -> Figure:
    """Probability curve above the ranked ages, weighted mean as a line and a band.

    Gids: ``density`` line, ``age:<run ID>`` error bars, ``mean`` line, ``ideogram`` and
    ``ranked`` axes.
    """
    style = style or builtin("ideogram")
    s = st.check_sigma(style.sigma if sigma is None else sigma)
    c = style.colours
    show_mean, show_omitted = style.option("show_weighted_mean"), style.option("show_omitted")
    data = ideogram_data(reduction, groups, int(style.option("curve_points")))
    fig = st.new_figure(style.width, style.height)
    top, ranked = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    top.set_gid("ideogram")
    ranked.set_gid("ranked")
    top.plot(data.x, data.density, color=c.edge, linewidth=1.4, gid="density")
    top.fill_between(data.x, data.density, color=c.kept, alpha=0.5, linewidth=0)
    order = np.argsort(data.ages)
    row = 0
    for k in order:
        if data.omitted[k] and not show_omitted:
            continue
        colour = c.omitted_edge if data.omitted[k] else c.edge
        ranked.errorbar(
            [data.ages[k]], [row], xerr=[[s * data.errors[k]], [s * data.errors[k]]],
            fmt="o", ms=3, color=colour, ecolor=colour, elinewidth=1, capsize=2,
            gid=f"age:{data.record_ids[k]}",
        )  # fmt: skip
        ranked.annotate(
            st.step_name(data.record_ids[k]), (data.ages[k] + s * data.errors[k], row),
            xytext=(3, 0), textcoords="offset points", va="center", fontsize=6, color=colour,
        )  # fmt: skip
        row += 1
    n_kept = int((~np.array(data.omitted, dtype=bool)).sum())
    handles: list[Line2D | Patch] = [
        Line2D([], [], color=c.edge, label=f"Σ normal densities of {n_kept} ages (1σ, without J)"),
        Line2D([], [], marker="o", ms=3, linestyle="none", color=c.edge,
               label=f"ages ± {st.sigma_text(s)}, ranked"),
    ]  # fmt: skip
    if any(data.omitted) and show_omitted:
        handles.append(Line2D([], [], marker="o", ms=3, linestyle="none", color=c.omitted_edge,
                              label="omitted (tag): not in the curve or the mean"))  # fmt: skip
    if show_mean:
        err = s * data.mean_error
        for ax in (top, ranked):
            ax.axvspan(data.mean - err, data.mean + err, color=c.fit, alpha=0.12, linewidth=0)
        top.axvline(data.mean, color=c.fit, linewidth=1.2, gid="mean")
        ranked.axvline(data.mean, color=c.fit, linewidth=1.0)
        kind = "SEM·√MSWD" if data.mswd > 1 else "SEM"
        handles.append(Line2D([], [], color=c.fit, label=(
            f"weighted mean {st.pm(data.mean, err)} Ma ({st.sigma_text(s)}, {kind}, without J)"
            f"\nMSWD = {data.mswd:.2f}, n = {data.n}")))  # fmt: skip
    top.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.9)
    top.set_ylabel("Relative probability")
    top.set_ylim(0, 1.35 * float(np.max(data.density)))
    ranked.set_yticks([])
    ranked.set_ylim(-1, max(row, 1))
    ranked.set_xlabel("Age (Ma)")
    for ax in (top, ranked):
        ax.tick_params(direction="in", top=True, right=True)
    fig.suptitle(title if title is not None else st.sample_name(list(data.record_ids)))
    st.apply_fonts(fig, style.font_family, style.font_size, style.title_size)
    return fig
