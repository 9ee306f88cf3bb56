"""Property tests: the batched derivatives give the values and errors of the
``uncertainties`` package (how Pychron propagates) to 1e-12 relative, for both covariance
conventions, on random analyses."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ardvc.reduce.chain import reduce_batch
from ardvc.reduce.constants import ArArConstants
from ardvc.reduce.conventions import Conventions
from ardvc.reduce.inputs import ISOTOPES, PRODUCTION_KEYS, ArArInputs, IsotopeInputs
from ardvc.reduce.uncertain import InputSpace, UArray, log
from uncertainties_reference import reduce_one

RTOL = 1e-12
CONSTANTS = ArArConstants()
C = {
    "lambda_ar37": CONSTANTS.lambda_ar37,
    "lambda_ar39": CONSTANTS.lambda_ar39,
    "lambda_cl36": CONSTANTS.lambda_cl36,
    "atm4036": CONSTANTS.atmosphere.atm4036,
    "atm4036_err": CONSTANTS.atmosphere.atm4036_err,
    "atm4038": CONSTANTS.atmosphere.atm4038,
}
TYPICAL = {
    "Ar40": 900.0, "Ar39": 200.0, "Ar38": 3.0, "Ar37": 2.0, "Ar36": 0.5,
}  # fmt: skip
PRODUCTION = {
    "K4039": 0.0085, "K3839": 0.0124, "K3739": 0.00015, "Ca3937": 0.0007, "Ca3837": 0.0001,
    "Ca3637": 0.00028, "Cl3638": 250.0, "Ca_K": 1.96, "Cl_K": 0.227,
}  # fmt: skip

scale = st.floats(0.5, 2.0)
rel_err = st.floats(1e-5, 0.05)
DETECTORS = ("H2", "H1", "AX", "L1", "CDD")


@st.composite
def analysis(draw: Any) -> dict[str, Any]:
    isotopes = {}
    shared_detector = draw(st.booleans())
    for i, role in enumerate(ISOTOPES):
        value = TYPICAL[role] * draw(scale)
        detector = "AX" if shared_detector and role in {"Ar38", "Ar37"} else DETECTORS[i]
        isotopes[role] = {
            "intercept": value,
            "intercept_err": value * draw(rel_err),
            "baseline": draw(st.floats(-0.1, 0.1)),
            "baseline_err": draw(st.floats(1e-4, 0.02)),
            "blank": value * draw(st.floats(0.0, 0.05)),
            "blank_err": value * draw(st.floats(1e-5, 0.01)),
            "ic": draw(st.floats(0.95, 1.05)),
            "ic_err": draw(st.floats(1e-6, 0.005)),
            "detector": detector,
        }
    if shared_detector:  # one detector has one baseline and one IC factor
        isotopes["Ar37"].update(
            {k: isotopes["Ar38"][k] for k in ("baseline", "baseline_err", "ic", "ic_err")}
        )
    segments = draw(st.integers(1, 4))
    return {
        "isotopes": isotopes,
        "correct_for_blank": draw(st.booleans()),
        "power": [draw(st.floats(0.5, 2.0)) for _ in range(segments)],
        "duration": [draw(st.floats(0.05, 1.0)) for _ in range(segments)],
        "elapsed": [draw(st.floats(5.0, 400.0)) for _ in range(segments)],
        "chlorine_days": draw(st.floats(5.0, 400.0)),
        "production": {k: (v * draw(scale), v * draw(rel_err)) for k, v in PRODUCTION.items()},
        "j": draw(st.floats(5e-4, 1e-2)),
        "lambda_k": 5.463e-10,
        "constants": C,
        "propagate_trapped": draw(st.booleans()),
    }


def as_inputs(batch: list[dict[str, Any]]) -> ArArInputs:
    n = len(batch)
    width = max(len(a["power"]) for a in batch)

    def padded(key: str) -> np.ndarray:  # type: ignore[type-arg]
        out = np.zeros((n, width))
        for i, a in enumerate(batch):
            out[i, : len(a[key])] = a[key]
        return out

    isotopes = {}
    for role in ISOTOPES:
        iso = IsotopeInputs.empty(n)
        for attr in ("intercept", "intercept_err", "baseline", "baseline_err", "blank",
                     "blank_err", "ic", "ic_err"):  # fmt: skip
            getattr(iso, attr)[:] = [a["isotopes"][role][attr] for a in batch]
        iso.detector = np.array([a["isotopes"][role]["detector"] for a in batch])
        isotopes[role] = iso
    return ArArInputs(
        isotopes=isotopes,
        correct_for_blank=np.array([a["correct_for_blank"] for a in batch]),
        power=padded("power"),
        duration=padded("duration"),
        elapsed=padded("elapsed"),
        chlorine_days=np.array([a["chlorine_days"] for a in batch]),
        production=np.array([[a["production"][k][0] for k in PRODUCTION_KEYS] for a in batch]),
        production_err=np.array([[a["production"][k][1] for k in PRODUCTION_KEYS] for a in batch]),
        j=np.array([a["j"] for a in batch]),
        j_err=np.zeros(n),
        lambda_k=np.array([a["lambda_k"] for a in batch]),
        sensitivity=np.full(n, 2.13e-16),
    )


def close(a: float, b: float) -> bool:
    return abs(a - b) <= RTOL * max(abs(a), abs(b), 1e-300)


@pytest.mark.parametrize("covariance", ["pychron", "full"])
@settings(max_examples=200, deadline=None)
@given(batch=st.lists(analysis(), min_size=1, max_size=6))
def test_batched_propagation_equals_uncertainties(
    covariance: str, batch: list[dict[str, Any]]
) -> None:
    # the trapped-error switch is per batch in ardvc, per analysis in the generator
    trapped = batch[0]["propagate_trapped"]
    for a in batch:
        a["propagate_trapped"] = trapped
    conventions = Conventions(covariance=covariance, propagate_trapped_error=trapped)  # type: ignore[arg-type]
    got = reduce_batch(as_inputs(batch), CONSTANTS, conventions)
    for i, a in enumerate(batch):
        ref = reduce_one(a, covariance=covariance)
        for name, ours in (
            ("age", got.age), ("f", got.f), ("k39", got.k39), ("kca", got.kca),
            ("kcl", got.kcl), ("radiogenic_yield", got.radiogenic_yield),
            ("atm36", got.atmospheric.atm36),
        ):  # fmt: skip
            assert close(ours.value[i], ref[name].nominal_value), (name, "value")
            assert close(ours.std[i], ref[name].std_dev), (name, "error")


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(st.floats(0.1, 100.0), min_size=3, max_size=3),
    errors=st.lists(st.floats(1e-4, 1.0), min_size=3, max_size=3),
)
def test_elementary_operations(values: list[float], errors: list[float]) -> None:
    from uncertainties import ufloat, umath

    space = InputSpace()
    x, y, z = (
        UArray.independent(space, n, [v], [e], 3)
        for n, v, e in zip("xyz", values, errors, strict=True)
    )
    ux, uy, uz = (ufloat(v, e) for v, e in zip(values, errors, strict=True))
    expr = log(x * y / (z + x) + 1) ** 1.5 - 2 / (y - 0.5 * z) * x
    uexpr = umath.log(ux * uy / (uz + ux) + 1) ** 1.5 - 2 / (uy - 0.5 * uz) * ux
    assert close(expr.value[0], uexpr.nominal_value)
    assert close(expr.std[0], uexpr.std_dev)
    assert close(x.covariance(expr)[0], ux.std_dev**2 * uexpr.derivatives[ux])


def test_production_keys_agree_across_layers() -> None:
    """``reduce`` is pure and keeps its own copy of the production keys; it must be the
    formats' order, or gathered ratios would land in the wrong columns."""
    from ardvc.formats.production import PRODUCTION_KEYS as FORMAT_KEYS

    assert tuple(FORMAT_KEYS) == PRODUCTION_KEYS
