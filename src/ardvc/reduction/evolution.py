"""Isotope evolutions of one analysis as a geochronologist inspects them: every measured
point, which points the fit left out (by the analyst or as outliers), the fitted curve back
to time zero, and the intercept — refitted from the raw blobs with the settings stored beside
each intercept and baseline, next to the stored value, so a plot shows what the file says.

The web page and ``ardvc plot evolution`` draw from these records; neither fits anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ardvc.data import Analysis
from ardvc.errors import ArdvcError
from ardvc.reduce.fitbatch import FitBatch
from ardvc.reduce.fitspec import FitStatus
from ardvc.reduce.ols import FloatArray
from ardvc.reduce.regression import fit_batch
from ardvc.reduction.refit import RefitRow, SeriesJob, SeriesKind, series_jobs
from ardvc.reduction.run import USABLE

GRID_POINTS = 120
"""Points of each drawn fit curve (smooth at any plot size, small in JSON)."""


@dataclass(frozen=True)
class Evolution:
    """One signal (isotope) or baseline (detector) series and its fit."""

    series: SeriesKind
    key: str
    """Isotope key for signals (``Ar40``), detector for baselines (``H2``)."""
    detector: str | None
    fit: str | None
    """The fit stored in the intercepts/baselines file (``parabolic``, ``Average_SEM`` …)."""
    t: FloatArray = field(default_factory=lambda: np.zeros(0))
    """Measurement times (s) as stored."""
    y: FloatArray = field(default_factory=lambda: np.zeros(0))
    time_zero: float = 0.0
    """The time the intercept refers to (the run's ``time_zero_offset``)."""
    user_excluded: tuple[int, ...] = ()
    outliers: tuple[int, ...] = ()
    fit_t: FloatArray = field(default_factory=lambda: np.zeros(0))
    fit_y: FloatArray = field(default_factory=lambda: np.zeros(0))
    value: float = math.nan
    error: float = math.nan
    """Refitted intercept and its error (not baseline-corrected)."""
    stored_value: float | None = None
    stored_error: float | None = None
    n: int = 0
    fn: int = 0
    kind_used: str = ""
    problem: str | None = None
    """Why there is no fit (no raw series, unsupported fit …); ``None`` when fitted."""

    @property
    def excluded(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.user_excluded) | set(self.outliers)))

    @property
    def label(self) -> str:
        return self.key if self.series == "signal" else f"{self.key} baseline"


def _problem(row: RefitRow) -> Evolution:
    return Evolution(
        series=row.series, key=row.key, detector=row.detector, fit=row.fit,
        stored_value=row.stored_value, stored_error=row.stored_error,
        problem=row.problem or "no fit",
    )  # fmt: skip


def _curve(
    batch: FitBatch, i: int, grid: FloatArray, predicted: FloatArray, x: FloatArray,
    series: SeriesKind,
) -> tuple[FloatArray, FloatArray]:  # fmt: skip
    """Series ``i`` drawn over the shared grid from time zero (signals, which are
    extrapolated there) or from its first point (baselines) to its last point, ends exact."""
    if x.size == 0:
        return np.zeros(0), np.zeros(0)
    low = 0.0 if series == "signal" else float(np.min(x))
    high = float(np.max(x))
    keep = (grid > low) & (grid < high)
    ends = batch.predict(np.array([low, high]))[i]
    gx = np.concatenate(([low], grid[keep], [high]))
    gy = np.concatenate(([ends[0]], predicted[keep], [ends[1]]))
    return gx, gy


def evolutions(analysis: Analysis) -> list[Evolution]:
    """Every stored intercept (signals) and baseline of ``analysis`` with its raw series and
    refitted curve, signals first, each in the order of its file."""
    jobs: list[SeriesJob] = []
    order: list[SeriesJob | RefitRow] = []
    for item in series_jobs(analysis):
        order.append(item)
        if isinstance(item, SeriesJob):
            jobs.append(item)
    fitted: dict[int, Evolution] = {}
    if jobs:
        specs = [j.row.spec for j in jobs if j.row.spec is not None]
        batch = fit_batch([j.t for j in jobs], [j.y for j in jobs], specs, [j.user for j in jobs])
        offsets = [s.time_zero_offset for s in specs]
        xs = [j.t - off for j, off in zip(jobs, offsets, strict=True)]
        top = max((float(np.max(x)) for x in xs if x.size), default=1.0)
        bottom = min((float(np.min(x)) for x in xs if x.size), default=0.0)
        grid = np.linspace(min(0.0, bottom), top, GRID_POINTS)
        predicted = batch.predict(grid)
        for i, job in enumerate(jobs):
            gx, gy = _curve(batch, i, grid, predicted[i], xs[i], job.row.series)
            row = job.row
            fitted[id(job)] = Evolution(
                series=row.series, key=row.key, detector=row.detector, fit=row.fit,
                t=job.t, y=job.y, time_zero=offsets[i], user_excluded=tuple(job.user),
                outliers=tuple(batch.outlier_indices(i)), fit_t=gx + offsets[i], fit_y=gy,
                value=float(batch.value[i]), error=float(batch.error[i]),
                stored_value=row.stored_value, stored_error=row.stored_error,
                n=int(batch.n[i]), fn=int(batch.fn[i]), kind_used=str(batch.kind_used[i]),
                problem=None if FitStatus(int(batch.status[i])) in USABLE else batch.reason(i),
            )  # fmt: skip
    return [fitted[id(item)] if isinstance(item, SeriesJob) else _problem(item) for item in order]


def evolutions_or_problem(analysis: Analysis) -> tuple[list[Evolution], str | None]:
    """:func:`evolutions`, or no series and the reason when the analysis cannot be read."""
    try:
        return evolutions(analysis), None
    except ArdvcError as exc:
        return [], str(exc)
