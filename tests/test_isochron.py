"""York regression and the inverse isochron (reduction-math.md §12.4, §16.7).

Textbook fixture: Pearson's (1901) data with York's (1966) weights. Published values:
slope −0.48053340745, intercept 5.47991022403 (Williamson's method, as tabulated in the
Kapteyn ``kmpfit`` documentation after Ogren & Norton, J. Chem. Educ. 69:A130, 1992;
"exact" 5.47991022 / −0.480533407 of Neri et al., J. Phys. E 22:215, 1989); York et al.
(2004) standard errors σa = 0.294970735, σb = 0.0579850090 and χ²/ν = 1.483294149 (the
test suite of the R package bfsl, pasturm/bfsl tests/testthat/test-bfsl.R, which
implements York et al. 2004); exact first-order errors σa = 0.29193, σb = 0.057617
(Kalantar, Meas. Sci. Technol. 3:1113, 1992, as cited by NPL's GTC tests). The York et al.
(2004) paper itself was not available to check digits against.

Tolerances: Pychron stops iterating when successive slopes differ by < 1e-10, which leaves
the Pearson slope ~2e-12 from the fully converged value; published values have 9–11
significant digits, so they are compared at 1e-10 (slope/intercept) or their last digit.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ardvc.errors import MissingInputError, UsageError
from ardvc.reduce.isochron import (
    YorkErrors,
    error_correlation,
    inverse_isochron,
    york_fit,
)
from ardvc.reduce.stats import ErrorKind

PY_X = np.array([0.0, 0.9, 1.8, 2.6, 3.3, 4.4, 5.2, 6.1, 6.5, 7.4])
PY_Y = np.array([5.9, 5.4, 4.4, 4.6, 3.5, 3.7, 2.8, 2.8, 2.4, 1.5])
PY_WX = np.array([1000.0, 1000.0, 500.0, 800.0, 200.0, 80.0, 60.0, 20.0, 1.8, 1.0])
PY_WY = np.array([1.0, 1.8, 4.0, 8.0, 20.0, 20.0, 70.0, 70.0, 100.0, 500.0])
PY_SX, PY_SY = PY_WX**-0.5, PY_WY**-0.5


@pytest.mark.parametrize("errors", list(YorkErrors))
def test_pearson_york_line(errors: YorkErrors) -> None:
    fit = york_fit(PY_X, PY_SX, PY_Y, PY_SY, errors=errors)
    assert fit.converged and fit.iterations < 500
    assert fit.slope == pytest.approx(-0.48053340745, rel=1e-10)
    assert fit.intercept == pytest.approx(5.47991022403, rel=1e-10)
    assert fit.mswd == pytest.approx(1.483294149, rel=1e-9)
    assert (fit.dof, fit.n) == (8, 10)


def test_pearson_york_errors_york_2004() -> None:
    fit = york_fit(PY_X, PY_SX, PY_Y, PY_SY, errors=YorkErrors.YORK_2004)
    assert fit.intercept_err == pytest.approx(0.294970735, rel=2e-9)
    assert fit.slope_err == pytest.approx(0.0579850090, rel=2e-9)


def test_pearson_york_errors_york_1969() -> None:
    fit = york_fit(PY_X, PY_SX, PY_Y, PY_SY, errors=YorkErrors.YORK)
    w = 1 / (PY_SY**2 + fit.slope**2 * PY_SX**2)
    xbar = (w * PY_X).sum() / w.sum()
    var_b = 1 / (w * (PY_X - xbar) ** 2).sum()
    assert fit.slope_err == pytest.approx(var_b**0.5, rel=1e-12)
    assert fit.intercept_err == pytest.approx((var_b * (w * PY_X**2).sum() / w.sum()) ** 0.5)
    assert fit.cov == pytest.approx(-xbar * var_b, rel=1e-12)


def _mahon_loops(x: Any, sx: Any, y: Any, sy: Any, r: Any, b: float) -> tuple[float, float]:
    """Direct transcription of the double loop of LLNL MahonFitting ``calcunc`` (and of
    Pychron's pre-vectorised NewYorkRegressor)."""
    n = len(x)
    w = [1 / (sy[i] ** 2 + b**2 * sx[i] ** 2 - 2 * b * r[i] * sx[i] * sy[i]) for i in range(n)]
    wsum = sum(w)
    xbar = sum(w[i] * x[i] for i in range(n)) / wsum
    ybar = sum(w[i] * y[i] for i in range(n)) / wsum
    u = [x[i] - xbar for i in range(n)]
    v = [y[i] - ybar for i in range(n)]
    sxy = [r[i] * sx[i] * sy[i] for i in range(n)]
    s1 = s2 = 0.0
    for i in range(n):
        s1 += w[i] ** 2 * (
            2 * b * (u[i] * v[i] * sx[i] ** 2 - u[i] ** 2 * sxy[i])
            + (u[i] ** 2 * sy[i] ** 2 - v[i] ** 2 * sx[i] ** 2)
        )
        s2 += (
            w[i] ** 3
            * (sxy[i] - b * sx[i] ** 2)
            * (
                b**2 * (u[i] * v[i] * sx[i] ** 2 - u[i] ** 2 * sxy[i])
                + b * (u[i] ** 2 * sy[i] ** 2 - v[i] ** 2 * sx[i] ** 2)
                - (u[i] * v[i] * sy[i] ** 2 - v[i] ** 2 * sxy[i])
            )
        )
    dthdb = s1 + 4 * s2
    var_a = var_b = 0.0
    for i in range(n):
        dx = dy = 0.0
        for j in range(n):
            k = w[j] ** 2 * ((i == j) - w[i] / wsum)
            dx += k * (
                b**2 * (v[j] * sx[j] ** 2 - 2 * u[j] * sxy[j])
                + 2 * b * u[j] * sy[j] ** 2
                - v[j] * sy[j] ** 2
            )
            dy += k * (
                b**2 * u[j] * sx[j] ** 2
                + 2 * v[j] * sxy[j]
                - 2 * b * v[j] * sx[j] ** 2
                - u[j] * sy[j] ** 2
            )
        da_dx = -b * w[i] / wsum - xbar * dx / dthdb
        da_dy = w[i] / wsum - xbar * dy / dthdb
        var_b += dx**2 * sx[i] ** 2 + dy**2 * sy[i] ** 2 + 2 * sxy[i] * dx * dy
        var_a += da_dx**2 * sx[i] ** 2 + da_dy**2 * sy[i] ** 2 + 2 * sxy[i] * da_dx * da_dy
    return var_a**0.5, (var_b / dthdb**2) ** 0.5


def test_new_york_errors_equal_the_reference_loops() -> None:
    rng = np.random.default_rng(3)
    rho = rng.uniform(-0.6, 0.9, PY_X.size)
    for r in (np.zeros(PY_X.size), rho):
        fit = york_fit(PY_X, PY_SX, PY_Y, PY_SY, r, errors=YorkErrors.NEW_YORK)
        sa, sb = _mahon_loops(PY_X, PY_SX, PY_Y, PY_SY, r, fit.slope)
        assert fit.intercept_err == pytest.approx(sa, rel=1e-12)
        assert fit.slope_err == pytest.approx(sb, rel=1e-12)


def test_new_york_is_not_exact_first_order_propagation() -> None:
    """Pinned on purpose: Pychron's (and MahonFitting's) Mahon errors neglect the centroid's
    dependence on b in ∂θ/∂b and carry the opposite sign on x̄·∂b/∂xᵢ in ∂a/∂xᵢ, so on
    Pearson–York they differ from the exact first-order errors (Kalantar 1992: 0.29193,
    0.057617) — by 0.03 % in σb and 0.9 % in σa. Stored isochrons use these values."""
    fit = york_fit(PY_X, PY_SX, PY_Y, PY_SY, errors=YorkErrors.NEW_YORK)
    assert fit.slope_err == pytest.approx(0.0576000941527, rel=1e-9)
    assert fit.intercept_err == pytest.approx(0.2944536807943, rel=1e-9)
    assert fit.slope_err == pytest.approx(0.057617, rel=5e-4)
    assert fit.intercept_err != pytest.approx(0.29193, rel=5e-3)


def test_swapping_axes_gives_the_same_line() -> None:
    rng = np.random.default_rng(11)
    rho = rng.uniform(-0.5, 0.5, PY_X.size)
    fit = york_fit(PY_X, PY_SX, PY_Y, PY_SY, rho)
    swapped = york_fit(PY_Y, PY_SY, PY_X, PY_SX, rho)
    assert swapped.slope == pytest.approx(1 / fit.slope, rel=1e-9)
    assert swapped.intercept == pytest.approx(fit.x_intercept, rel=1e-9)
    assert swapped.mswd == pytest.approx(fit.mswd, rel=1e-9)


def test_excluded_points_and_error_kind() -> None:
    y = PY_Y.copy()
    y[4] = 40.0
    fit = york_fit(PY_X, PY_SX, y, PY_SY, excluded=[4])
    assert 4 not in fit.members and fit.n == 9 and fit.dof == 7
    assert fit.scaled(1.0, ErrorKind.SE) == 1.0
    assert fit.scaled(1.0, ErrorKind.MSE) == pytest.approx(fit.mswd**0.5)
    good = york_fit(PY_X, PY_SX, PY_Y, PY_SY)
    assert good.scaled(2.0, ErrorKind.MSE) == pytest.approx(2.0 * good.mswd**0.5)


def test_bad_points() -> None:
    with pytest.raises(MissingInputError):
        york_fit([1.0], [0.1], [2.0], [0.1])
    with pytest.raises(MissingInputError):
        york_fit([1.0, 2.0, 3.0], [0.1] * 3, [2.0, 3.0, 4.0], [0.1] * 3, excluded=[0, 1])
    with pytest.raises(UsageError):
        york_fit([1.0, 2.0], [0.1], [2.0, 3.0], [0.1, 0.1])
    with pytest.raises(UsageError):
        york_fit([1.0, 2.0], [0.1, 0.1], [2.0, 3.0], [0.1, 0.1], [0.0, 1.5])
    with pytest.raises(UsageError):
        york_fit([1.0, 2.0], [0.0, 0.0], [2.0, 3.0], [0.0, 0.0])
    two = york_fit([1.0, 2.0], [0.1, 0.1], [2.0, 3.0], [0.1, 0.1])
    assert two.slope == pytest.approx(1.0) and two.mswd == 0.0 and two.dof == 0


def test_error_correlation_formula() -> None:
    rho = error_correlation([0.01, 0.02], [0.0, 0.02], [0.0, 0.04])
    assert rho == pytest.approx([1.0, (2 * 5) ** -0.5], rel=1e-15)


K4039_NM322 = 0.00844  # NM-322_PR (reduction-math §16.4)


def _cornudas_points(ia: dict[str, Any]) -> tuple[Any, ...]:
    """Inverse-isochron points from the IA's stored (value, σ) of 40Ar − 40Ar_K, 39Ar_K
    and 36Ar_atm. The only covariance rebuilt is cov(39Ar_K, 40Ar − 40Ar_K) = −K4039·σ²(k39);
    smaller ones (through 37Ar and the production ratios) are not recoverable from the IA."""

    def get(a: dict[str, Any], iso: str) -> tuple[float, float]:
        v = a["interference_corrected_values"][iso]
        return v["value"], v["error"]

    steps = ia["analyses"]
    a40 = np.array([get(a, "Ar40") for a in steps])
    k39 = np.array([get(a, "Ar39") for a in steps])
    a36 = np.array([get(a, "Ar36") for a in steps])
    f40, f39, f36 = a40[:, 1] / a40[:, 0], k39[:, 1] / k39[:, 0], a36[:, 1] / a36[:, 0]
    x, y = k39[:, 0] / a40[:, 0], a36[:, 0] / a40[:, 0]
    cov = -K4039_NM322 * k39[:, 1] ** 2
    sx = x * np.sqrt(f39**2 + f40**2 - 2 * cov / (k39[:, 0] * a40[:, 0]))
    sy = y * np.sqrt(f36**2 + f40**2)
    return x, sx, y, sy, error_correlation(f40, f36, f39)


@pytest.mark.shared
def test_cornudas_21_inverse_isochron(bundle_bare: Callable[[str], Path]) -> None:
    """reduction-math §16.7. Value-like results agree to ≤ 5e-11; errors and MSWD to
    ~3e-8, the size of the covariances the IA file cannot give back (the per-analysis
    chain reproduces them exactly)."""
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
    x, sx, y, sy, rho = _cornudas_points(json.loads(out))
    # the York point of 02F, as far as the reference prints it
    assert x[5] == pytest.approx(0.242504542966, rel=1e-11)
    assert sx[5] == pytest.approx(7.26014e-05, rel=1e-5)
    assert y[5] == pytest.approx(0.000646313012027, rel=1e-11)
    assert sy[5] == pytest.approx(2.6678e-06, rel=1e-4)
    assert rho[5] == pytest.approx(0.00723531, rel=1e-6)

    iso = inverse_isochron(x, sx, y, sy, rho)
    assert iso.x_intercept == pytest.approx(0.294596413927555, rel=1e-11)
    assert iso.swapped.slope == pytest.approx(-81.60001120536496, rel=1e-10)
    assert iso.f == pytest.approx(3.394474449529154, rel=1e-11)
    assert iso.trapped_4036 == pytest.approx(276.989153117905, rel=1e-10)
    assert iso.x_intercept_err == pytest.approx(0.00023009987231664683, rel=3e-8)
    assert iso.f_err == pytest.approx(0.0026513158358093696, rel=3e-8)
    assert iso.mswd == pytest.approx(17.46522211015569, rel=1e-7)
    assert iso.swapped.mswd == pytest.approx(iso.mswd, rel=1e-9)
    assert iso.members == tuple(range(10))
    assert iso.fit.errors is YorkErrors.NEW_YORK


def test_reciprocals_of_the_intercepts() -> None:
    """F = 1/x-intercept of the swapped fit, trapped 40/36 = 1/y-intercept of the fit,
    errors to first order (as ``1/ufloat`` gives them)."""
    rho = np.zeros(PY_X.size)
    iso = inverse_isochron(PY_X, PY_SX, PY_Y, PY_SY, rho)
    assert iso.f == 1 / iso.swapped.intercept
    assert iso.f_err == pytest.approx(iso.swapped.intercept_err / iso.swapped.intercept**2)
    assert iso.trapped_4036 == 1 / iso.fit.intercept
