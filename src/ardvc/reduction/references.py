"""Blanks and IC factors of unknowns from reference analyses (reduction-math.md §11).

The SQL index finds the references (``blank_unknown`` runs for blanks, ``air`` for a
detector ratio) within a window around the selected unknowns on the same spectrometer; every
number is then read from git. Each reference gives one value per key:

* blanks: its own baseline-corrected intercept of the isotope (intercept − baseline, the
  intercept's error; with the baseline error when the intercept entry asks for it);
* IC factors: (n/d of the two detectors' baseline- and blank-corrected intensities, no IC
  and no decay) / standard ratio; the result is the IC factor of the ratio's denominator.

References whose git tag excludes them stay in the series, flagged, and never enter a
value. Timestamps are read in the lab's time zone and truncated to whole seconds, as
Pychron's database stores them: this reproduces all 304 stored SwansonB Bracketing
Interpolate IC factors to 2e-15 (rounding, or keeping microseconds, misses by 2e-4).
:mod:`ardvc.reduction.reference_files` turns a :class:`ReferencePlan` into files and a
commit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from ardvc.data import Analysis, DataRepo
from ardvc.errors import ArdvcError, UsageError
from ardvc.formats.tags import is_excluding
from ardvc.index.query import AnalysisRecord
from ardvc.reduce.interpolation import Prediction, SeriesFit, predict, relative_hours
from ardvc.reduction.reference_values import (
    ICRatio,
    baseline_corrected,
    ic_reference_value,
)
from ardvc.reduction.select import select_analyses

Modifier = Literal["blanks", "icfactors"]
Progress = Callable[[int, int], None]
"""``progress(done, total)`` after each reference analysis read."""

BLANK_ISOTOPES = ("Ar40", "Ar39", "Ar38", "Ar37", "Ar36")


class ReferenceSource(Protocol):
    """Where references come from: :class:`ardvc.api.Lab` is one."""

    def find(self, **filters: Any) -> list[AnalysisRecord]: ...

    def analysis_at(self, record: AnalysisRecord) -> Analysis: ...


@dataclass(frozen=True)
class Selection:
    """Which references: analysis types, a window of hours before the first and after the
    last unknown, the spectrometer (``None``: each unknown's own) and the zone of the naive
    stored timestamps (``None``: UTC)."""

    types: tuple[str, ...] = ("blank_unknown",)
    window_hours: float = 48.0
    mass_spectrometer: str | None = None
    timezone: str | None = None

    def __post_init__(self) -> None:
        if not self.types:
            raise UsageError("give at least one reference analysis type")
        if not (math.isfinite(self.window_hours) and self.window_hours > 0):
            raise UsageError(
                f"the window must be a positive number of hours, not {self.window_hours}"
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference_types": list(self.types),
            "window_hours": self.window_hours,
            "mass_spectrometer": self.mass_spectrometer,
            "timezone": self.timezone or "UTC",
        }


@dataclass(frozen=True)
class Reference:
    """One reference analysis of a series, read from git."""

    record_id: str
    uuid: str | None
    repo: str
    seconds: int
    tag: str
    analysis: Analysis = field(repr=False, compare=False)

    @property
    def excluded(self) -> bool:
        return is_excluding(self.tag)


@dataclass(frozen=True)
class Series:
    """The reference values of one key (isotope or detector) for a group of unknowns."""

    key: str
    references: tuple[Reference, ...]
    values: tuple[float, ...]
    errors: tuple[float, ...]


@dataclass(frozen=True)
class Computed:
    """A new entry of one unknown: what is stored now and what the series gives."""

    analysis: Analysis = field(repr=False, compare=False)
    key: str
    fit: SeriesFit
    value: float
    error: float
    series: Series = field(repr=False, compare=False)
    used: tuple[int, ...]
    current: tuple[float | None, float | None, str | None]

    @property
    def record_id(self) -> str:
        return self.analysis.record_id

    @property
    def used_record_ids(self) -> tuple[str, ...]:
        return tuple(self.series.references[j].record_id for j in self.used)


@dataclass
class ReferencePlan:
    """Everything computed for one repository, nothing written yet."""

    repo: str
    head: str
    modifier: Modifier
    selection: Selection
    ratio: ICRatio | None = None
    computed: list[Computed] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    references: int = 0


def naive_to_seconds(moment: datetime, zone: ZoneInfo) -> int:
    """Whole epoch seconds of a stored timestamp (naive → ``zone``), truncated as Pychron's
    database stores them."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=zone)
    return math.floor(aware.timestamp())


def _groups(unknowns: Sequence[Analysis], selection: Selection) -> dict[str, list[Analysis]]:
    out: dict[str, list[Analysis]] = {}
    for analysis in unknowns:
        spec = selection.mass_spectrometer or analysis.main.mass_spectrometer or ""
        out.setdefault(spec.lower(), []).append(analysis)
    return out


def _references(
    source: ReferenceSource,
    unknowns: Sequence[Analysis],
    spectrometer: str,
    selection: Selection,
    zone: ZoneInfo,
) -> list[AnalysisRecord]:
    times = [a.main.timestamp_dt for a in unknowns]
    window = timedelta(hours=selection.window_hours)
    since = min(times).replace(tzinfo=zone) - window
    until = max(times).replace(tzinfo=zone) + window
    records = source.find(
        type=list(selection.types), mass_spec=spectrometer or None, since=since, until=until
    )
    own = {a.uuid for a in unknowns if a.uuid} | {a.record_id for a in unknowns}
    return [r for r in records if r.uuid not in own and r.record_id not in own]


def _read(
    source: ReferenceSource,
    records: Sequence[AnalysisRecord],
    zone: ZoneInfo,
    problems: list[str],
    tick: Callable[[], None],
) -> list[Reference]:
    refs = []
    for record in records:
        try:
            analysis = source.analysis_at(record)
            main = analysis.main
            refs.append(
                Reference(
                    main.record_id,
                    main.uuid,
                    record.repo,
                    naive_to_seconds(main.timestamp_dt, zone),
                    analysis.tag,
                    analysis,
                )
            )
        except ArdvcError as exc:
            problems.append(f"reference {record.record_id} ({record.repo}) left out: {exc}")
        tick()
    refs.sort(key=lambda r: (r.seconds, r.record_id))
    return refs


def _series(
    key: str,
    refs: Sequence[Reference],
    read: Callable[[Analysis], tuple[float, float]],
    problems: list[str],
) -> Series:
    kept, values, errors = [], [], []
    for ref in refs:
        try:
            value, error = read(ref.analysis)
        except ArdvcError as exc:
            problems.append(f"{key}: reference {ref.record_id} left out: {exc}")
            continue
        kept.append(ref)
        values.append(value)
        errors.append(error)
    return Series(key, tuple(kept), tuple(values), tuple(errors))


def _current(analysis: Analysis, modifier: Modifier, key: str) -> tuple[Any, Any, Any]:
    stored = analysis.blanks if modifier == "blanks" else analysis.icfactors
    entry = stored.get(key) if stored is not None else None
    if entry is None:
        return (None, None, None)
    return (entry.value, entry.error, entry.fit)


def _measures(analysis: Analysis, key: str) -> bool:
    """Whether ``key`` is one of the analysis' isotope keys or detectors."""
    return any(key in (k, d) for k, d in analysis.isotope_detectors())


def _predict_group(
    plan: ReferencePlan,
    unknowns: Sequence[Analysis],
    series: Series,
    fit: SeriesFit,
    zone: ZoneInfo,
) -> None:
    refs = series.references
    if not refs:
        plan.problems.append(f"{series.key}: no reference values for {len(unknowns)} unknowns")
        return
    seconds = [naive_to_seconds(a.main.timestamp_dt, zone) for a in unknowns]
    x_refs, x_unknowns = relative_hours([r.seconds for r in refs], seconds)
    excluded = [r.excluded for r in refs]
    try:
        result: Prediction = predict(
            fit, x_refs, series.values, series.errors, excluded, x_unknowns
        )
    except ArdvcError as exc:
        plan.problems.append(f"{series.key}: {exc}")
        return
    for i, analysis in enumerate(unknowns):
        if not _measures(analysis, series.key):
            plan.problems.append(f"{analysis.record_id} did not measure {series.key}: left as is")
            continue
        plan.computed.append(
            Computed(
                analysis,
                series.key,
                fit,
                float(result.value[i]),
                float(result.error[i]),
                series,
                result.references_used(i),
                _current(analysis, plan.modifier, series.key),
            )
        )


def _unknowns(
    repo: DataRepo, names: Sequence[str], identifiers: Sequence[str]
) -> tuple[str, list[Analysis]]:
    branch = repo.git.target_branch(None)
    head = repo.git.branch_head(branch) if branch else None
    if head is None:
        raise UsageError(f"{repo.name} has no commits on its branch: nothing to update")
    unknowns = select_analyses(repo, head, names=names, identifiers=identifiers)
    if not unknowns:
        raise UsageError(
            f"no unknowns selected in {repo.name}",
            hint="give run IDs/uuids or --identifier (only analyses of type 'unknown' count)",
        )
    return head, unknowns


def _plan(
    source: ReferenceSource,
    repo: DataRepo,
    names: Sequence[str],
    identifiers: Sequence[str],
    selection: Selection,
    modifier: Modifier,
    keys_for: Callable[[Sequence[Analysis]], dict[str, SeriesFit]],
    reader: Callable[[str], Callable[[Analysis], tuple[float, float]]],
    progress: Progress | None,
    ratio: ICRatio | None = None,
) -> ReferencePlan:
    head, unknowns = _unknowns(repo, names, identifiers)
    zone = ZoneInfo(selection.timezone or "UTC")
    plan = ReferencePlan(repo.name, head, modifier, selection, ratio)
    groups = _groups(unknowns, selection)
    found = {
        spec: _references(source, group, spec, selection, zone) for spec, group in groups.items()
    }
    total = sum(len(records) for records in found.values())
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    for spec, group in groups.items():
        refs = _read(source, found[spec], zone, plan.problems, tick)
        plan.references += len(refs)
        if not refs:
            plan.problems.append(
                f"no {'/'.join(selection.types)} references within {selection.window_hours:g} h "
                f"of {len(group)} unknowns on {spec or 'any spectrometer'}"
            )
            continue
        for key, fit in keys_for(group).items():
            series = _series(key, refs, reader(key), plan.problems)
            _predict_group(plan, group, series, fit, zone)
    return plan


def plan_blanks(
    source: ReferenceSource,
    repo: DataRepo,
    names: Sequence[str] = (),
    *,
    identifiers: Sequence[str] = (),
    fit: SeriesFit,
    isotopes: Sequence[str] = (),
    fits: Mapping[str, SeriesFit] | None = None,
    selection: Selection | None = None,
    progress: Progress | None = None,
) -> ReferencePlan:
    """Blanks of the selected unknowns at the branch head: ``fit`` for every isotope
    (default: the five argon isotopes each unknown measured), ``fits`` per isotope."""
    chosen = selection or Selection()
    overrides = dict(fits or {})

    def keys_for(group: Sequence[Analysis]) -> dict[str, SeriesFit]:
        measured = {k for a in group for k in a.main.isotopes}
        wanted = list(isotopes) or [k for k in BLANK_ISOTOPES if k in measured]
        wanted += [k for k in overrides if k not in wanted]
        return {k: overrides.get(k, fit) for k in wanted}

    def reader(key: str) -> Callable[[Analysis], tuple[float, float]]:
        return lambda analysis: baseline_corrected(analysis, key)

    return _plan(source, repo, names, identifiers, chosen, "blanks", keys_for, reader, progress)


def plan_icfactors(
    source: ReferenceSource,
    repo: DataRepo,
    names: Sequence[str] = (),
    *,
    identifiers: Sequence[str] = (),
    fit: SeriesFit,
    ratio: ICRatio,
    selection: Selection | None = None,
    progress: Progress | None = None,
) -> ReferencePlan:
    """IC factor of ``ratio.detector`` for the selected unknowns from ``air`` references
    (or the given types)."""
    chosen = selection or Selection(types=("air",))

    def keys_for(group: Sequence[Analysis]) -> dict[str, SeriesFit]:
        return {ratio.detector: fit}

    def reader(key: str) -> Callable[[Analysis], tuple[float, float]]:
        return lambda analysis: ic_reference_value(analysis, ratio)

    return _plan(
        source, repo, names, identifiers, chosen, "icfactors", keys_for, reader, progress, ratio
    )
