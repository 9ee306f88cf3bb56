"""``ardvc fit``: refit stored intercepts and baselines from the raw blobs.

Every populated entry of an analysis' ``intercepts`` and ``baselines`` file is refitted
with the settings stored beside it (fit, error type, outlier filter, user exclusions) and
compared with the stored result. All series of all analyses given go through one
:func:`~ardvc.reduce.regression.fit_batch` call per batch of analyses, so refitting a
whole repository costs a handful of array passes rather than thousands of fits.

An entry that cannot be refitted (no raw series, a ``custom:`` fit, Monte Carlo errors,
IQR filtering) becomes a row with ``problem`` set — never a silent skip.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Literal

import numpy as np

from ardvc.data import Analysis
from ardvc.errors import ArdvcError, NotFoundError
from ardvc.formats.fits import FitEntry
from ardvc.formats.rawdata import RawData
from ardvc.reduce.fitspec import (
    FitSpec,
    FitStatus,
    UnsupportedFitError,
    parse_error_type,
    parse_fit_kind,
    split_fit,
)
from ardvc.reduce.ols import FloatArray
from ardvc.reduce.packing import float32_bound
from ardvc.reduce.regression import fit_batch

SeriesKind = Literal["signal", "baseline"]
ANALYSES_PER_BATCH = 1000
"""Analyses whose series are fitted together; bounds memory for whole archives."""


def spec_from_entry(entry: FitEntry, time_zero_offset: float = 0.0) -> FitSpec:
    """The :class:`FitSpec` a stored entry was fitted with.

    Fit names in any case, ``_SEM``-style suffixes, ``Auto Linear/Parabolic`` and the
    legacy flat filter keys are understood; a missing ``error_type`` (and no suffix) is
    SEM, as in files that predate the key (reduction-math §3). IQR filtering is refused:
    Pychron's implementation is broken by operator precedence (§2).
    """
    if entry.fit is None:
        raise UnsupportedFitError("the entry stores no fit")
    name, suffix = split_fit(entry.fit)
    stored_type = entry.error_type if entry.error_type is not None else suffix
    settings = entry.outlier_filter
    if settings.filter_outliers and settings.use_iqr_filtering:
        raise UnsupportedFitError(
            "IQR outlier filtering is not supported (Pychron's version is broken)"
        )
    return FitSpec(
        kind=parse_fit_kind(name),
        error_type=parse_error_type(stored_type),
        filter_outliers=bool(settings.filter_outliers),
        iterations=int(settings.iterations),
        std_devs=float(settings.std_devs),
        use_standard_deviation_filtering=bool(settings.use_standard_deviation_filtering),
        time_zero_offset=time_zero_offset,
    )


def _relative(new: float, old: float | None) -> float:
    if old is None:
        return math.nan
    if new == old:
        return 0.0
    if old == 0:
        return math.inf
    return abs(new - old) / abs(old)


@dataclass(frozen=True, slots=True)
class RefitRow:
    """One stored entry and its refit."""

    repo: str
    commit: str
    analysis: str
    """Shard + tail of the main file, e.g. ``66681-03L`` or a uuid."""
    series: SeriesKind
    key: str
    """Isotope key (signals) or detector (baselines)."""
    detector: str | None
    fit: str | None
    spec: FitSpec | None
    stored_value: float | None
    stored_error: float | None
    stored_n: int | None
    stored_fn: int | None
    stored_outlier_excluded: tuple[int, ...] | None
    value: float = math.nan
    error: float = math.nan
    n: int = 0
    fn: int = 0
    excluded: tuple[int, ...] = ()
    """Points the refit did not use (user-excluded ∪ outliers)."""
    outliers: tuple[int, ...] = ()
    kind_used: str = ""
    packing_bound: float = math.nan
    """First-order bound on |refit − value fitted from the unpacked double data|
    (:func:`~ardvc.reduce.packing.float32_bound`)."""
    status: FitStatus | None = None
    problem: str | None = None
    """Why no refit was possible; ``None`` when it ran."""

    @property
    def rel_value(self) -> float:
        return _relative(self.value, self.stored_value)

    @property
    def rel_error(self) -> float:
        return _relative(self.error, self.stored_error)

    @property
    def fn_matches(self) -> bool | None:
        """Stored ``fn`` equals the refit's kept count (``None`` if none is stored)."""
        return None if self.stored_fn is None else self.stored_fn == self.fn

    @property
    def outliers_match(self) -> bool | None:
        if self.stored_outlier_excluded is None:
            return None
        return set(self.stored_outlier_excluded) == set(self.outliers)

    @property
    def within_packing(self) -> bool:
        """|refit − stored| is explained by float32 packing of the raw data alone."""
        if self.stored_value is None:
            return False
        return abs(self.value - self.stored_value) <= self.packing_bound

    def value_matches(self, rtol: float = 1e-8) -> bool:
        """Value within ``rtol`` relative, or within the float32 packing bound (stored
        values fitted at collection time, from double-precision data)."""
        return self.problem is None and (self.rel_value <= rtol or self.within_packing)

    def reproduces(self, rtol: float = 1e-8) -> bool:
        """:meth:`value_matches` and, where stored, ``fn`` exact."""
        return self.value_matches(rtol) and self.fn_matches is not False


@dataclass
class SeriesJob:
    """One stored entry ready to refit: its row, raw series and user exclusions."""

    row: RefitRow
    t: FloatArray
    y: FloatArray
    user: list[int]


def _stored(
    analysis: Analysis, series: SeriesKind, key: str, detector: str | None, entry: FitEntry
) -> RefitRow:
    excluded = entry.outlier_excluded
    return RefitRow(
        repo=analysis.repo,
        commit=analysis.commit,
        analysis=analysis.name,
        series=series,
        key=key,
        detector=detector,
        fit=entry.fit,
        spec=None,
        stored_value=entry.value,
        stored_error=entry.error,
        stored_n=entry.n,
        stored_fn=entry.fn,
        stored_outlier_excluded=tuple(excluded) if excluded is not None else None,
    )


def _file_problem(analysis: Analysis, series: SeriesKind, exc: ArdvcError) -> RefitRow:
    """A whole intercepts/baselines file is unreadable: one row says so."""
    return RefitRow(
        analysis.repo, analysis.commit, analysis.name, series, "*", None, None, None,
        None, None, None, None, None, problem=str(exc),
    )  # fmt: skip


def _entries(
    analysis: Analysis,
) -> Iterator[tuple[SeriesKind, str, str | None, FitEntry] | RefitRow]:
    detectors = dict(analysis.isotope_detectors())
    for series in ("signal", "baseline"):
        try:
            fits = analysis.intercepts if series == "signal" else analysis.baselines
        except ArdvcError as exc:
            yield _file_problem(analysis, series, exc)
            continue
        for key, entry in (fits.populated() if fits is not None else {}).items():
            yield series, key, detectors.get(key) if series == "signal" else key, entry


@dataclass(frozen=True)
class FitOverrides:
    """Fit settings to use instead of the stored ones (``ardvc fit --fit Ar40=parabolic``).

    ``kinds`` maps an isotope key, a detector, ``signals``, ``baselines`` or ``all`` to a
    fit name; the most specific key wins. ``error_type`` replaces every error type.
    """

    kinds: dict[str, str] = field(default_factory=dict)
    error_type: str | None = None

    def __post_init__(self) -> None:
        """Refuse unknown or unsupported settings up front, not per entry."""
        for kind in self.kinds.values():
            parse_fit_kind(kind)
        if self.error_type is not None:
            parse_error_type(self.error_type)

    def apply(self, spec: FitSpec, series: SeriesKind, key: str) -> FitSpec:
        for name in (key, "signals" if series == "signal" else "baselines", "all"):
            if name in self.kinds:
                spec = replace(spec, kind=parse_fit_kind(self.kinds[name]))
                break
        if self.error_type is not None:
            spec = replace(spec, error_type=parse_error_type(self.error_type))
        return spec


def series_jobs(
    analysis: Analysis, overrides: FitOverrides | None = None
) -> Iterator[SeriesJob | RefitRow]:
    """One job per populated entry, or a problem row when it cannot be refitted."""
    raw: RawData | None = None
    raw_problem: str | None = None
    try:
        raw = analysis.raw_data
    except ArdvcError as exc:
        raw_problem = str(exc)
    if raw is None and raw_problem is None:
        raw_problem = "the analysis has no raw data file (.data)"
    offset = analysis.main.time_zero_offset or 0.0
    for item in _entries(analysis):
        if isinstance(item, RefitRow):
            yield item
            continue
        series, key, det, entry = item
        row = _stored(analysis, series, key, det, entry)
        try:
            spec = spec_from_entry(entry, offset)
            if overrides is not None:
                spec = overrides.apply(spec, series, key)
            if raw is None:
                raise NotFoundError(raw_problem or "no raw data")
            t, y = raw.signal(key, det) if series == "signal" else raw.baseline(key)
            user = _user_excluded(entry, t.size)
        except ArdvcError as exc:
            yield replace(row, problem=str(exc))
            continue
        yield SeriesJob(replace(row, spec=spec), t, y, user)


def _user_excluded(entry: FitEntry, size: int) -> list[int]:
    picks = list(entry.user_excluded or [])
    wrong = [i for i in picks if not 0 <= i < size]
    if wrong:
        raise UnsupportedFitError(f"user_excluded indices {wrong} outside the {size} points")
    return picks


def _fit_jobs(jobs: list[SeriesJob]) -> list[RefitRow]:
    if not jobs:
        return []
    specs = [j.row.spec for j in jobs if j.row.spec is not None]
    ts, ys = [j.t for j in jobs], [j.y for j in jobs]
    batch = fit_batch(ts, ys, specs, [j.user for j in jobs])
    bound = float32_bound(batch, ts, ys, [s.time_zero_offset for s in specs])
    return [
        replace(
            job.row,
            value=float(batch.value[i]),
            error=float(batch.error[i]),
            n=int(batch.n[i]),
            fn=int(batch.fn[i]),
            excluded=tuple(batch.excluded_indices(i)),
            outliers=tuple(batch.outlier_indices(i)),
            kind_used=str(batch.kind_used[i]),
            packing_bound=float(bound[i]),
            status=FitStatus(int(batch.status[i])),
        )
        for i, job in enumerate(jobs)
    ]


def refit_many(
    analyses: Iterable[Analysis], overrides: FitOverrides | None = None
) -> list[RefitRow]:
    """Refit every stored intercept and baseline of ``analyses``, batched across them."""
    rows: list[RefitRow] = []
    it = iter(analyses)
    while chunk := list(islice(it, ANALYSES_PER_BATCH)):
        jobs: list[SeriesJob] = []
        order: list[SeriesJob | RefitRow] = []
        for analysis in chunk:
            for item in series_jobs(analysis, overrides):
                order.append(item)
                if isinstance(item, SeriesJob):
                    jobs.append(item)
        fitted = iter(_fit_jobs(jobs))
        rows.extend(next(fitted) if isinstance(item, SeriesJob) else item for item in order)
    return rows


def refit_analysis(analysis: Analysis, overrides: FitOverrides | None = None) -> list[RefitRow]:
    """Refit one analysis (all its isotopes and baselines in one batch)."""
    return refit_many([analysis], overrides)


def summarise(rows: Iterable[RefitRow], rtol: float = 1e-8) -> dict[str, float]:
    """Counts for a report: entries, reproduced, problems, worst relative deviations."""
    rows = list(rows)
    done = [r for r in rows if r.problem is None]
    rel_v = np.array([r.rel_value for r in done if math.isfinite(r.rel_value)])
    rel_e = np.array([r.rel_error for r in done if math.isfinite(r.rel_error)])
    return {
        "entries": len(rows),
        "reproduced": sum(r.reproduces(rtol) for r in rows),
        "problems": len(rows) - len(done),
        "max_rel_value": float(rel_v.max(initial=0.0)),
        "max_rel_error": float(rel_e.max(initial=0.0)),
    }
