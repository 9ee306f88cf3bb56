"""Weighted/arithmetic means, MSWD, p-values and error kinds (reduction-math.md §12.1).

Real numbers: per-analysis ages and errors of interpreted-age files, as tabulated in
../shared/data/README.md (IR998 61, Cornudas 21_00000 and 27_00000) or read from the IA files
at the pinned commits; expected group values are the verified ones of reduction-math §15.7,
§16.7 and the README. The reference "computed" MSWDs were derived from recomputed ages that
differ from the stored ones in the last bit; an MSWD amplifies that by |x|/|x − x̄| (~1e2),
hence agreement to ~4e-14 rather than 1e-16 — still inside the 1e-12 tolerance used here.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import chi2

from ardvc.errors import MissingInputError, UsageError
from ardvc.reduce.stats import (
    ErrorKind,
    arithmetic_mean,
    mswd_is_valid,
    mswd_limits,
    mswd_of,
    mswd_pvalue,
    parse_error_kind,
    weighted_mean,
    with_j_error,
)

RTOL = 1e-12

IR998_61_AGES = [
    10.75189100951123,
    10.732218082922458,
    10.695986346587517,
    10.697809937297187,
    10.695835983758167,
    10.696237344375328,
    10.703064373522476,
    10.714990489297875,
    10.752041804116217,
]
IR998_61_ERRS = [
    0.005480068535964898,
    0.002767692634755373,
    0.00467460173087856,
    0.002769071674471316,
    0.0035907486273569133,
    0.004679503639390853,
    0.0026953383404883006,
    0.011110024238417204,
    0.003620698469709862,
]
CORNUDAS_21_AGES = [
    10.256790546470379,
    26.238283246654134,
    29.470975794979076,
    30.66853802872397,
    31.500714954052402,
    31.843196079528557,
    31.97457387500833,
    31.97274901972223,
    31.880467887072246,
    31.8865006223828,
]
CORNUDAS_21_ERRS = [
    1.8277506553563656,
    0.34235552496499533,
    0.19834027709756635,
    0.09989974949998516,
    0.048579220288893554,
    0.034624951742485297,
    0.03429494094223715,
    0.037954541049487325,
    0.052453663886276904,
    0.061794942019893044,
]
CORNUDAS_21_J_REL = 1.8475540724827134e-4
CORNUDAS_27_AGES = [
    1.0340245809009638,
    24.627519660889387,
    29.83750429088586,
    31.37450593432395,
    31.640447237644853,
    31.241150037549605,
    30.92967618191752,
    30.88087329650908,
    30.867948208229503,
    31.011363319070032,
]
CORNUDAS_27_ERRS = [
    5.328120516366207,
    0.8303653466674609,
    0.22271206930713852,
    0.11093497874886339,
    0.07793384729070511,
    0.08604960457271382,
    0.12426476307217206,
    0.16293155820941196,
    0.2087803567729523,
    0.22479562449200005,
]
# NM-322 B position 8 (identifier 69427) in MetaData at 20d8fab7: j ± j_err
CORNUDAS_27_J_REL = 7.884912446569601e-07 / 0.005280337163647272


def test_mswd_pvalue_reference_and_scipy() -> None:
    assert mswd_pvalue(1.0, 10) == pytest.approx(0.440493285, rel=1e-9)
    for m, d in [(1.0, 10), (0.5, 3), (2.56, 4), (38.37, 8), (17.465, 8)]:
        assert mswd_pvalue(m, d) == chi2.sf(m * d, d)
    got = mswd_pvalue(np.array([1.0, 2.0, 0.3]), np.array([10, 4, 0]))
    assert isinstance(got, np.ndarray)
    assert got[:2] == pytest.approx([chi2.sf(10, 10), chi2.sf(8, 4)], rel=1e-15)
    assert np.isnan(got[2])


def test_mswd_limits_against_scipy_and_tables() -> None:
    # χ² table (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.4): ν = 10: 3.247 and 20.483
    low, high = mswd_limits(10)
    assert (low * 10, high * 10) == pytest.approx((3.247, 20.483), abs=5e-4)
    for dof in (1, 2, 5, 8, 30):
        expected = (chi2.ppf(0.025, dof) / dof, chi2.ppf(0.975, dof) / dof)
        assert mswd_limits(dof) == pytest.approx(expected, rel=1e-12)
    assert mswd_is_valid(1.0, 8)
    assert not mswd_is_valid(38.376, 8)
    assert not mswd_is_valid(1.0, 0)
    with pytest.raises(UsageError):
        mswd_limits(0)


def test_ir998_61_weighted_mean_is_plain_sem() -> None:
    w = weighted_mean(IR998_61_AGES, IR998_61_ERRS)
    assert w.value == pytest.approx(10.713837865570948, rel=RTOL)
    assert w.sem == pytest.approx(0.0012079967091340037, rel=RTOL)
    assert w.mswd == pytest.approx(38.376329817662175, rel=RTOL)
    assert w.mswd == pytest.approx(38.37632981766361, rel=1e-15)  # the stored value
    assert (w.dof, w.members, w.dropped, w.kind) == (8, tuple(range(9)), (), ErrorKind.SEM)
    assert w.error == w.sem  # what 61.ia.json stores despite naming the MSEM kind
    assert w.error_as(ErrorKind.MSEM) == pytest.approx(0.007483374334852799, rel=RTOL)
    assert not w.valid_mswd
    assert w.p_value == pytest.approx(chi2.sf(w.mswd * 8, 8), rel=1e-14)


def test_cornudas_21_weighted_mean_msem_with_j() -> None:
    w = weighted_mean(
        CORNUDAS_21_AGES, CORNUDAS_21_ERRS, kind=ErrorKind.MSEM, j_rel_error=CORNUDAS_21_J_REL
    )
    assert w.value == pytest.approx(31.800836539190424, rel=RTOL)
    assert w.sem == pytest.approx(0.016755228721337986, rel=RTOL)
    assert w.mswd == pytest.approx(84.38405461343676, rel=RTOL)
    assert w.error_as(ErrorKind.MSEM) == pytest.approx(0.15391486128111564, rel=RTOL)
    assert w.error == pytest.approx(0.15402696053700476, rel=RTOL)
    # stored: 31.800836539190428 ± 0.15402696053700485
    assert (w.value, w.error) == (31.800836539190428, 0.15402696053700485)


def test_cornudas_27_weighted_mean_reproduces_only_without_01a() -> None:
    w = weighted_mean(
        CORNUDAS_27_AGES,
        CORNUDAS_27_ERRS,
        kind=ErrorKind.MSEM,
        j_rel_error=CORNUDAS_27_J_REL,
        members=range(1, 10),
    )
    assert w.value == pytest.approx(31.22624506932586, rel=RTOL)
    assert w.error == pytest.approx(0.18268669956152753, rel=RTOL)
    assert w.members == tuple(range(1, 10))
    everything = weighted_mean(CORNUDAS_27_AGES, CORNUDAS_27_ERRS)
    assert everything.value != pytest.approx(31.22624506932586, rel=1e-6)


def test_error_kinds_and_j_error() -> None:
    assert parse_error_kind("SEM, but if MSWD>1 use SEM * sqrt(MSWD)") is ErrorKind.MSEM
    assert parse_error_kind("SE but if MSWD>1 use SE * sqrt(MSWD)") is ErrorKind.MSE
    assert parse_error_kind("msem") is ErrorKind.MSEM
    assert parse_error_kind("SD") is ErrorKind.SD
    with pytest.raises(UsageError):
        parse_error_kind("2σ")
    # ×√MSWD only when MSWD > 1
    under = weighted_mean([1.0, 1.01], [0.1, 0.1], kind=ErrorKind.MSE)
    assert under.mswd < 1 and under.error == under.sem
    over = weighted_mean([1.0, 2.0], [0.1, 0.1], kind=ErrorKind.MSE)
    assert over.error == pytest.approx(over.sem * over.mswd**0.5, rel=1e-15)
    assert with_j_error(10.0, 0.03, 0.004) == pytest.approx(10 * (0.003**2 + 0.004**2) ** 0.5)
    assert with_j_error(0.0, 0.03, 0.004) == 0.03


def test_sd_and_single_value() -> None:
    w = weighted_mean([5.0, 6.0, 8.0], [1.0, 1.0, 2.0], kind=ErrorKind.SD)
    expected = (((w.value - np.array([5.0, 6.0, 8.0])) ** 2).sum() / 2) ** 0.5
    assert w.error == pytest.approx(expected, rel=1e-15)
    one = weighted_mean([3.0], [0.2], kind=ErrorKind.SD)
    assert (one.value, one.error, one.sem, one.mswd, one.dof) == (3.0, 0.2, 0.2, 0.0, 0)
    assert not one.valid_mswd and np.isnan(one.p_value)


def test_zero_errors_are_dropped_and_recorded() -> None:
    w = weighted_mean([1.0, 50.0, 2.0], [0.5, 0.0, 0.5])
    assert w.value == 1.5 and w.members == (0, 2) and w.dropped == (1,)
    assert w.dof == 1
    with pytest.raises(MissingInputError):
        weighted_mean([1.0, 2.0], [0.0, 0.0])


def test_bad_input_is_a_typed_error() -> None:
    with pytest.raises(UsageError):
        weighted_mean([1.0, 2.0], [0.1])
    with pytest.raises(UsageError):
        weighted_mean([1.0, np.nan], [0.1, 0.1])
    with pytest.raises(UsageError):
        weighted_mean([1.0, 2.0], [0.1, -0.1])
    with pytest.raises(UsageError):
        weighted_mean([1.0, 2.0], [0.1, 0.1], members=[0, 2])


def test_mswd_of_and_arithmetic_mean() -> None:
    assert mswd_of([1.0], [0.1]) == 0.0
    assert mswd_of([1.0, 3.0], [1.0, 1.0]) == pytest.approx(2.0)
    a = arithmetic_mean([1.0, 2.0, 6.0])
    assert (a.value, a.n) == (3.0, 3)
    assert a.sd == pytest.approx(np.std([1.0, 2.0, 6.0], ddof=1), rel=1e-15)
    assert a.sem == pytest.approx(a.sd / 3**0.5, rel=1e-15)
    assert arithmetic_mean([4.0, 9.0], members=[1]).sd == 0.0
    with pytest.raises(MissingInputError):
        arithmetic_mean([1.0], members=[])


def _ia(bare: Path, commit: str, path: str) -> dict[str, object]:
    out = subprocess.run(
        ["git", "--git-dir", str(bare), "show", f"{commit}:{path}"],
        check=True,
        capture_output=True,
    ).stdout
    data: dict[str, object] = json.loads(out)
    return data


@pytest.mark.shared
@pytest.mark.parametrize(
    ("name", "commit", "value", "error", "kind"),
    [
        ("61_00000", "9db6040f", 10.72281379602077, 0.0023815679484807148, ErrorKind.SEM),
        ("61_00001", "5888aef3", 10.711066368628426, 0.0058854134605450074, ErrorKind.MSEM),
        ("61_00002", "b08a4db6", 10.711066368628426, 0.0058854134605450074, ErrorKind.MSEM),
        ("61_00003", "f86de08f", 10.727505279828943, 0.007080155418086362, ErrorKind.MSEM),
        ("63_00001", "8ba12982", 15.262715652466806, 0.012571955933507857, ErrorKind.SEM),
        ("67", "8002fdd7", 24.7501227721075, 0.059048521323748576, ErrorKind.SEM),
    ],
)
def test_ir998_weighted_means_from_ia_files(
    bundle_bare: Callable[[str], Path],
    name: str,
    commit: str,
    value: float,
    error: float,
    kind: ErrorKind,
) -> None:
    """README §1: the stored weighted ages of the other IR998 IA files, over their `ok`
    analyses, with the error kind each actually applied (no J error in any of them)."""
    ia = _ia(bundle_bare("IR998"), commit, f"657/ia/{name}.ia.json")
    analyses = ia["analyses"]
    assert isinstance(analyses, list)
    ok = [i for i, a in enumerate(analyses) if a["tag"] == "ok"]
    ages = [a["age"] for a in analyses]
    errs = [a["age_err"] for a in analyses]
    w = weighted_mean(ages, errs, kind=kind, members=ok)
    assert w.value == pytest.approx(value, rel=RTOL)
    assert w.error == pytest.approx(error, rel=RTOL)
    assert w.mswd == pytest.approx(ia["mswd"], rel=RTOL)
    assert w.n == (13 if name == "67" else len(analyses))
