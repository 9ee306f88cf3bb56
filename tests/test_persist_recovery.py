"""Truth recovery through the whole pipeline: simulated runs recorded by the Persister,
committed to git, read back and reduced by the lab with J from the MetaRepo.

tests/test_simulator.py shows in memory that over 50 seeds the reduced ages scatter about
the truth as their errors say. Here the same runs (same seeds, same order of generation, so
the same data) go through the Persister with collection fits at Cornudas' filter (1
iteration at 3σ; linear, Ar40 parabolic, baselines averaged), then ``Lab.reduce`` refits
every intercept and baseline from the stored float32 blobs with the settings the files
record, and reduces with the simulated world's constants (Lee 2006 air) and the
conventions the simulator realises (full covariance, trapped 40/36 exact), J from the
irradiation the simulator installed in the MetaRepo. Each seed also records a blank and an
air shot (after its experiment, so the unknowns' data equal test_simulator's); the
reduction's default selection leaves them out.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from ardvc import Lab
from ardvc.persist.collection import CollectionFits
from ardvc.persist.drive import record_run
from ardvc.persist.sim_meta import install_irradiation
from ardvc.persist.simulator import SIM_CONSTANTS, SimulatedRun, Simulator
from ardvc.reduce.conventions import Conventions
from ardvc.reduce.fitspec import FitKind, FitSpec
from conftest import META_BUNDLE, clone_bundle

SEEDS = range(50)
START = datetime(2024, 4, 15, 8, 0)
SETTINGS = ["atmosphere=lee2006", "covariance=full", "propagate_trapped_error=false"]
SIGNAL_1X3 = FitSpec(kind=FitKind.LINEAR, filter_outliers=True, iterations=1, std_devs=3.0)
FITS = CollectionFits(
    signal=SIGNAL_1X3,
    isotopes={"Ar40": replace(SIGNAL_1X3, kind=FitKind.PARABOLIC)},
    baseline=replace(SIGNAL_1X3, kind=FitKind.AVERAGE),
)


def experiment(sim: Simulator) -> list[SimulatedRun]:
    """test_simulator's experiment (two step heatings, two monitors), then a blank and an
    air shot."""
    runs = sim.step_heating(2, START) + sim.step_heating(3, START + timedelta(hours=2))
    later = START + timedelta(hours=4)
    runs += [sim.monitor(1, later), sim.monitor(4, later + timedelta(minutes=15))]
    return [*runs, sim.blank(later + timedelta(minutes=30)), sim.air(later + timedelta(hours=1))]


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    Lab.init(tmp_path / "lab")
    lab = Lab.open(tmp_path / "lab")
    install_irradiation(lab.meta, Simulator(seed=0).irradiation, lab.author())  # true J
    return lab


def test_ages_through_git_are_recovered_within_their_errors(lab: Lab) -> None:
    started = time.perf_counter()
    z: list[float] = []
    for seed in SEEDS:
        sim = Simulator(seed=seed)
        runs = experiment(sim)
        repo = f"Seed{seed:02d}"
        with lab.persister(repo, remote="", sync_index=False, fits=FITS) as persister:
            futures = [record_run(persister, run) for run in runs]  # saves overlap recording
            assert all(not f.result().problems for f in futures)
        reduction = lab.reduce(repo, settings=SETTINGS, refit=True)
        if seed == SEEDS[0]:
            assert reduction.constants == SIM_CONSTANTS
            assert replace(reduction.conventions, name="x") == Conventions(
                covariance="full", propagate_trapped_error=False, name="x"
            )
        truth = {r.record_id: r for r in runs}
        results = reduction.results
        assert len(results) == len(runs) - 2  # not the blank, not the air shot
        for result in results:
            assert result.ok, result.error
            run = truth[result.record_id]
            assert run.analysis_type == "unknown" and result.j == run.truth.j
            assert result.age_err < result.age_err_with_j  # age_err leaves out J's error
            z.append((result.age - float(run.truth.age or 0.0)) / result.age_err)
        if seed % 10 == 0:  # the stored collection fits are what the refit reproduces
            stored = lab.reduce(repo, settings=SETTINGS)
            assert [r.age for r in stored.results] == [r.age for r in results]
    elapsed = time.perf_counter() - started
    zs = np.array(z)
    assert len(zs) == 16 * len(SEEDS)
    within = float(np.mean(np.abs(zs) < 2))
    summary = f"{within:.4f} within 2σ, z mean {zs.mean():.3f} SD {zs.std(ddof=1):.3f}"
    assert within >= 0.95, summary
    assert abs(zs.mean()) < 0.3, summary
    assert 0.8 < zs.std(ddof=1) < 1.2, summary
    assert elapsed < 120, f"{elapsed:.0f} s for {len(SEEDS)} seeds through git"


def test_refit_takes_pychrons_zero_for_an_all_zero_ion_counter_baseline(tmp_path: Path) -> None:
    """Real data behind the simulated case above: Lusk01121 66681-03L stores its all-zero
    L2(CDD) baseline as 0 ± 0 (the 2σ filter excludes every point of constant data). A
    reduction refitted from the blobs takes that 0 ± 0 as collection and ``fit --save`` do,
    and agrees with the stored intercepts to the float32 packing (pychron-format.md §5.2)."""
    dvc = tmp_path / ".dvc"
    clone_bundle(META_BUNDLE, dvc / META_BUNDLE)
    clone_bundle("Lusk01121", dvc / "repositories" / "Lusk01121")
    Lab.adopt_pychron(dvc)
    lab = Lab.open(dvc)
    baselines = lab.analysis("66681-03L", repo="Lusk01121").baselines
    assert baselines is not None
    cdd = baselines.get("L2(CDD)")
    assert cdd is not None and (cdd.value, cdd.error) == (0.0, 0.0)
    (stored,) = lab.reduce("Lusk01121", ["66681-03L"]).results
    (refitted,) = lab.reduce("Lusk01121", ["66681-03L"], refit=True).results
    assert stored.ok and refitted.ok, refitted.error
    assert refitted.provenance["parameters"]["intercepts"] == "refit from raw data"
    assert abs(refitted.age / stored.age - 1) < 1e-7
    assert abs(refitted.age_err / stored.age_err - 1) < 1e-5
