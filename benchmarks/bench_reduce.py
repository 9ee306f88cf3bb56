"""Full reduction from raw blobs: 10,000 analyses of 5 isotopes × 340 points plus 5
baselines × 60 points, base64 ``>ff`` blobs as in ``.data`` files, fits with 2 outlier
iterations at 2σ, corrections, decay, interferences, chlorine/atmosphere and ages.

ardvc decodes, fits and reduces the whole batch with array operations; the baseline does
the same math one analysis at a time the way Pychron does it (``numpy.polyfit`` per series
in an outlier loop, then ``uncertainties`` ufloats for the age equation), in the same run.
The two must agree (ages to 1e-9) before any figure is reported.
"""

from __future__ import annotations

import argparse
import base64
import time
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

from ardvc.formats.blobs import encode_pairs
from ardvc.reduce.chain import reduce_batch
from ardvc.reduce.constants import ArArConstants
from ardvc.reduce.conventions import PYCHRON_2022
from ardvc.reduce.fitbatch import FitBatch
from ardvc.reduce.fitspec import FitKind, FitSpec
from ardvc.reduce.inputs import ISOTOPES, PRODUCTION_KEYS, ArArInputs, IsotopeInputs
from ardvc.reduce.regression import fit_batch
from common import write_result
from uncertainties_reference import reduce_one

Array = npt.NDArray[np.float64]
SIGNAL_T = np.linspace(31.142, 395.765, 340)
BASELINE_T = np.linspace(414.512, 478.079, 60)
DETECTORS = ("H2", "H1", "AX", "L1", "L2(CDD)")
LEVELS = {"Ar40": 900.0, "Ar39": 230.0, "Ar38": 3.0, "Ar37": 1.5, "Ar36": 0.6}
DEGREE = {"Ar40": 2, "Ar39": 1, "Ar38": 1, "Ar37": 1, "Ar36": 1}
PRODUCTION = {
    "K4039": (0.00844, 0.00017), "K3839": (0.01244, 1e-05), "K3739": (0.00015, 1.5e-05),
    "Ca3937": (0.000697, 2e-06), "Ca3837": (0.0001, 2e-06), "Ca3637": (0.0002802, 2e-06),
    "Cl3638": (250.0, 0.0), "Ca_K": (1.96, 0.0), "Cl_K": (0.227, 0.0),
}  # fmt: skip
ITERATIONS, NSIGMA = 2, 2.0
CONSTANTS = ArArConstants()
CONVENTIONS = PYCHRON_2022
SEGMENTS = ([1.0], [0.3125], [81.99])  # power, duration (d), elapsed (d)
CHLORINE_DAYS = 82.9
J, LAMBDA_K = 0.00526, 5.463e-10


def synthetic(n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Analyses as acquisition stores them: blobs plus stored blanks and IC factors."""
    out = []
    for _ in range(n):
        signals, baselines = {}, {}
        for iso, det in zip(ISOTOPES, DETECTORS, strict=True):
            level = LEVELS[iso] * rng.uniform(0.5, 1.5)
            y = level * (1 - 1e-4 * SIGNAL_T) + rng.normal(0, 0.002 + 1e-4 * level, 340)
            y[rng.integers(0, 340, 3)] += 0.05 + 5e-3 * level
            signals[iso] = encode_pairs(SIGNAL_T, y)
            baselines[det] = encode_pairs(BASELINE_T, rng.normal(0.05, 0.01, 60))
        out.append(
            {
                "signals": signals,
                "baselines": baselines,
                "blanks": {i: (LEVELS[i] * 1e-3, LEVELS[i] * 1e-4) for i in ISOTOPES},
                "ic": {d: (1.0 + 0.01 * (d == "H1"), 2e-4) for d in DETECTORS},
            }
        )
    return out


def decode(blob: str) -> tuple[Array, Array]:
    pairs = np.frombuffer(base64.b64decode(blob), dtype=">f4").astype(np.float64)
    return pairs[0::2], pairs[1::2]


# --- ardvc: the whole batch at once ----------------------------------------------------


def batched(analyses: list[dict[str, Any]]) -> Array:
    """Decode, fit and reduce the whole batch; (age, age error) per analysis."""
    result = reduce_batch(batch_inputs(analyses, *fit_all(analyses)), CONSTANTS, CONVENTIONS)
    return np.stack([result.age.value, result.age.std], axis=1)


def _decode_all(blobs: list[str], points: int) -> Array:
    raw = b"".join(base64.b64decode(blob) for blob in blobs)
    return np.frombuffer(raw, ">f4").astype(np.float64).reshape(len(blobs), points, 2)


def fit_all(analyses: list[dict[str, Any]]) -> tuple[FitBatch, FitBatch]:
    """Every signal and baseline of the batch, decoded and fitted in two calls."""
    n = len(analyses)
    sig = _decode_all([a["signals"][i] for a in analyses for i in ISOTOPES], 340)
    base = _decode_all([a["baselines"][d] for a in analyses for d in DETECTORS], 60)
    kinds = {1: FitKind.LINEAR, 2: FitKind.PARABOLIC}
    common = {"filter_outliers": True, "iterations": ITERATIONS, "std_devs": NSIGMA}
    specs = [FitSpec(kind=kinds[DEGREE[i]], **common) for i in ISOTOPES] * n  # type: ignore[arg-type]
    fit_sig = fit_batch(sig[..., 0], sig[..., 1], specs)
    fit_base = fit_batch(base[..., 0], base[..., 1], FitSpec(kind=FitKind.AVERAGE, **common))  # type: ignore[arg-type]
    return fit_sig, fit_base


def batch_inputs(
    analyses: list[dict[str, Any]], fit_sig: FitBatch, fit_base: FitBatch
) -> ArArInputs:
    n = len(analyses)
    isotopes = {}
    for k, (iso, det) in enumerate(zip(ISOTOPES, DETECTORS, strict=True)):
        row = IsotopeInputs.empty(n)
        row.intercept[:] = fit_sig.value[k::5]
        row.intercept_err[:] = fit_sig.error[k::5]
        row.baseline[:] = fit_base.value[k::5]
        row.baseline_err[:] = fit_base.error[k::5]
        row.blank[:] = [a["blanks"][iso][0] for a in analyses]
        row.blank_err[:] = [a["blanks"][iso][1] for a in analyses]
        row.ic[:] = [a["ic"][det][0] for a in analyses]
        row.ic_err[:] = [a["ic"][det][1] for a in analyses]
        row.detector = np.full(n, det)
        isotopes[iso] = row
    power, duration, elapsed = (np.tile(np.array(s), (n, 1)) for s in SEGMENTS)
    return ArArInputs(
        isotopes=isotopes, correct_for_blank=np.ones(n, dtype=bool),
        power=power, duration=duration, elapsed=elapsed,
        chlorine_days=np.full(n, CHLORINE_DAYS),
        production=np.tile([PRODUCTION[k][0] for k in PRODUCTION_KEYS], (n, 1)),
        production_err=np.tile([PRODUCTION[k][1] for k in PRODUCTION_KEYS], (n, 1)),
        j=np.full(n, J), j_err=np.zeros(n), lambda_k=np.full(n, LAMBDA_K),
        sensitivity=np.full(n, 2.13e-16),
    )  # fmt: skip


# --- baseline: one analysis at a time, the way Pychron does it -------------------------


def fit_series(t: Array, y: Array, degree: int) -> tuple[float, float]:
    """Outlier loop then final fit; intercept and its SEM (Pychron's OLS recipe)."""
    kept = np.ones(t.size, dtype=bool)
    q = degree + 1
    for _ in range(ITERATIONS):
        if degree == 0:
            resid = y - y[kept].mean()
            s = y[kept].std(ddof=1)
        else:
            coef = np.polyfit(t[kept], y[kept], degree)
            resid = y - np.polyval(coef, t)
            s = np.sqrt(np.sum(resid[kept] ** 2) / (kept.sum() - q))
        kept &= ~(np.abs(resid) >= NSIGMA * s)
    if degree == 0:
        return float(y[kept].mean()), float(y[kept].std(ddof=1) / np.sqrt(kept.sum()))
    coef, cov = np.polyfit(t[kept], y[kept], degree, cov="unscaled")
    resid = y[kept] - np.polyval(coef, t[kept])
    sef2 = np.sum(resid**2) / (kept.sum() - q)
    return float(coef[-1]), float(np.sqrt(sef2 * cov[-1, -1]))


Fits = dict[str, tuple[float, float, float, float]]


def fitted(a: dict[str, Any]) -> Fits:
    """Intercept and baseline of every isotope, one series at a time."""
    out = {}
    for iso, det in zip(ISOTOPES, DETECTORS, strict=True):
        value, error = fit_series(*decode(a["signals"][iso]), DEGREE[iso])
        base, base_err = fit_series(*decode(a["baselines"][det]), 0)
        out[iso] = (value, error, base, base_err)
    return out


def per_analysis(a: dict[str, Any], fits: Fits | None = None) -> tuple[float, float]:
    """One analysis: its fits (unless given), then the age equation with ufloats."""
    fits = fits if fits is not None else fitted(a)
    isotopes = {}
    for iso, det in zip(ISOTOPES, DETECTORS, strict=True):
        value, error, base, base_err = fits[iso]
        isotopes[iso] = {
            "intercept": value, "intercept_err": error, "baseline": base,
            "baseline_err": base_err, "blank": a["blanks"][iso][0],
            "blank_err": a["blanks"][iso][1], "ic": a["ic"][det][0], "ic_err": a["ic"][det][1],
            "detector": det,
        }  # fmt: skip
    atm = CONSTANTS.atmosphere
    out = reduce_one(
        {
            "isotopes": isotopes, "correct_for_blank": True, "power": SEGMENTS[0],
            "duration": SEGMENTS[1], "elapsed": SEGMENTS[2], "chlorine_days": CHLORINE_DAYS,
            "production": PRODUCTION, "j": J, "lambda_k": LAMBDA_K,
            "propagate_trapped": CONVENTIONS.propagate_trapped_error,
            "constants": {
                "lambda_ar37": CONSTANTS.lambda_ar37, "lambda_ar39": CONSTANTS.lambda_ar39,
                "lambda_cl36": CONSTANTS.lambda_cl36, "atm4036": atm.atm4036,
                "atm4036_err": atm.atm4036_err, "atm4038": atm.atm4038,
            },
        }
    )  # fmt: skip
    return out["age"].nominal_value, out["age"].std_dev


def timed(func: Any, *args: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    value = func(*args)
    return value, time.perf_counter() - start


def main() -> None:
    warnings.filterwarnings("ignore", message="Using UFloat objects with std_dev==0")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--analyses", type=int, default=10_000)
    parser.add_argument("--baseline-analyses", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = synthetic(args.analyses, np.random.default_rng(20261123))
    runs = [timed(batched, data) for _ in range(args.repeat)]
    ours, best = runs[0][0], min(t for _, t in runs)
    subset = data[: args.baseline_analyses]
    theirs, baseline_s = timed(lambda: np.array([per_analysis(a) for a in subset]))
    agree = np.max(np.abs(ours[: len(subset)] / theirs - 1), axis=0)
    if agree[0] > 1e-9 or agree[1] > 1e-6:
        raise SystemExit(f"ardvc and the per-analysis reduction disagree: {agree}")
    # the age equation alone: ufloats one analysis at a time vs one batched pass
    fits = [fitted(a) for a in subset]
    _, chain_baseline_s = timed(
        lambda: [per_analysis(a, f) for a, f in zip(subset, fits, strict=True)]
    )
    inputs = batch_inputs(data, *fit_all(data))
    _, chain_s = timed(reduce_batch, inputs, CONSTANTS, CONVENTIONS)
    rate, rate_baseline = args.analyses / best, len(subset) / baseline_s
    chain = {
        "ardvc_analyses_per_second": args.analyses / chain_s,
        "baseline_analyses_per_second": len(subset) / chain_baseline_s,
    }
    chain["speedup"] = chain["ardvc_analyses_per_second"] / chain["baseline_analyses_per_second"]
    result = {
        "analyses": args.analyses,
        "ardvc_seconds": [t for _, t in runs],
        "ardvc_analyses_per_second": rate,
        "baseline_analyses": len(subset),
        "baseline_seconds": baseline_s,
        "baseline_analyses_per_second": rate_baseline,
        "speedup": rate / rate_baseline,
        "age_equation_only": chain,
        "max_relative_difference_age_and_error": agree.tolist(),
        "target": ">= 2000 analyses/s and >= 50x the per-analysis implementation",
    }
    out = write_result("bench_reduce", result)
    print(f"full reduction from raw blobs: {args.analyses} analyses (5 x 340 points + baselines)")
    print(
        f"  ardvc, batched          {best:6.2f} s  {rate:8.0f} analyses/s (best of {args.repeat})"
    )
    print(
        f"  per analysis (ufloats)  {baseline_s:6.2f} s  {rate_baseline:8.0f} analyses/s"
        f" ({len(subset)})"
    )
    print(
        f"  speed-up {rate / rate_baseline:.1f}x;"
        f" ages agree to {agree[0]:.1e}, errors {agree[1]:.1e}"
    )
    print(
        f"  age equation alone: {chain['ardvc_analyses_per_second']:.0f}/s vs "
        f"{chain['baseline_analyses_per_second']:.0f}/s, {chain['speedup']:.0f}x"
    )
    print(f"  written {out}")


if __name__ == "__main__":
    main()
