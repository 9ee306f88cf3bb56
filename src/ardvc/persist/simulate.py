"""Simulated acquisition: a lab plan's days of runs through a real :class:`Persister`.

Used by ``ardvc simulate`` and ``ardvc demo``: the irradiation of the plan is written into
the MetaRepo first (so the runs reduce), then every run of the schedule is recorded and
committed exactly as acquisition software would do it, one run recording while the
previous one is saved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta

from ardvc.gitstore import Author
from ardvc.meta import MetaRepo
from ardvc.persist.drive import FROM_RUN, record_run
from ardvc.persist.persister import Persister, PersistResult
from ardvc.persist.sim_meta import JMode, install_irradiation
from ardvc.persist.sim_schedule import Schedule, day_plan
from ardvc.persist.simulator import SimulatedRun, Simulator


@dataclass(frozen=True)
class SimulationPlan:
    """Which runs: ``days`` copies of the day plan from ``start``, optionally with only
    some unknown positions (default: the plan's first unknown)."""

    seed: int = 0
    days: int = 1
    start: datetime = datetime(2024, 4, 15, 8, 0)
    unknowns: Sequence[int] | None = None
    monitor_repeats: int = 2
    j: JMode = "true"
    """J written into the MetaRepo: the true J, or a preliminary one for a flux fit."""


def simulated_runs(sim: Simulator, plan: SimulationPlan) -> list[SimulatedRun]:
    slots = day_plan(sim.irradiation, unknowns=plan.unknowns, monitor_repeats=plan.monitor_repeats)
    runs: list[SimulatedRun] = []
    for day in range(plan.days):
        runs.extend(Schedule(sim, plan.start + timedelta(days=day), slots=slots))
    return runs


def simulate(
    persister: Persister,
    meta: MetaRepo | None,
    author: Author,
    plan: SimulationPlan,
    *,
    simulator: Simulator | None = None,
    progress: Callable[[int, int, PersistResult], None] | None = None,
) -> list[PersistResult]:
    """Record every run of ``plan``; returns the results in run order.

    Raises the first save error (after waiting for the saves in flight): a simulation that
    did not commit everything does not report success.
    """
    sim = simulator or Simulator(seed=plan.seed)
    if meta is not None:
        install_irradiation(meta, sim.irradiation, author, j=plan.j)
    runs = simulated_runs(sim, plan)
    futures: list[Future[PersistResult]] = []
    results: list[PersistResult] = []
    for run in runs:
        futures.append(record_run(persister, run, blanks=FROM_RUN))
        while futures and futures[0].done():
            results.append(futures.pop(0).result())
            if progress is not None:
                progress(len(results), len(runs), results[-1])
    for future in futures:
        results.append(future.result())
        if progress is not None:
            progress(len(results), len(runs), results[-1])
    return results
