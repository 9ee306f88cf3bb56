"""The per-analysis reduction written the way Pychron writes it: one ``uncertainties``
ufloat per value, one analysis at a time (reduction-math.md §4–§9).

It is the baseline of ``bench_reduce.py`` and the reference of the property tests: ardvc's
batched derivatives must give the same values and errors. Test-only: ``uncertainties`` is a
dev dependency.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from uncertainties import ufloat, umath

ISOTOPES = ("Ar40", "Ar39", "Ar38", "Ar37", "Ar36")


def decay_factor(
    power: list[float], duration: list[float], elapsed: list[float], lam: float
) -> float:
    a = sum(p * t for p, t in zip(power, duration, strict=True))
    b = sum(
        p * (1 - math.exp(-lam * t)) / (lam * math.exp(lam * dt))
        for p, t, dt in zip(power, duration, elapsed, strict=True)
    )
    return a / b


def reduce_one(a: Mapping[str, Any], covariance: str = "pychron") -> dict[str, Any]:
    """``a``: isotopes {role: {intercept, intercept_err, baseline, baseline_err, blank,
    blank_err, ic, ic_err, detector}}, correct_for_blank, power/duration/elapsed lists,
    chlorine_days, production {key: (v, e)}, j, lambda_k, constants, propagate_trapped."""
    c = a["constants"]
    shared: dict[str, Any] = {}
    intensity = {}
    for role in ISOTOPES:
        iso = a["isotopes"][role]
        det = iso["detector"]
        if covariance == "full":
            base = shared.setdefault(f"b:{det}", ufloat(iso["baseline"], iso["baseline_err"]))
            ic = shared.setdefault(f"ic:{det}", ufloat(iso["ic"], iso["ic_err"]))
            bs = ufloat(iso["intercept"], iso["intercept_err"]) - base
        else:
            ic = ufloat(iso["ic"], iso["ic_err"])
            bs = ufloat(iso["intercept"] - iso["baseline"], iso["intercept_err"])
        blank = ufloat(iso["blank"], iso["blank_err"])
        signal = bs - blank if a["correct_for_blank"] else bs
        intensity[role] = signal * ic
    df37 = decay_factor(a["power"], a["duration"], a["elapsed"], c["lambda_ar37"])
    df39 = decay_factor(a["power"], a["duration"], a["elapsed"], c["lambda_ar39"])
    a37 = intensity["Ar37"] * df37
    a39 = intensity["Ar39"] * df39
    p = {k: ufloat(*v) for k, v in a["production"].items()}
    k39 = (a39 - p["Ca3937"] * a37) / (1 - p["K3739"] * p["Ca3937"])
    k37 = p["K3739"] * k39
    ca37 = a37 - k37
    k38 = p["K3839"] * k39
    ca36 = p["Ca3637"] * ca37
    ca38 = p["Ca3837"] * ca37
    m = p["Cl3638"] * c["lambda_cl36"] * a["chlorine_days"]
    r = c["atm4036"] / c["atm4038"]
    atm36 = (intensity["Ar36"] - ca36 - m * (intensity["Ar38"] - k38 - ca38)) / (1 - m * r)
    cl38 = intensity["Ar38"] - atm36 * r - k38 - ca38
    trapped = ufloat(c["atm4036"], c["atm4036_err"] if a["propagate_trapped"] else 0.0)
    a40 = intensity["Ar40"]
    rad40 = a40 - atm36 * trapped - p["K4039"] * k39
    f = rad40 / k39
    age = umath.log(1 + a["j"] * f) / a["lambda_k"] / 1e6
    ca_k = p["Ca_K"] if p["Ca_K"].nominal_value else 1
    cl_k = p["Cl_K"] if p["Cl_K"].nominal_value else 1
    return {
        "age": age,
        "f": f,
        "k39": k39,
        "kca": k39 / ca37 / ca_k,
        "kcl": k39 / cl38 / cl_k,
        "radiogenic_yield": rad40 / a40 * 100,
        "atm36": atm36,
    }
