"""Batched isotope-evolution regression (reduction-math.md §1–§3) against certified
textbook data, hand-checkable cases, scipy and a one-series-at-a-time reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from ardvc.errors import UsageError
from ardvc.reduce.fitspec import (
    ErrorType,
    FitKind,
    FitSpec,
    FitStatus,
    Truncation,
    UnsupportedFitError,
    parse_error_type,
    parse_truncation,
)
from ardvc.reduce.regression import FitBatch, compat_zero, fit_batch

EPS = np.finfo(np.float64).eps

# --- NIST StRD linear least squares (https://www.itl.nist.gov/div898/strd/lls/lls.shtml):
# Norris.dat and Pontius.dat, data and certified values as published by NIST (transcribed
# in GSL's test suite, gsl/fit/test.c and gsl/multifit/test_pontius.c).
NORRIS_X = np.fromstring(
    """0.2 337.4 118.2 884.6 10.1 226.5 666.3 996.3 448.6 777.0 558.2 0.4 0.6 775.5 666.9
    338.0 447.5 11.6 556.0 228.1 995.8 887.6 120.2 0.3 0.3 556.8 339.1 887.2 999.0 779.0
    11.1 118.3 229.2 669.1 448.9 0.5""",
    sep=" ",
)
NORRIS_Y = np.fromstring(
    """0.1 338.8 118.1 888.0 9.2 228.1 668.5 998.5 449.1 778.9 559.2 0.3 0.1 778.1 668.8
    339.3 448.9 10.8 557.7 228.3 998.0 888.8 119.6 0.3 0.6 557.6 339.3 888.0 998.5 778.9
    10.2 117.6 228.9 668.4 449.2 0.2""",
    sep=" ",
)
NORRIS_B0, NORRIS_SD_B0, NORRIS_RSD = -0.262323073774029, 0.232818234301152, 0.884796396144373
PONTIUS_X = np.array([150000.0 * k for k in range(1, 21)] * 2)
PONTIUS_Y = np.fromstring(
    """.11019 .21956 .32949 .43899 .54803 .65694 .76562 .87487 .98292 1.09146 1.20001 1.30822
    1.41599 1.52399 1.63194 1.73947 1.84646 1.95392 2.06128 2.16844 .11052 .22018 .32939
    .43886 .54798 .65739 .76596 .87474 .98300 1.09150 1.20004 1.30818 1.41613 1.52408
    1.63159 1.73965 1.84696 1.95445 2.06177 2.16829""",
    sep=" ",
)
PONTIUS_B0, PONTIUS_SD_B0, PONTIUS_RSD = (
    0.673565789473684e-3,
    0.107938612033077e-3,
    0.205177424076185e-3,
)


def _intercept_condition(batch: FitBatch, x: np.ndarray, y: np.ndarray) -> float:
    """Σ|cᵢ·yᵢ|/|β₀|: how much rounding of the data the intercept amplifies."""
    u = (x - batch.centre[0]) / batch.scale[0]
    weights = np.polynomial.polynomial.polyval(u, np.nan_to_num(batch.hat0[0]))
    return float(np.sum(np.abs(weights * y)) / abs(batch.value[0]))


@pytest.mark.parametrize(
    ("name", "x", "y", "kind", "b0", "sd_b0", "rsd"),
    [
        ("Norris", NORRIS_X, NORRIS_Y, FitKind.LINEAR, NORRIS_B0, NORRIS_SD_B0, NORRIS_RSD),
        (
            "Pontius",
            PONTIUS_X,
            PONTIUS_Y,
            FitKind.PARABOLIC,
            PONTIUS_B0,
            PONTIUS_SD_B0,
            PONTIUS_RSD,
        ),
    ],
)
def test_nist_certified_values(
    name: str, x: np.ndarray, y: np.ndarray, kind: FitKind, b0: float, sd_b0: float, rsd: float
) -> None:
    """Intercept, its standard error (SEM at x = 0) and the residual SD (SEF) against the
    15-digit certified values. Tolerance: 8·κ·ε + 1e-14, κ = Σ|cᵢyᵢ|/|β₀| the intercept's
    condition number — the best any backward-stable method can promise. Pontius' intercept
    (6.7e-4 under data of ~1) has κ ≈ 2e3, so ~4e-12 there; Norris ~1e-13."""
    xs, ys = x, y
    batch = fit_batch([xs], [ys], FitSpec(kind, ErrorType.SEM))
    assert batch.status[0] == FitStatus.OK and batch.fn[0] == len(x)
    kappa = _intercept_condition(batch, xs, ys)
    tol = 8 * kappa * EPS + 1e-14
    assert abs(batch.value[0] / b0 - 1) <= tol, (name, batch.value[0], kappa)
    assert abs(batch.error[0] / sd_b0 - 1) <= 1e-12
    assert abs(batch.sef[0] / rsd - 1) <= 1e-12


def test_average_by_hand() -> None:
    """[2,4,4,4,5,5,7,9]: s = √(32/7); at 1.8σ the 9 (|9−5| = 4 ≥ 3.85) goes and the rest
    average 31/7 with s = 4/√7, so SEM = 4/7 exactly; SD = s."""
    y = np.array([2, 4, 4, 4, 5, 5, 7, 9], dtype=float)
    t = np.arange(8.0)
    plain = fit_batch([t], [y], FitSpec(FitKind.AVERAGE, ErrorType.SEM))
    assert plain.value[0] == pytest.approx(5.0, rel=1e-15)
    assert plain.error[0] == pytest.approx(np.sqrt(32 / 7) / np.sqrt(8), rel=1e-15)
    spec = FitSpec(FitKind.AVERAGE, ErrorType.SEM, filter_outliers=True, iterations=3, std_devs=1.8)
    filtered = fit_batch([t], [y], spec)
    assert filtered.value[0] == pytest.approx(31 / 7, rel=1e-15)
    assert filtered.error[0] == pytest.approx(4 / 7, rel=1e-15)
    assert (filtered.n[0], filtered.fn[0]) == (8, 7)
    assert filtered.outlier_indices(0) == [7]
    sd = fit_batch([t], [y], FitSpec(FitKind.AVERAGE, ErrorType.SD, True, 3, 1.8))
    assert sd.error[0] == pytest.approx(4 / np.sqrt(7), rel=1e-15)


def test_ci_uses_student_t_and_halves() -> None:
    """CI = t(0.975, n−1)·s_yx·√(1/n + x̄²/Sxx)/2 with s_yx = √(SSR/(n−2)), any degree."""
    rng = np.random.default_rng(3)
    t = np.linspace(15, 140, 25)
    for kind, deg in ((FitKind.LINEAR, 1), (FitKind.PARABOLIC, 2)):
        y = 80 - 0.05 * t + 1e-4 * t**2 + rng.normal(0, 0.1, t.size)
        batch = fit_batch([t], [y], FitSpec(kind, ErrorType.CI))
        resid = y - np.polyval(np.polyfit(t, y, deg), t)
        n = t.size
        syx = np.sqrt(np.sum(resid**2) / (n - 2))
        half = (
            stats.t.ppf(0.975, n - 1)
            * syx
            * np.sqrt(1 / n + t.mean() ** 2 / np.sum((t - t.mean()) ** 2))
            / 2
        )
        assert batch.error[0] == pytest.approx(half, rel=1e-12)
    few = fit_batch([t[:2]], [t[:2]], FitSpec(FitKind.LINEAR, ErrorType.CI))
    assert few.status[0] == FitStatus.TOO_FEW_POINTS


def test_sd_is_prediction_error_and_msem_is_sem() -> None:
    rng = np.random.default_rng(4)
    t = np.linspace(30, 400, 200)
    y = 10 + 0.01 * t + rng.normal(0, 0.05, t.size)
    specs = [FitSpec(FitKind.LINEAR, e) for e in (ErrorType.SEM, ErrorType.SD, ErrorType.MSEM)]
    batch = fit_batch([t] * 3, [y] * 3, specs)
    sem, sd, msem = batch.error
    assert sd**2 == pytest.approx(batch.sef[0] ** 2 + sem**2, rel=1e-13)
    assert msem == sem


def test_constant_zero_data_excludes_everything() -> None:
    """The Lusk01121 L2(CDD) case: s = 0 and 0 ≥ 0 → every point out → 0 ± 0, flagged."""
    t = np.linspace(414, 478, 60)
    batch = fit_batch(
        [t, t], [np.zeros(60), np.full(60, 0.25)], FitSpec(FitKind.AVERAGE, filter_outliers=True)
    )
    assert batch.status[0] == FitStatus.ALL_EXCLUDED and batch.reason(0)
    assert (batch.value[0], batch.error[0], batch.fn[0], batch.n[0]) == (0.0, 0.0, 0, 60)
    assert batch.outliers[0].all()
    assert batch.status[1] == FitStatus.ALL_EXCLUDED  # any constant: s = 0
    unfiltered = fit_batch([t], [np.zeros(60)], FitSpec(FitKind.AVERAGE))
    assert unfiltered.status[0] == FitStatus.OK and unfiltered.value[0] == 0.0


def test_failures_are_per_series_and_flagged() -> None:
    good_t = np.linspace(0, 100, 50)
    good_y = 3 + 0.2 * good_t
    series_t = [
        good_t,
        np.array([1.0, 2.0]),
        np.array([1.0]),
        np.array([]),
        good_t,
        np.full(5, 7.0),
    ]
    bad_y = good_y.copy()
    bad_y[3] = np.nan
    series_y = [good_y, np.array([1.0, 3.0]), np.array([5.0]), np.array([]), bad_y, np.arange(5.0)]
    batch = fit_batch(series_t, series_y, FitSpec(FitKind.LINEAR))
    assert batch.status.tolist() == [
        FitStatus.OK,
        FitStatus.TOO_FEW_POINTS,  # exactly determined: value, but no error
        FitStatus.TOO_FEW_POINTS,
        FitStatus.NO_DATA,
        FitStatus.NONFINITE,
        FitStatus.SINGULAR,  # five points at one time
    ]
    assert batch.value[0] == pytest.approx(3.0, rel=1e-13)
    assert batch.value[1] == pytest.approx(-1.0, rel=1e-13) and np.isnan(batch.error[1])
    assert np.isnan(batch.value[2]) and np.isnan(batch.value[4]) and np.isnan(batch.value[5])
    zeroed = compat_zero(batch)
    assert np.isfinite(zeroed.value).all() and np.isfinite(zeroed.error).all()
    assert zeroed.value[2] == 0.0 and zeroed.error[1] == 0.0


def test_padded_arrays_and_exclusion_forms_agree() -> None:
    rng = np.random.default_rng(5)
    ts = [np.linspace(10, 300, n) for n in (40, 25, 33)]
    ys = [5 + 0.1 * t + rng.normal(0, 0.3, t.size) for t in ts]
    user = [[0, 1], None, [32]]
    padded_t = np.full((3, 40), np.nan)
    padded_y = np.full((3, 40), np.nan)
    mask = np.zeros((3, 40), dtype=bool)
    for i, (t, y) in enumerate(zip(ts, ys, strict=True)):
        padded_t[i, : t.size], padded_y[i, : t.size] = t, y
        mask[i, user[i] or []] = True
    spec = FitSpec(FitKind.PARABOLIC, filter_outliers=True, iterations=2)
    a = fit_batch(ts, ys, spec, user)
    b = fit_batch(padded_t, padded_y, spec, mask)
    np.testing.assert_array_equal(a.value, b.value)
    np.testing.assert_array_equal(a.excluded, b.excluded)
    assert a.excluded_indices(0)[:2] == [0, 1] and 32 in a.excluded_indices(2)
    assert a.n.tolist() == [40, 25, 33]
    with pytest.raises(UsageError):
        fit_batch(ts, ys, spec, [[40], None, None])
    with pytest.raises(UsageError):
        fit_batch(ts, ys, [spec, spec])


def test_truncation_is_parsed_and_excludes_before_fitting() -> None:
    assert parse_truncation("x<5") == Truncation("<", 5.0)
    assert parse_truncation(" 300 <= t ") == Truncation(">=", 300.0)
    assert parse_truncation("n>1e2") == Truncation(">", 100.0)  # any name means x
    assert parse_truncation("30") == Truncation(last_index=30)
    t = np.linspace(0, 99, 100)
    y = 2 + 0.5 * t
    y[80:] = 1000.0  # garbage after 80 s
    spec = FitSpec.parse("linear", truncate="x>=80", time_zero_offset=0.0)
    batch = fit_batch([t], [y], spec)
    assert (batch.n[0], batch.fn[0]) == (100, 80)
    assert batch.value[0] == pytest.approx(2.0, rel=1e-12)
    assert batch.excluded_indices(0) == list(range(80, 100)) and not batch.outliers.any()
    by_index = fit_batch([t], [y], FitSpec(truncate=parse_truncation("79")))
    assert by_index.value[0] == batch.value[0]
    shifted = fit_batch([t], [y], FitSpec(truncate=Truncation("<", 10.0), time_zero_offset=5.0))
    assert shifted.excluded_indices(0) == list(range(15))  # x = t − 5 < 10


def test_weighted_mean_is_linear_and_auto_takes_larger_adjusted_r2() -> None:
    rng = np.random.default_rng(6)
    t = np.linspace(30, 400, 120)
    curved = 50 - 0.05 * t + 2e-4 * t**2 + rng.normal(0, 0.05, t.size)
    batch = fit_batch(
        [t, t], [curved, curved], [FitSpec(FitKind.WEIGHTED_MEAN), FitSpec(FitKind.AUTO)]
    )
    linear = fit_batch([t], [curved], FitSpec(FitKind.LINEAR))
    assert batch.kind_used.tolist() == ["linear", "parabolic"]
    assert batch.value[0] == linear.value[0]
    for y in (curved, 3 + 0.01 * t + rng.normal(0, 0.05, t.size)):
        auto = fit_batch([t], [y], FitSpec(FitKind.AUTO, filter_outliers=True))
        fits = {
            k: fit_batch([t], [y], FitSpec(k, filter_outliers=True))
            for k in (FitKind.LINEAR, FitKind.PARABOLIC)
        }
        expect = (
            "linear"
            if fits[FitKind.LINEAR].rsquared_adj[0] > fits[FitKind.PARABOLIC].rsquared_adj[0]
            else "parabolic"
        )
        assert auto.kind_used[0] == expect
        assert auto.value[0] == fits[FitKind(expect)].value[0]
    at_zero = fit_batch([t], [curved], FitSpec(FitKind.CUBIC)).predict([0.0, 100.0])
    ref = np.polyval(np.polyfit(t, curved, 3), [0.0, 100.0])
    np.testing.assert_allclose(at_zero[0], ref, rtol=1e-10)


def test_exponential_intercept_and_delta_method_error() -> None:
    rng = np.random.default_rng(8)
    t = np.linspace(10, 300, 150)
    y = 50 * np.exp(-0.01 * t) + 20 + rng.normal(0, 0.05, t.size)
    batch = fit_batch([t], [y], FitSpec(FitKind.EXPONENTIAL))
    params, cov = optimize.curve_fit(
        lambda x, a, b, c: a * np.exp(-b * x) + c, t, y, p0=(100, 0.1, -100)
    )
    g = np.array([1.0, 0.0, 1.0])
    assert batch.status[0] == FitStatus.OK and batch.kind_used[0] == "exponential"
    assert batch.value[0] == pytest.approx(params[0] + params[2], rel=1e-8)
    assert batch.error[0] == pytest.approx(np.sqrt(g @ cov @ g), rel=1e-6)


def test_fit_strings() -> None:
    assert FitSpec.parse("linear_SEM") == FitSpec(FitKind.LINEAR, ErrorType.SEM)
    assert FitSpec.parse("Weighted Mean_SD").kind is FitKind.WEIGHTED_MEAN
    assert FitSpec.parse("Parabolic", "SD").error_type is ErrorType.SD
    assert FitSpec.parse("Auto Linear/Parabolic").kind is FitKind.AUTO
    assert FitSpec.parse("Average").kind is FitKind.AVERAGE
    assert parse_error_type(None) is ErrorType.SEM
    assert parse_error_type("") is ErrorType.CI
    assert parse_error_type("SE but if MSWD>1 use SE * sqrt(MSWD)") is ErrorType.MSEM
    assert parse_error_type("SEM, but if MSWD>1 use SEM * sqrt(MSWD)") is ErrorType.MSEM
    assert parse_error_type("MonteCarlo") is ErrorType.SD  # Pychron's fall-through
    assert parse_error_type("SE") is ErrorType.SD
    for bad in ("custom:a*x+b", "Auto N", "spline"):
        with pytest.raises(UnsupportedFitError):
            FitSpec.parse(bad)
    with pytest.raises(UnsupportedFitError):
        parse_error_type("MC")
    for bad in ("x<5 or x>300", "__import__('os')", "x<y", "(x<5)"):
        with pytest.raises(UnsupportedFitError):
            parse_truncation(bad)
    with pytest.raises(UsageError):
        FitSpec(std_devs=0.0)


# --- property: the batch equals one-series-at-a-time fits with numpy.polyfit --------------


def _reference(
    t: np.ndarray, y: np.ndarray, deg: int, spec: FitSpec
) -> tuple[float, float, int, np.ndarray]:
    """§2–§3 written plainly for one series: np.polyfit per iteration, then the final fit."""
    q = deg + 1
    kept = np.ones(t.size, dtype=bool)
    outliers = np.zeros(t.size, dtype=bool)
    for _ in range(spec.filtering_iterations):
        n = int(kept.sum())
        if n <= q:
            break
        coef = np.polyfit(t[kept], y[kept], deg)
        resid = y - np.polyval(coef, t)
        s = np.sqrt(np.sum(resid[kept] ** 2) / (n - q))
        flag = np.abs(resid) >= spec.std_devs * s
        outliers |= flag
        kept &= ~flag
    n = int(kept.sum())
    coef, cov = (
        np.polyfit(t[kept], y[kept], deg, cov="unscaled")
        if deg
        else (np.array([y[kept].mean()]), np.array([[1 / n]]))
    )
    sef = np.sqrt(np.sum((y[kept] - np.polyval(coef, t[kept])) ** 2) / (n - q))
    v = cov[-1, -1]
    if deg == 0:
        error = sef / np.sqrt(n) if spec.error_type is ErrorType.SEM else sef
    else:
        error = sef * np.sqrt(v) if spec.error_type is ErrorType.SEM else np.sqrt(sef**2 * (1 + v))
    return float(coef[-1]), float(error), n, outliers


series_strategy = st.lists(
    st.tuples(
        st.integers(0, 2**32 - 1),  # rng seed
        st.integers(12, 120),  # points
        st.integers(0, 3),  # degree
        st.integers(0, 3),  # iterations
        st.sampled_from([1.5, 2.0, 2.5, 3.0]),
        st.sampled_from([ErrorType.SEM, ErrorType.SD]),
    ),
    min_size=1,
    max_size=8,
)
KINDS = {0: FitKind.AVERAGE, 1: FitKind.LINEAR, 2: FitKind.PARABOLIC, 3: FitKind.CUBIC}


@settings(max_examples=60, deadline=None)
@given(series_strategy)
def test_batch_equals_series_one_at_a_time(
    draws: list[tuple[int, int, int, int, float, ErrorType]],
) -> None:
    ts, ys, specs, degrees = [], [], [], []
    for seed, n, deg, iters, nsigma, etype in draws:
        rng = np.random.default_rng(seed)
        t = np.sort(rng.uniform(10, 400, n))
        y = rng.normal(0, 50) + rng.normal(0, 0.5) * t + rng.normal(0, 1e-3) * t**2
        y = y + rng.normal(0, rng.uniform(0.01, 2), n)
        y[rng.integers(0, n, 2)] += rng.normal(0, 20, 2)  # spikes for the filter
        ts.append(t)
        ys.append(y)
        specs.append(FitSpec(KINDS[deg], etype, iters > 0, max(iters, 1), nsigma))
        degrees.append(deg)
    batch = fit_batch(ts, ys, specs)
    for i, (t, y, spec, deg) in enumerate(zip(ts, ys, specs, degrees, strict=True)):
        value, error, fn, outliers = _reference(t, y, deg, spec)
        assert batch.fn[i] == fn
        np.testing.assert_array_equal(batch.outliers[i, : t.size], outliers)
        if fn > deg + 1:
            assert batch.status[i] == FitStatus.OK
            assert batch.value[i] == pytest.approx(value, rel=1e-9, abs=1e-9 * np.abs(y).max())
            assert batch.error[i] == pytest.approx(error, rel=1e-8)
        else:
            assert batch.status[i] != FitStatus.OK
        single = fit_batch([t], [y], spec)  # blocking and grouping change nothing
        assert single.value[0] == batch.value[i] or (
            np.isnan(single.value[0]) and np.isnan(batch.value[i])
        )
