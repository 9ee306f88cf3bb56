"""J across the tray: the weighted plane, and a level's flux fit from simulated monitors
whose true J is known (the plan puts a linear gradient across the can)."""

from __future__ import annotations

import numpy as np
import pytest

from ardvc import Lab
from ardvc.errors import MissingInputError, UsageError
from ardvc.formats.holders import Hole
from ardvc.persist.sim_meta import holder_name, position_j
from ardvc.persist.simulate import SimulationPlan, simulate
from ardvc.persist.simulator import Simulator
from ardvc.reduce.flux_model import fit_plane
from ardvc.reduction.flux_fit import FluxFit

SETTINGS = ["atmosphere=lee2006", "covariance=full"]


def test_plane_through_three_points_is_exact_and_keeps_their_errors() -> None:
    x, y = np.array([0.4, -0.2, -0.2]), np.array([0.0, 0.35, -0.35])
    j = 0.005 + 1e-4 * x - 2e-5 * y
    err = np.array([2e-6, 3e-6, 1e-6])
    plane = fit_plane(x, y, j, err)
    np.testing.assert_allclose(plane.coefficients, [0.005, 1e-4, -2e-5], rtol=1e-10)
    value, sigma = plane.predict(x, y)
    np.testing.assert_allclose(value, j, rtol=1e-12)
    np.testing.assert_allclose(sigma, err, rtol=1e-9)  # no dof: the fit passes through
    assert np.isnan(plane.mswd)


def test_plane_errors_match_a_monte_carlo_and_scale_by_mswd() -> None:
    rng = np.random.default_rng(1)
    angle = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    x, y = 0.4 * np.cos(angle), 0.4 * np.sin(angle)
    truth = 0.005 + 1e-4 * x + 5e-5 * y
    err = np.full(8, 2e-6)
    trials = [fit_plane(x, y, truth + rng.normal(0, err), err) for _ in range(4000)]
    centre = np.array([t.predict(0.0, 0.1)[0][0] for t in trials])
    plane = fit_plane(x, y, truth, err)  # MSWD 0 ≤ 1: errors not scaled
    (_, (sigma,)) = plane.predict(0.0, 0.1)
    assert centre.std() == pytest.approx(sigma, rel=0.05)  # 4000 trials: SD known to ~1.1 %
    mswds = np.array([t.mswd for t in trials])
    assert mswds.mean() == pytest.approx(1.0, abs=0.06)
    noisy = fit_plane(x, y, truth + 3 * rng.normal(0, err), err)
    scaled = noisy.predict(0.0, 0.1)[1][0]
    if noisy.mswd > 1:
        assert scaled == pytest.approx(sigma * np.sqrt(noisy.mswd), rel=1e-9)


def test_plane_refuses_what_does_not_define_one() -> None:
    with pytest.raises(UsageError, match="at least 3"):
        fit_plane([0, 1], [0, 1], [1, 1], [1, 1])
    with pytest.raises(UsageError, match="one line"):
        fit_plane([0, 1, 2], [0, 1, 2], [1, 1, 1], [1, 1, 1])
    with pytest.raises(UsageError, match="positive error"):
        fit_plane([0, 1, 0], [0, 0, 1], [1, 1, 1], [1, 0, 1])


@pytest.fixture(scope="module")
def flux_lab(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lab, Simulator]:
    root = tmp_path_factory.mktemp("flux") / "lab"
    Lab.init(root)
    lab = Lab.open(root)
    sim = Simulator(seed=4)
    with lab.persister("SimLab", remote="") as p:
        simulate(p, lab.meta, lab.author(), SimulationPlan(seed=4, j="preliminary"), simulator=sim)
    return lab, sim


def _fit(lab: Lab, sim: Simulator) -> FluxFit:
    irr = sim.irradiation
    return lab.fit_flux("SimLab", irr.name, irr.level, holder=holder_name(irr), settings=SETTINGS)


def test_preliminary_j_is_one_value_for_the_can(flux_lab: tuple[Lab, Simulator]) -> None:
    lab, sim = flux_lab
    irr = sim.irradiation
    stored = {lab.meta.flux(irr.name, irr.level, p.position).j for p in irr.positions}
    assert len(stored) == 1
    assert stored == {v[0] for v in position_j(irr, "preliminary").values() if v}


def test_level_flux_recovers_the_true_gradient(flux_lab: tuple[Lab, Simulator]) -> None:
    lab, sim = flux_lab
    fit = _fit(lab, sim)
    irr = sim.irradiation
    monitors = {p.position for p in irr.monitors}
    assert {p.position for p in fit.positions if p.monitor is not None} == monitors
    z = []
    for p in fit.positions:
        truth = irr.position(p.position).j
        z.append((p.j - truth) / p.j_err)
        if p.monitor is not None:  # every monitor run of the position was listed and used
            assert len(p.monitor.record_ids) == 2 and not p.monitor.failures
    # Each z is ~N(0, 1) if J and its error are right; 6 positions (3 correlated through
    # the plane): |z| < 3.5 fails with p < 0.3 %; the gradient is ±1 %, σJ ~0.1 %.
    assert max(abs(v) for v in z) < 3.5
    spread = max(p.j for p in fit.positions) / min(p.j for p in fit.positions) - 1
    assert spread > 0.01  # the model sees the gradient a single mean J would miss


def test_saved_flux_is_what_reductions_read(flux_lab: tuple[Lab, Simulator]) -> None:
    lab, sim = flux_lab
    irr = sim.irradiation
    fit = _fit(lab, sim)
    result = lab.save_flux_fit(fit)
    assert result.commit is not None
    assert lab.meta.git.raw[result.commit].message.strip() == f"fit flux for {irr.name}{irr.level}"
    level = lab.meta.level(irr.name, irr.level)
    for p in fit.positions:
        flux = lab.meta.flux(irr.name, irr.level, p.position)
        assert (flux.j, flux.j_err) == (p.j, p.j_err)
        stored = level.find(p.position)
        assert stored is not None and stored.options is not None
        assert stored.options["model_kind"] == "Plane"
        assert stored.options["ardvc"]["data_commit"] == fit.data_commit
        if p.monitor is not None:
            assert [a.record_id for a in stored.analyses or []] == p.monitor.record_ids
            assert stored.mean_j == p.monitor.mean.value  # type: ignore[union-attr]
    # the unknown now reduces with the fitted J
    unknown = irr.unknowns[0]
    reduction = lab.reduce("SimLab", identifiers=[unknown.identifier], settings=SETTINGS)
    assert {r.j for r in reduction.results} == {fit.positions[unknown.position - 1].j}
    # a fit made before the MetaRepo moved is refused, nothing written
    head = lab.meta.git.head_id()
    with pytest.raises(UsageError, match="moved"):
        lab.save_flux_fit(fit)
    assert lab.meta.git.head_id() == head


def test_flux_needs_monitors_and_their_holes(flux_lab: tuple[Lab, Simulator]) -> None:
    lab, sim = flux_lab
    irr = sim.irradiation
    with pytest.raises(MissingInputError, match="no FC-3 analyses"):
        lab.fit_flux("SimLab", irr.name, irr.level, holder=holder_name(irr), monitor_sample="FC-3")
    holes = [Hole("1", 0.4, 0.0, 0.0175), Hole("2", 0.0, 0.4, 0.0175)]
    lab.meta.write_holder("TwoHoles", holes, lab.author())
    with pytest.raises(UsageError, match=r"position 4 of NM-999 A has no hole in holder TwoHoles"):
        lab.fit_flux("SimLab", irr.name, irr.level, holder="TwoHoles")
