"""Helpers shared by the benchmarks: timing, synthetic analyses, JSON results."""

from __future__ import annotations

import json
import platform
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ardvc.formats.blobs import encode_pairs
from ardvc.formats.jsonio import dumps
from ardvc.formats.paths import write_address

RESULTS = Path(__file__).resolve().parent / "results"
MODIFIERS = (
    None,
    ".data",
    "intercepts",
    "baselines",
    "blanks",
    "icfactors",
    "extraction",
    "peakcenter",
)
ISOTOPES = {"Ar40": "H2", "Ar39": "H1", "Ar38": "AX", "Ar37": "L1", "Ar36": "L2(CDD)"}


def analysis_files(rng: np.random.Generator, name: str | None = None) -> dict[str, bytes]:
    """The ~8 files of one analysis, sized like a Felix 2022 run (340 signal points)."""
    uid = name or str(uuid.UUID(bytes=rng.bytes(16), version=4))
    t = np.linspace(31.0, 396.0, 340)
    tb = np.linspace(414.0, 478.0, 60)
    content: dict[str | None, Any] = {
        None: {
            "uuid": uid,
            "identifier": "69421",
            "aliquot": 2,
            "increment": 5,
            "analysis_type": "unknown",
            "timestamp": "2022-01-23T06:32:49.107282",
            "isotopes": {k: {"detector": d, "name": k, "units": "fA"} for k, d in ISOTOPES.items()},
            "mass_spectrometer": "Felix",
            "sample": "CORN-805",
            "comment": "x" * 200,
        },
        ".data": {
            "encoding": "base64",
            "format": ">ff",
            "signals": [
                {
                    "isotope": k,
                    "detector": d,
                    "blob": encode_pairs(t, 100 + rng.normal(0, 1, t.size)),
                }
                for k, d in ISOTOPES.items()
            ],
            "baselines": [
                {"detector": d, "blob": encode_pairs(tb, rng.normal(0, 0.01, tb.size))}
                for d in ISOTOPES.values()
            ],
            "sniffs": [
                {"isotope": k, "detector": d, "blob": encode_pairs(t[:25], rng.normal(0, 1, 25))}
                for k, d in ISOTOPES.items()
            ],
        },
    }
    fit = {
        "fit": "linear",
        "error_type": "SEM",
        "value": 1.0,
        "error": 0.01,
        "filter_outliers_dict": {"filter_outliers": True, "iterations": 1, "std_devs": 2},
    }
    content["intercepts"] = {k: dict(fit, value=float(rng.random())) for k in ISOTOPES}
    content["baselines"] = {d: dict(fit, fit="average") for d in ISOTOPES.values()}
    content["blanks"] = {
        k: {"fit": "previous", "value": 0.1, "error": 0.01, "references": []} for k in ISOTOPES
    }
    content["icfactors"] = {
        d: {"fit": "default", "value": 1.0, "error": 1e-20, "references": []}
        for d in ISOTOPES.values()
    }
    content["extraction"] = {
        "extract_device": "Felix",
        "extract_value": 1000,
        "positions": [{"position": 2}],
    }
    content["peakcenter"] = {
        "reference_detector": "H1",
        "reference_isotope": "Ar40",
        "H1": {"center_dac": 5.87, "points": encode_pairs(t[:40], t[:40])},
    }
    return {write_address(uid, m).path: dumps(content[m]) for m in MODIFIERS}


def timed(func: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        out.append(time.perf_counter() - start)
    return out


def summary_ms(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    return {
        "median_ms": statistics.median(ms),
        "mean_ms": statistics.fmean(ms),
        "p95_ms": ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))],
        "n": len(ms),
    }


def write_result(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "machine": platform.platform(),
        "python": platform.python_version(),
        **payload,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path
