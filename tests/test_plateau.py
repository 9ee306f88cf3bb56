"""Plateau search and plateau ages (reduction-math.md §12.2, §15.7, §16.7).

The searches start from the step ages/errors (J excluded) and each step's 39Ar_K and must
find the stored plateau on their own. 39Ar_K: Cornudas IA files store it per step
(``interference_corrected_values.Ar39``). The 2018 IR998 IA files do not; there the
signal is (Ar39 intercept − baseline − blank)·IC factor from the analysis' own files at the
IA commit — k39 without the 39Ar decay factor and the ca39 correction (both < 0.1 % and
nearly uniform over one heating schedule), close enough for the ≥ 50 % criterion: it gives
the 60.73 % of 39Ar_K that reduction-math §15.7 states for 65761-07…12.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import chi2

from ardvc.errors import MissingInputError, UsageError
from ardvc.reduce.plateau import (
    PlateauCriteria,
    PlateauMethod,
    find_plateau_steps,
    plateau,
)
from ardvc.reduce.stats import ErrorKind, weighted_mean
from test_stats import (
    CORNUDAS_21_AGES,
    CORNUDAS_21_ERRS,
    IR998_61_AGES,
    IR998_61_ERRS,
)

RTOL = 1e-12
STRICT = PlateauCriteria(pychron_compat=False)


def _show(bare: Path, commit: str, path: str) -> Any:
    out = subprocess.run(
        ["git", "--git-dir", str(bare), "show", f"{commit}:{path}"],
        check=True,
        capture_output=True,
    ).stdout
    return json.loads(out)


def _ir998_signal(bare: Path, commit: str, run: str) -> float:
    """(Ar39 intercept − baseline − blank)·IC of ``657/<run>`` at ``commit``."""
    detector = _show(bare, commit, f"657/{run}.json")["isotopes"]["Ar39"]["detector"]
    intercept = _show(bare, commit, f"657/intercepts/{run}.inte.json")["Ar39"]["value"]
    baseline = _show(bare, commit, f"657/baselines/{run}.base.json")[detector]["value"]
    blank = _show(bare, commit, f"657/blanks/{run}.blan.json")["Ar39"]["value"]
    ic = _show(bare, commit, f"657/icfactors/{run}.icfa.json")[detector]["value"]
    return float((intercept - baseline - blank) * ic)


@pytest.mark.shared
def test_ir998_61_plateau_found_from_steps(bundle_bare: Callable[[str], Path]) -> None:
    commit = "6a4cdd742592f1cb382cff3c68719fd9c433f52a"
    bare = bundle_bare("IR998")
    signals = [_ir998_signal(bare, commit, f"61-{i:02d}") for i in range(5, 14)]
    p = plateau(IR998_61_AGES, IR998_61_ERRS, signals)
    assert p is not None
    assert (p.start, p.end) == (2, 7)  # 65761-07 … 12
    assert p.value == pytest.approx(10.699054658095516, rel=RTOL)
    assert p.sem == pytest.approx(0.0014988025149511221, rel=RTOL)
    assert p.error(ErrorKind.SEM) == pytest.approx(0.0014988025149511221, rel=RTOL)
    assert p.mswd == pytest.approx(1.2138715471143242, rel=RTOL)
    assert p.dof == 5 and p.valid_mswd
    assert p.gas_fraction == pytest.approx(60.73, abs=0.01)
    stored = _show(bare, commit, "657/ia/61.ia.json")
    assert list(p.mask) == [a["plateau_step"] for a in stored["analyses"]]


@pytest.mark.shared
@pytest.mark.parametrize(
    ("commit", "name", "value", "msem", "mswd"),
    [
        ("c919ed7d", "21_00000", 31.9186066808603, 0.029193285068718714, 2.560026820696966),
        ("e4254bcc", "27_00000", 31.073950163494114, 0.08222943157683077, 1.894703014628027),
    ],
)
def test_cornudas_plateaus_f_to_j(
    bundle_bare: Callable[[str], Path],
    commit: str,
    name: str,
    value: float,
    msem: float,
    mswd: float,
) -> None:
    ia = _show(bundle_bare("Cornudas"), commit, f"694/ia/{name}.ia.json")
    steps = ia["analyses"]
    ages = [a["age"] for a in steps]
    errs = [a["age_err"] for a in steps]
    k39 = [a["interference_corrected_values"]["Ar39"]["value"] for a in steps]
    for criteria in (PlateauCriteria(), STRICT):
        p = plateau(ages, errs, k39, criteria=criteria)
        assert p is not None
        assert (p.start, p.end, p.members) == (5, 9, (5, 6, 7, 8, 9))
        assert p.value == pytest.approx(value, rel=RTOL)
        assert p.mswd == pytest.approx(mswd, rel=RTOL)
        assert p.error(ErrorKind.MSEM) == pytest.approx(msem, rel=RTOL)
        assert list(p.mask) == [a["plateau_step"] for a in steps]
    stored = ia["preferred"]["ages"]
    assert p.error(ErrorKind.MSEM) == pytest.approx(stored["plateau_age_err"], rel=RTOL)
    if name == "21_00000":
        assert p.sem == pytest.approx(0.018245707589567856, rel=RTOL)
        assert p.gas_fraction == pytest.approx(68.43, abs=0.01)


def test_cornudas_21_plateau_from_tabulated_steps() -> None:
    """Without the bundle: any signals that give F–J more than half of the gas."""
    k39 = [1.0, 1.0, 1.0, 1.0, 0.63] + [1.0] * 5
    p = plateau(CORNUDAS_21_AGES, CORNUDAS_21_ERRS, k39)
    assert p is not None and (p.start, p.end) == (5, 9)
    assert p.value == pytest.approx(31.9186066808603, rel=RTOL)


@pytest.mark.shared
def test_ir998_73_plateau_of_the_four_ok_steps(bundle_bare: Callable[[str], Path]) -> None:
    """Nine omitted steps in front: the plateau is the 4 `ok` steps (README §1)."""
    commit = "928b0a0858e0df9d8b9b079387beccad22b5a1e4"
    bare = bundle_bare("IR998")
    ia = _show(bare, commit, "657/ia/73.ia.json")
    runs = [a["record_id"].removeprefix("657") for a in ia["analyses"]]
    omitted = [i for i, a in enumerate(ia["analyses"]) if a["tag"] != "ok"]
    signals = [_ir998_signal(bare, commit, run) for run in runs]
    ages = [a["age"] for a in ia["analyses"]]
    errs = [a["age_err"] for a in ia["analyses"]]
    for criteria in (PlateauCriteria(), STRICT):
        p = plateau(ages, errs, signals, excluded=omitted, criteria=criteria)
        assert p is not None and (p.start, p.end) == (9, 12)
        assert p.value == pytest.approx(24.42004222974433, rel=RTOL)
        assert p.sem == pytest.approx(0.04190165081730321, rel=RTOL)
        assert p.gas_fraction == pytest.approx(100.0, rel=1e-12)


def test_fewer_steps_than_nsteps_is_no_plateau() -> None:
    assert plateau([10.0, 10.0], [0.1, 0.1], [1.0, 1.0]) is None
    assert plateau([], [], []) is None
    assert find_plateau_steps([10.0], [0.1], [1.0]) is None
    assert find_plateau_steps([10.0] * 3, [0.1] * 3, [1.0] * 3, excluded=[0, 1, 2]) is None
    # three steps qualify with nsteps=3 but not with nsteps=4
    three = ([10.0, 10.01, 10.02], [0.1, 0.1, 0.1], [1.0, 1.0, 1.0])
    assert find_plateau_steps(*three) == (0, 2)
    assert find_plateau_steps(*three, criteria=PlateauCriteria(nsteps=4)) is None


def test_gas_fraction_and_overlap_criteria() -> None:
    ages = [5.0, 10.0, 10.02, 10.01, 15.0]
    errs = [0.1] * 5
    assert find_plateau_steps(ages, errs, [1.0, 1.0, 1.0, 1.0, 1.0]) == (1, 3)  # 60 %
    assert find_plateau_steps(ages, errs, [1.0, 1.0, 1.0, 1.0, 3.0]) is None  # 3/7 < 50 %
    strict = PlateauCriteria(gas_fraction=70)
    assert find_plateau_steps(ages, errs, [1.0] * 5, criteria=strict) is None
    # at 1σ steps 10.0 and 10.25 no longer overlap
    ages2 = [10.0, 10.1, 10.25, 10.15]
    assert find_plateau_steps(ages2, [0.07] * 4, [1.0] * 4) == (0, 3)
    assert (
        find_plateau_steps(ages2, [0.07] * 4, [1.0] * 4, criteria=PlateauCriteria(overlap_sigma=1))
        is None
    )


def test_longest_span_wins_and_ties_keep_the_first() -> None:
    ages = [10.0, 10.0, 10.0, 20.0, 20.0, 20.0, 20.0]
    assert find_plateau_steps(ages, [0.1] * 7, [1.0] * 7) == (3, 6)
    assert find_plateau_steps(
        ages[:6], [0.1] * 6, [1.0] * 6, criteria=PlateauCriteria(gas_fraction=40)
    ) == (0, 2)


def test_pychron_compat_quirks() -> None:
    """An omitted outlier inside the range: Pychron's overlap test still sees it, and its
    plateau mean includes it while the MSWD does not."""
    ages = [10.0, 10.02, 12.0, 10.01, 10.03, 10.0]
    errs = [0.05] * 6
    sig = [1.0] * 6
    # compat: the omitted 12.0 breaks every range across it → the longest is 3..5
    assert find_plateau_steps(ages, errs, sig, excluded=[2]) == (3, 5)
    # strict: the omitted step is ignored → 0..5, members skip it
    p = plateau(ages, errs, sig, excluded=[2], criteria=STRICT)
    assert p is not None and (p.start, p.end, p.members) == (0, 5, (0, 1, 3, 4, 5))
    # compat with the outlier's error large enough to overlap: mean over the whole range
    errs2 = [0.05, 0.05, 1.0, 0.05, 0.05, 0.05]
    c = plateau(ages, errs2, sig, excluded=[2])
    assert c is not None and (c.start, c.end, c.members) == (0, 5, (0, 1, 3, 4, 5))
    assert c.mean_indices == (0, 1, 2, 3, 4, 5)
    whole = weighted_mean(ages, errs2)
    members = weighted_mean(ages, errs2, members=c.members)
    assert (c.value, c.sem) == (whole.value, whole.sem)
    assert c.mswd == members.mswd and c.dof == 4
    s = plateau(ages, errs2, sig, excluded=[2], criteria=STRICT)
    assert s is not None and (s.value, s.sem, s.mswd) == (members.value, members.sem, members.mswd)


def test_omitted_steps_do_not_count_in_gas_fraction_or_as_ends() -> None:
    ages = [10.0, 10.0, 10.0, 10.0]
    sig = [1.0, 1.0, 1.0, 10.0]
    assert find_plateau_steps(ages, [0.1] * 4, sig) == (0, 3)
    assert find_plateau_steps(ages, [0.1] * 4, sig, excluded=[3]) == (0, 2)
    assert find_plateau_steps(ages, [0.1] * 4, sig, excluded=[0]) == (1, 3)


def test_fixed_steps() -> None:
    ages = [5.0, 10.0, 20.0, 30.0]
    c = PlateauCriteria(fixed_steps=(2, 1))
    p = plateau(ages, [0.1] * 4, [1.0] * 4, criteria=c)
    assert p is not None and (p.start, p.end, p.fixed) == (1, 2, True)
    assert p.gas_fraction == 50.0
    clamp = PlateauCriteria(fixed_steps=(1, 99))
    assert find_plateau_steps(ages, [0.1] * 4, [1.0] * 4, criteria=clamp) == (1, 3)
    for one in ((2, 2), (3, 5)):
        single = PlateauCriteria(fixed_steps=one)
        assert plateau(ages, [0.1] * 4, [1.0] * 4, criteria=single) is None
    with pytest.raises(UsageError):
        find_plateau_steps(
            ages, [0.1] * 4, [1.0] * 4, criteria=PlateauCriteria(fixed_steps=(-1, 2))
        )


def test_mahon_method_uses_mswd_validity() -> None:
    rng = np.random.default_rng(7)
    ages = list(10 + rng.normal(0, 0.05, 6))
    errs = [0.05] * 6
    mahon = PlateauCriteria(method=PlateauMethod.MAHON)
    assert find_plateau_steps(ages, errs, [1.0] * 6, criteria=mahon) == (0, 5)
    # alternating steps 1.9σ apart all overlap at 2σ (Fleck) but scatter too much (Mahon)
    alternating = [10.0, 10.19] * 4
    assert find_plateau_steps(alternating, [0.05] * 8, [1.0] * 8) == (0, 7)
    assert find_plateau_steps(alternating, [0.05] * 8, [1.0] * 8, criteria=mahon) is None
    # and identical ages scatter too little: MSWD 0 is below the 95 % interval
    assert find_plateau_steps([10.0] * 4, [0.05] * 4, [1.0] * 4, criteria=mahon) is None


def test_plateau_error_kinds() -> None:
    ages = [10.0, 10.1, 10.05, 10.2]
    errs = [0.05, 0.05, 0.05, 0.1]
    p = plateau(ages, errs, [1.0] * 4)
    assert p is not None
    assert p.error(ErrorKind.SD) == pytest.approx(np.std(ages), rel=1e-15)
    scaled = p.sem * p.mswd**0.5 if p.mswd > 1 else p.sem
    assert p.error(ErrorKind.MSEM) == pytest.approx(scaled, rel=1e-15)
    assert p.error(ErrorKind.SEM, j_rel_error=1e-3) > p.sem
    assert p.p_value == pytest.approx(chi2.sf(p.mswd * p.dof, p.dof), rel=1e-14)


def test_bad_inputs() -> None:
    with pytest.raises(UsageError):
        plateau([1.0, 2.0, 3.0], [0.1] * 3, [1.0, 1.0])
    with pytest.raises(UsageError):
        plateau([1.0, 2.0, 3.0], [0.1] * 3, [1.0] * 3, excluded=[3])
    with pytest.raises(MissingInputError):
        plateau([1.0, 1.0, 1.0], [0.1] * 3, [0.0] * 3)
    with pytest.raises(UsageError):
        PlateauCriteria(gas_fraction=150)
