"""The step-heating age spectrum (and K/Ca spectrum) as geochronologists publish it.

Each step is a box: its width the step's share of the sample's 39Ar_K (cumulative % on x,
every step of the group counted, omitted ones too, as Pychron draws them), its height the
age ± ``sigma``·σ without the J error (the step-to-step scatter the plateau test judges).
Every error the figure states says its multiple, its kind and whether J is in it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ardvc.errors import MissingInputError
from ardvc.reduce.plateau import Plateau
from ardvc.reduce.stats import ErrorKind
from ardvc.reduction.groups import GroupValues
from ardvc.reduction.results import AnalysisResult
from ardvc.reduction.run import Reduction
from ardvc.report import _style as st
from ardvc.report.templates import PlotStyle, builtin


def cumulative_k39(k39: Sequence[float]) -> np.ndarray:
    """Box edges: 0, then the running %39Ar_K of the steps (last edge 100)."""
    values = np.asarray(k39, dtype=float)
    total = float(values.sum())
    if not (np.all(np.isfinite(values)) and total > 0):
        raise MissingInputError("an age spectrum needs finite 39Ar_K with a positive total")
    edges: np.ndarray = np.concatenate(([0.0], np.cumsum(values))) / total * 100.0
    return edges


def age_spectrum(
    reduction: Reduction,
    groups: GroupValues,
    *,
    title: str | None = None,
    sigma: float | None = None,
    kca: bool | None = None,
    ylim: tuple[float, float] | None = None,
    style: PlotStyle | None = None,
) -> Figure:
    """Age spectrum of ``groups.steps`` with the plateau marked; K/Ca panel above if ``kca``.

    ``style`` (a plot template) gives size, fonts, colours, σ and the K/Ca switch; explicit
    ``sigma``/``kca`` win over it (defaults without either: 2σ, K/Ca panel shown).
    ``ylim`` zooms the age axis (default: every box shown); boxes outside it are clipped.
    Artists carry gids so callers (and tests) can find them: ``step:<run ID>`` and
    ``kca:<run ID>`` rectangles, the ``plateau`` line, the ``spectrum``/``kca`` axes.
    """
    height = None if style is not None or kca is not False else 4.8
    style = style or builtin("age_spectrum")
    kca = bool(style.option("kca_panel")) if kca is None else kca
    c = style.colours
    s = st.check_sigma(style.sigma if sigma is None else sigma)
    results = [reduction.results[i] for i in groups.steps]
    omitted = set(groups.omitted)
    is_omitted = [i in omitted for i in groups.steps]
    edges = cumulative_k39([r.k39 for r in results])
    members = set(groups.plateau.members) if groups.plateau is not None else set()

    fig = st.new_figure(style.width, height or style.height)
    if kca:
        top, ax = fig.subplots(2, 1, sharex=True, height_ratios=[1, 3])
        _kca_panel(top, results, edges, is_omitted, s, c)
    else:
        ax = fig.subplots()
    ax.set_gid("spectrum")
    for k, r in enumerate(results):
        face, edge, hatch = _box_style(is_omitted[k], k in members, c)
        box = Rectangle(
            (edges[k], r.age - s * r.age_err), edges[k + 1] - edges[k], 2 * s * r.age_err,
            facecolor=face, edgecolor=edge, hatch=hatch, linewidth=0.8, gid=f"step:{r.record_id}",
        )  # fmt: skip
        ax.add_patch(box)
        ax.annotate(
            st.step_name(r.record_id), (0.5 * (edges[k] + edges[k + 1]), r.age + s * r.age_err),
            xytext=(0, 2), textcoords="offset points", ha="center", va="bottom", fontsize=7,
            color=c.omitted_edge if is_omitted[k] else c.edge,
        )  # fmt: skip
    handles: list[Artist] = [
        Patch(facecolor=c.kept, edgecolor=c.edge,
              label=f"steps: age ± {st.sigma_text(s)}, without J error"),
    ]  # fmt: skip
    if any(is_omitted):
        handles.append(
            Patch(facecolor=c.omitted, edgecolor=c.omitted_edge, hatch=st.OMITTED_HATCH,
                  label="omitted (tag): not in plateau or isochron")
        )  # fmt: skip
    if groups.plateau is not None:
        handles.append(_plateau_line(ax, groups, results, edges, s, c.fit))
    else:
        handles.append(_note("no plateau (Fleck 1977: ≥ 3 contiguous steps, ≥ 50 % 39Ar_K)"))
    handles.append(_note(_integrated_text(groups, s)))
    handles.append(_note(f"J = {groups.j:.6g} ± {100 * groups.j_rel_error:.3g} % (1σ)"))
    ax.legend(handles=handles, loc="best", fontsize=7, frameon=True, framealpha=0.9)
    ax.set_xlim(0, 100)
    ax.autoscale_view(scalex=False)
    ax.margins(y=0.08)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel(r"Cumulative $^{39}$Ar$_K$ released (%)")
    ax.set_ylabel("Apparent age (Ma)")
    ax.tick_params(direction="in", top=True, right=True)
    fig.suptitle(title if title is not None else st.sample_name([r.record_id for r in results]))
    st.apply_fonts(fig, style.font_family, style.font_size, style.title_size)
    return fig


def _box_style(omitted: bool, plateau_step: bool, c: st.Colours) -> tuple[str, str, str | None]:
    if omitted:
        return c.omitted, c.omitted_edge, st.OMITTED_HATCH
    return (c.plateau if plateau_step else c.kept), c.edge, None


def _note(text: str) -> Line2D:
    """A legend entry that is only text."""
    return Line2D([], [], linestyle="none", marker="none", label=text)


def _plateau_line(
    ax: Axes, groups: GroupValues, results: list[AnalysisResult], edges: np.ndarray, s: float,
    colour: str,
) -> Line2D:  # fmt: skip
    """The bar at the plateau age across its steps' 39Ar_K range (start..end, which in
    Pychron's compat mode includes an omitted step inside the range)."""
    p = groups.plateau
    assert p is not None
    line = Line2D(
        [edges[p.start], edges[p.end + 1]], [p.value, p.value], color=colour,
        linewidth=1.8, gid="plateau", label=_plateau_text(p, groups, results, s),
    )  # fmt: skip
    ax.add_line(line)
    return line


def _plateau_text(p: Plateau, groups: GroupValues, results: list[AnalysisResult], s: float) -> str:
    """E.g. ``Plateau 31.919 ± 0.058 Ma (2σ, SEM·√MSWD, without J; ± 0.060 with J)``."""
    err = s * p.error(ErrorKind.MSEM)
    err_j = s * p.error(ErrorKind.MSEM, groups.j_rel_error)
    kind = "SEM·√MSWD" if p.mswd > 1 else "SEM"
    d = st.decimals_for(err)
    first, last = st.step_name(results[p.start].record_id), st.step_name(results[p.end].record_id)
    return (
        f"Plateau {st.pm(p.value, err, d)} Ma ({st.sigma_text(s)}, {kind}, without J; "
        f"± {err_j:.{d}f} with J)\n"
        f"MSWD = {p.mswd:.2f}, n = {len(p.members)} steps ({first}–{last}), "
        f"{p.gas_fraction:.1f} % of $^{{39}}$Ar$_K$"
    )


def _integrated_text(groups: GroupValues, s: float) -> str:
    i = groups.integrated
    return (
        f"Integrated {st.pm(i.value, s * i.error_with_j)} Ma "
        f"({st.sigma_text(s)}, with J; all {len(i.members)} steps)"
    )


def _kca_panel(
    ax: Axes, results: list[AnalysisResult], edges: np.ndarray, is_omitted: list[bool], s: float,
    c: st.Colours,
) -> None:  # fmt: skip
    """K/Ca ± sigma·σ per step, on the spectrum's x axis."""
    ax.set_gid("kca")
    for k, r in enumerate(results):
        face, edge, hatch = _box_style(is_omitted[k], False, c)
        ax.add_patch(
            Rectangle(
                (edges[k], r.kca - s * r.kca_err), edges[k + 1] - edges[k], 2 * s * r.kca_err,
                facecolor=face, edgecolor=edge, hatch=hatch, linewidth=0.8,
                gid=f"kca:{r.record_id}",
            )
        )  # fmt: skip
    ax.autoscale_view(scalex=False)
    ax.margins(y=0.1)
    ax.set_ylabel(f"K/Ca (± {st.sigma_text(s)})")
    ax.tick_params(direction="in", top=True, right=True, labelbottom=False)
