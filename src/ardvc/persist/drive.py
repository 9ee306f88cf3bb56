"""Feed a :class:`~ardvc.persist.sim_run.SimulatedRun` to a persister, call by call, as
acquisition software would: extraction, sniffs, signals streamed in chunks across
isotopes, baselines, peak centre, collection defaults, then ``end_run``.

Written against the persister's interface only (structural protocols), so a test double
can stand in for the persister.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ardvc.persist.metadata import RunMetadata
from ardvc.persist.sim_run import SimulatedRun

__all__ = ["FROM_RUN", "persist_run", "record_run"]


class RunHandle(Protocol):
    """What ``Persister.begin_run`` returns."""

    def save_extraction(self, **fields: Any) -> Any: ...
    def add_signals(self, isotope: str, detector: str, t: Any, y: Any) -> Any: ...
    def add_sniffs(self, isotope: str, detector: str, t: Any, y: Any) -> Any: ...
    def save_baselines(self, detector: str, t: Any, y: Any) -> Any: ...
    def save_peakcenter(self, **fields: Any) -> Any: ...
    def save_defaults(self, **fields: Any) -> Any: ...


class Future(Protocol):
    def result(self) -> Any: ...


class PersisterLike(Protocol):
    def begin_run(self, metadata: Any) -> Any: ...
    def end_run(self, run: Any) -> Future: ...


class _FromRun:
    def __repr__(self) -> str:
        return "FROM_RUN"


FROM_RUN: Any = _FromRun()
"""Default of :func:`persist_run`'s keyword arguments: take the value the simulated run
carries in ``sim_run.defaults`` (the lab's estimates and the preceding blank)."""


def record_run(
    persister: PersisterLike,
    sim_run: SimulatedRun,
    *,
    blanks: Mapping[str, tuple[float, float]] = FROM_RUN,
    icfactors: Mapping[str, tuple[float, float]] = FROM_RUN,
    previous_blank: str | None = FROM_RUN,
    chunk: int | None = 50,
    metadata_factory: Callable[..., Any] | None = None,
) -> Any:
    """Record one simulated run and end it; returns ``persister.end_run``'s future (the
    save proceeds while the caller records the next run).

    ``chunk`` points per ``add_signals`` call, isotopes interleaved as multicollection
    streams them (``None``: one call per isotope). ``metadata_factory`` builds the
    ``begin_run`` argument from :meth:`SimulatedRun.metadata` (default: ``RunMetadata``).
    """
    defaults = sim_run.defaults
    blanks = defaults.blanks if blanks is FROM_RUN else blanks
    icfactors = defaults.icfactors if icfactors is FROM_RUN else icfactors
    previous_blank = defaults.previous_blank if previous_blank is FROM_RUN else previous_blank
    factory: Callable[..., Any] = metadata_factory or RunMetadata

    run: RunHandle = persister.begin_run(factory(**sim_run.metadata()))
    run.save_extraction(**sim_run.extraction())
    for (isotope, detector), (t, y) in sim_run.sniffs.items():
        run.add_sniffs(isotope, detector, t, y)
    longest = max((len(t) for t, _ in sim_run.signals.values()), default=0)
    size = chunk if chunk else longest
    for start in range(0, longest, max(size, 1)):
        for (isotope, detector), (t, y) in sim_run.signals.items():
            if start < len(t):
                run.add_signals(isotope, detector, t[start : start + size], y[start : start + size])
    for detector, (t, y) in sim_run.baselines.items():
        run.save_baselines(detector, t, y)
    pc = sim_run.peak_center
    run.save_peakcenter(
        reference_detector=pc.reference_detector,
        reference_isotope=pc.reference_isotope,
        scans=dict(pc.scans),
        center_dac=pc.center_dac,
    )
    run.save_defaults(blanks=dict(blanks), icfactors=dict(icfactors), previous_blank=previous_blank)
    return persister.end_run(run)


def persist_run(persister: PersisterLike, sim_run: SimulatedRun, **options: Any) -> Any:
    """:func:`record_run`, then wait: returns ``persister.end_run(run).result()``."""
    return record_run(persister, sim_run, **options).result()
