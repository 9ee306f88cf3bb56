"""J from monitors, ``mean_j``, the age equation on floats, and integrated F
(reduction-math.md §8, §12.3, §13, §15.6, §16.6–16.7).

Not here: the NM-293 level G ``mean_j`` table of ../shared/data/README.md §4. It needs F of
each of the 36 monitor analyses, which only the per-analysis chain computes (neither the
level file nor the data repository stores F or J per analysis); that end-to-end check
belongs with the chain. ``mean_j`` arithmetic is tested here on J values with known
answers.
"""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ardvc.errors import MissingInputError, UsageError
from ardvc.reduce.flux import (
    FC2_MIN,
    FC_SJ,
    MONITORS,
    age_from_f,
    j_from_f,
    mean_j,
    monitor_age_years,
    monitor_factor,
)
from ardvc.reduce.integrated import (
    StepSelection,
    Weighting,
    integrated_f,
    integrated_steps,
    parse_weighting,
    weighted_integrated_f,
)
from ardvc.reduce.stats import ErrorKind, weighted_mean

RTOL = 1e-12
LAMBDA_2018 = 5.464e-10
LAMBDA_2022 = 5.463e-10
J_IR998 = (0.0018889776829384532, 3.677163462733501e-07)  # NM-291 A position 8
J_CORNUDAS = (0.005260104573992371, 9.718327627364553e-07)  # NM-322 B position 2


def test_monitor_constants() -> None:
    assert (FC2_MIN.name, FC2_MIN.material, FC2_MIN.age) == ("FC Min", "sanidine", 28.201)
    assert (FC_SJ.name, FC_SJ.age) == ("FC SJ", 28.02)
    assert MONITORS["FC Min"] is FC2_MIN
    assert monitor_age_years(FC2_MIN) == 28201000.0


def test_monitor_factor_as_stored() -> None:
    """README §4: J_i = 0.015528357585235852/F_i for FC-2 with λK 5.464e-10 — exp − 1,
    not expm1 (which gives ...588, 1.8e-15 away)."""
    c = monitor_factor(monitor_age_years(FC2_MIN), LAMBDA_2018)
    assert c == 0.015528357585235852
    assert c != math.expm1(LAMBDA_2018 * 28201000.0)


def test_j_from_f_round_trips_the_age_equation() -> None:
    f = np.array([8.2, 8.25, 10.359])
    j, j_err = j_from_f(f, 28201000.0, LAMBDA_2018, f_err=[0.01, 0.02, 0.0])
    assert j == pytest.approx(0.015528357585235852 / f, rel=1e-15)
    assert j_err == pytest.approx(j * np.array([0.01 / 8.2, 0.02 / 8.25, 0.0]), rel=1e-14)
    ages, _ = age_from_f(f, j, LAMBDA_2018)
    assert ages == pytest.approx(28.201, rel=1e-14)
    # 25762-05, the 20 % outlier of README §4: its F from its J, and back
    f_out = 0.015528357585235852 / 0.0014989673027587848
    assert j_from_f(f_out, 28201000.0, LAMBDA_2018)[0] == pytest.approx(
        0.0014989673027587848, rel=1e-15
    )
    with pytest.raises(UsageError):
        j_from_f([0.0], 28201000.0, LAMBDA_2018)


def test_age_equation_ir998_65761_05() -> None:
    """reduction-math §15.6: exact value; errors without and with σJ."""
    f, f_err = 3.119213094480873, 0.0015944880225900954
    age, err = age_from_f(f, J_IR998[0], LAMBDA_2018, f_err=f_err)
    assert float(age) == 10.75189100951123
    assert float(err) == pytest.approx(0.005480068535964898, rel=RTOL)
    _, err_j = age_from_f(f, J_IR998[0], LAMBDA_2018, f_err=f_err, j_err=J_IR998[1])
    assert float(err_j) == pytest.approx(0.005863973680888245, rel=RTOL)
    assert float(age_from_f(f, J_IR998[0], LAMBDA_2018, scale=1.0)[0]) == pytest.approx(
        10.75189100951123e6, rel=1e-15
    )


def test_age_equation_cornudas() -> None:
    """§16.6 (02F) and §16.7 (isochron F → age with σJ)."""
    age, err = age_from_f(
        3.3360797907107442, J_CORNUDAS[0], LAMBDA_2022, f_err=0.003659156285262255
    )
    assert float(age) == pytest.approx(31.843196079528557, rel=RTOL)
    assert float(err) == pytest.approx(0.0346249517424853, rel=RTOL)
    age, err = age_from_f(
        3.394474449529154,
        J_CORNUDAS[0],
        LAMBDA_2022,
        f_err=0.0026513158358093696,
        j_err=J_CORNUDAS[1],
    )
    assert float(age) == pytest.approx(32.39567511439021, rel=RTOL)
    assert float(err) == pytest.approx(0.025772747353628847, rel=RTOL)


def test_mean_j_arithmetic() -> None:
    j = np.array([0.001880, 0.001884, 0.001883, 0.001886])
    e = np.array([1e-6, 2e-6, 1.5e-6, 1e-6])
    m = mean_j(j, e)
    w = 1 / e**2
    value = (w * j).sum() / w.sum()
    sem = w.sum() ** -0.5
    mswd = (w * (j - value) ** 2).sum() / 3
    assert m.value == pytest.approx(value, rel=1e-14)
    assert m.mswd == pytest.approx(mswd, rel=1e-12) and mswd > 1
    assert m.error == pytest.approx(sem * mswd**0.5, rel=1e-12)
    assert m.kind is ErrorKind.MSEM and m.members == (0, 1, 2, 3)
    calm = mean_j([0.00188, 0.0018801], [1e-6, 1e-6])
    assert calm.mswd < 1 and calm.error == calm.sem
    assert mean_j(j, e) == weighted_mean(j, e, kind=ErrorKind.MSEM)
    with pytest.raises(MissingInputError):
        mean_j([0.00188], [0.0])


# --- integrated F -------------------------------------------------------------------------


def test_integrated_step_selection() -> None:
    assert integrated_steps(5, omitted=[1]) == (0, 1, 2, 3, 4)
    assert integrated_steps(5, omitted=[1], selection=StepSelection.VALID) == (0, 2, 3, 4)
    plateau = StepSelection.PLATEAU_ELSE_VALID
    assert integrated_steps(5, omitted=[3], selection=plateau, plateau_members=[2, 3, 4]) == (
        2,
        4,
    )
    assert integrated_steps(5, omitted=[3], selection=plateau) == (0, 1, 2, 4)
    with pytest.raises(MissingInputError):
        integrated_steps(5, selection=StepSelection.PLATEAU)
    with pytest.raises(UsageError):
        integrated_steps(3, omitted=[3])


def test_integrated_f_error_from_components() -> None:
    """σ² = Σᵢ‖(1/K)·g_r,i − (R/K²)·g_k,i‖², checked against the full covariance of the
    stacked (rad40, k39) vector and against finite differences of the inputs."""
    rng = np.random.default_rng(5)
    n, k = 4, 6
    u0 = rng.uniform(1, 2, (n, k))  # per-analysis inputs
    sig = rng.uniform(0.001, 0.01, (n, k))
    a = rng.uniform(0.5, 2, (n, k))
    b = rng.uniform(0.1, 1, (n, k))

    def rk(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (a * u**2).sum(axis=1), (b * u).sum(axis=1)

    r, kk = rk(u0)
    gr, gk = 2 * a * u0 * sig, b * sig  # error components ∂v/∂u·σu
    res = integrated_f(r, kk, gr, gk)
    assert res.value == pytest.approx(r.sum() / kk.sum(), rel=1e-15)
    var = 0.0
    for i in range(n):
        for m in range(k):
            h = 1e-6
            up, um = u0.copy(), u0.copy()
            up[i, m] += h
            um[i, m] -= h
            fp = rk(up)[0].sum() / rk(up)[1].sum()
            fm = rk(um)[0].sum() / rk(um)[1].sum()
            var += ((fp - fm) / (2 * h) * sig[i, m]) ** 2
    assert res.error == pytest.approx(var**0.5, rel=1e-7)
    # ragged rows and a subset of steps
    rows_r = [gr[0], gr[1][:3], gr[2], gr[3]]
    rows_k = [gk[0], gk[1][:3], gk[2], gk[3]]
    sub = integrated_f(r, kk, rows_r, rows_k, steps=[0, 2, 3])
    assert sub.steps == (0, 2, 3)
    assert sub.value == pytest.approx(r[[0, 2, 3]].sum() / kk[[0, 2, 3]].sum(), rel=1e-15)
    # joint: one shared input space — identical to independent rows when blocks are disjoint
    joint_r = np.zeros((n, n * k))
    joint_k = np.zeros((n, n * k))
    for i in range(n):
        joint_r[i, i * k : (i + 1) * k] = gr[i]
        joint_k[i, i * k : (i + 1) * k] = gk[i]
    assert integrated_f(r, kk, joint_r, joint_k, joint=True).error == pytest.approx(
        res.error, rel=1e-13
    )
    with pytest.raises(UsageError):
        integrated_f(r, kk, gr[:3], gk)
    with pytest.raises(MissingInputError):
        integrated_f([1.0], [0.0], [[1.0]], [[1.0]])


@pytest.mark.shared
def test_cornudas_21_integrated_age_value(bundle_bare: Callable[[str], Path]) -> None:
    """§16.7: F = Σrad40/Σk39 of all ten steps → 30.748466276749372 exactly. rad40 per step
    from the IA: %40Ar*/100 · (blank-, IC-corrected 40Ar); k39 = interference-corrected 39Ar.
    The error needs the chain's error components; here only the J part is checked: the
    reference's σ without J (0.052826628547526074) plus σJ gives its σ with J."""
    out = subprocess.run(
        [
            "git",
            "--git-dir",
            str(bundle_bare("Cornudas")),
            "show",
            "c919ed7dbc538568b0964e28896dd3fdbdc235ab:694/ia/21_00000.ia.json",
        ],
        check=True,
        capture_output=True,
    ).stdout
    steps = json.loads(out)["analyses"]
    rad40 = [a["radiogenic_yield"] / 100 * a["ic_corrected_values"]["Ar40"]["value"] for a in steps]
    k39 = [a["interference_corrected_values"]["Ar39"]["value"] for a in steps]
    zeros = np.zeros((10, 1))
    f = integrated_f(rad40, k39, zeros, zeros, steps=integrated_steps(10))
    age, _ = age_from_f(f.value, J_CORNUDAS[0], LAMBDA_2022)
    assert float(age) == 30.748466276749372
    j, lam = J_CORNUDAS[0], LAMBDA_2022
    sigma_f = 0.052826628547526074 * 1e6 * lam * (1 + j * f.value) / j
    _, err = age_from_f(f.value, j, lam, f_err=sigma_f, j_err=J_CORNUDAS[1])
    assert float(err) == pytest.approx(0.053126160956318606, rel=1e-12)


def test_weighted_integrated_f() -> None:
    f = np.array([3.0, 3.2, 3.1])
    fe = np.array([0.1, 0.05, 0.2])
    k39 = np.array([10.0, 30.0, 60.0])
    var = weighted_integrated_f(f, fe, k39, Weighting.VARIANCE)
    w = 1 / fe**2
    assert var.value == pytest.approx((w * f).sum() / w.sum(), rel=1e-15)
    assert var.error == pytest.approx(w.sum() ** -0.5, rel=1e-15)
    vol = weighted_integrated_f(f, fe, k39, Weighting.VOLUME, steps=[1, 2])
    wv = (k39[1:] / k39[1:].sum() * fe[1:]) ** 2
    assert vol.value == pytest.approx((wv * f[1:]).sum() / wv.sum(), rel=1e-15)
    assert vol.error == pytest.approx(wv.sum() ** 0.5, rel=1e-15)  # Pychron's formula
    assert vol.steps == (1, 2)
    assert parse_weighting("---") is Weighting.NONE
    assert parse_weighting("Volume") is Weighting.VOLUME
    with pytest.raises(UsageError):
        weighted_integrated_f(f, fe, k39, Weighting.NONE)
    with pytest.raises(UsageError):
        parse_weighting("Mass")
