"""What the spectrum and isochron figures share: a figure bound to the Agg canvas (never
pyplot's global state), step names, colours and the "value ± error" format."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ardvc.errors import UsageError

KEPT_FACE = "#9ecae1"
PLATEAU_FACE = "#3182bd"
EDGE = "#08306b"
OMITTED_FACE = "#d9d9d9"
OMITTED_EDGE = "#737373"
OMITTED_HATCH = "////"
FIT_COLOUR = "#cb181d"
ATMOSPHERE_COLOUR = "#238b45"


@dataclass(frozen=True)
class Colours:
    """The colours of a figure (a plot template's ``[colours]``)."""

    kept: str = KEPT_FACE
    plateau: str = PLATEAU_FACE
    edge: str = EDGE
    omitted: str = OMITTED_FACE
    omitted_edge: str = OMITTED_EDGE
    fit: str = FIT_COLOUR
    atmosphere: str = ATMOSPHERE_COLOUR


def new_figure(width: float, height: float) -> Figure:
    """A figure drawn by Agg; its own canvas, so many can be made in threads at once."""
    fig = Figure(figsize=(width, height), layout="constrained", dpi=150)
    FigureCanvasAgg(fig)
    return fig


def apply_fonts(fig: Figure, family: str, size: float, title_size: float) -> None:
    """Set every text of ``fig`` to ``family``: axis labels and ticks at ``size``, legends
    and annotations a little smaller, the title at ``title_size`` (per figure, not through
    matplotlib's global rcParams, so threads do not race)."""
    small = 0.8 * size
    for ax in fig.axes:
        ax.tick_params(labelsize=size, labelfontfamily=family)
        for label in (ax.xaxis.label, ax.yaxis.label, ax.title):
            label.set_fontfamily(family)
            label.set_fontsize(size)
        for text in ax.texts:
            text.set_fontfamily(family)
            text.set_fontsize(small)
        legend = ax.get_legend()
        if legend is not None:
            for text in legend.get_texts():
                text.set_fontfamily(family)
                text.set_fontsize(small)
        offset = ax.yaxis.get_offset_text()
        offset.set_fontfamily(family)
        offset.set_fontsize(small)
    title = fig.get_suptitle()
    if title:
        fig.suptitle(title, fontfamily=family, fontsize=title_size)


def check_sigma(sigma: float) -> float:
    if not (math.isfinite(sigma) and sigma > 0):
        raise UsageError(f"sigma must be a positive number of standard errors, got {sigma}")
    return float(sigma)


def sigma_text(sigma: float) -> str:
    """``2σ`` (or ``1.5σ``): the multiple every error on a figure is stated in."""
    return f"{sigma:g}σ"


def decimals_for(error: float) -> int:
    """Decimals that show ``error`` to two significant figures (at least none)."""
    if not (math.isfinite(error) and error > 0):
        return 4
    return max(0, 1 - math.floor(math.log10(error)))


def pm(value: float, error: float, decimals: int | None = None) -> str:
    """``31.919 ± 0.058``: the value rounded where its error's second figure is."""
    d = decimals_for(error) if decimals is None else decimals
    return f"{value:.{d}f} ± {error:.{d}f}"


def step_name(record_id: str) -> str:
    """The step letter of a run ID (``69421-02F`` → ``F``), else the whole run ID."""
    tail = record_id.rsplit("-", 1)[-1]
    letters = tail.lstrip("0123456789")
    return letters or record_id


def sample_name(record_ids: Sequence[str]) -> str:
    """``69421-02`` for the steps of one aliquot: the default figure title."""
    stems = {rid[: len(rid) - len(step_name(rid))] if step_name(rid) != rid else rid
             for rid in record_ids}  # fmt: skip
    if len(stems) == 1:
        return next(iter(stems)).rstrip("-")
    return ", ".join(sorted({rid.split("-", 1)[0] for rid in record_ids}))
