"""A finished :class:`~ardvc.persist.recording.Recording` → the files of one analysis.

The files have exactly the key sets Pychron 20 writes at collection (pychron-format.md §5,
compared with the Cornudas 2022 files by the tests), so Pychron reads them as its own.
One thing differs on purpose: the collection fits are made from the float32 values that
the ``.data`` file stores, not from the double-precision readings. Pychron fits before
packing, so its stored intercepts can only be re-derived to ~1e-8; ardvc's refit from the
blobs reproduces them exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from ardvc import __version__
from ardvc.data.write import NewAnalysis
from ardvc.errors import UsageError
from ardvc.formats.blobs import encode_pairs
from ardvc.formats.extraction import STREAM_FORMAT
from ardvc.persist.peaks import peakcenter_file
from ardvc.persist.recording import FloatArray, Recording
from ardvc.reduce.fitspec import ErrorType, FitKind, FitSpec, FitStatus
from ardvc.reduce.regression import fit_batch

Json = Any
SOFTWARE = f"ardvc {__version__}"
COLLECTION_VERSION = "1.0:2.1"
"""Pychron's collection-format version of the files written (that of 2022)."""
ARAR_ROLES = ("Ar40", "Ar39", "Ar38", "Ar37", "Ar36")
IC_DEFAULT = (1.0, 1e-20)
"""Pychron's collection IC factor of every detector."""


LINEAR_2X2 = FitSpec(FitKind.LINEAR, ErrorType.SEM, True, 2, 2.0)
PARABOLIC_2X2 = FitSpec(FitKind.PARABOLIC, ErrorType.SEM, True, 2, 2.0)
AVERAGE_1X2 = FitSpec(FitKind.AVERAGE, ErrorType.SEM, True, 1, 2.0)


@dataclass(frozen=True)
class CollectionFits:
    """Fits made at collection: a spec per isotope (default ``signal``), one for baselines.

    Defaults are NMGRL's 2022 collection settings (Cornudas): parabolic 40/39/36, linear
    37/38, the outlier filter at 2σ twice; baselines the mean, filtered once at 2σ.
    """

    signal: FitSpec = LINEAR_2X2
    isotopes: Mapping[str, FitSpec] = field(
        default_factory=lambda: dict.fromkeys(("Ar40", "Ar39", "Ar36"), PARABOLIC_2X2)
    )
    baseline: FitSpec = AVERAGE_1X2

    def for_isotope(self, isotope: str) -> FitSpec:
        return self.isotopes.get(isotope, self.signal)


@dataclass(frozen=True)
class Context:
    """What the files record beyond the run itself."""

    meta_commit: str | None
    timezone: str | None = None
    """Zone of the lab's naive timestamps (an aware time zero is converted to it)."""


def _float32(a: FloatArray) -> FloatArray:
    return a.astype(np.float32).astype(np.float64)


def _number(x: float) -> float | int:
    """Integral settings as ints (``"std_devs": 2``), as Pychron writes them."""
    return int(x) if float(x).is_integer() else float(x)


def fit_entry(spec: FitSpec, value: float, error: float) -> dict[str, Json]:
    return {
        "error": error,
        "error_type": spec.error_type.value,
        "filter_outliers_dict": {
            "filter_outliers": spec.filter_outliers,
            "iterations": spec.iterations,
            "std_devs": _number(spec.std_devs),
        },
        "fit": spec.kind.value,
        "value": value,
    }


@dataclass
class FittedFiles:
    intercepts: dict[str, Json]
    baselines: dict[str, Json]
    problems: list[str]


def collection_fits(rec: Recording, fits: CollectionFits) -> FittedFiles:
    """Fit every signal and baseline of the run in one batch, from float32 data."""
    keys: list[tuple[str, str]] = []
    ts: list[FloatArray] = []
    ys: list[FloatArray] = []
    specs: list[FitSpec] = []
    for iso, _, t, y in rec.signal_arrays():
        keys.append(("signal", iso))
        specs.append(fits.for_isotope(iso))
        ts.append(_float32(t))
        ys.append(_float32(y))
    for det, t, y in rec.baseline_arrays():
        keys.append(("baseline", det))
        specs.append(fits.baseline)
        ts.append(_float32(t))
        ys.append(_float32(y))
    out = FittedFiles({}, {}, [])
    if not keys:
        return out
    batch = fit_batch(ts, ys, specs)
    for i, (kind, key) in enumerate(keys):
        status = FitStatus(int(batch.status[i]))
        target = out.intercepts if kind == "signal" else out.baselines
        if status == FitStatus.OK:
            target[key] = fit_entry(specs[i], float(batch.value[i]), float(batch.error[i]))
        elif status == FitStatus.ALL_EXCLUDED:  # constant data: Pychron's 0 ± 0
            target[key] = fit_entry(specs[i], 0.0, 0.0)
        else:
            out.problems.append(f"{rec.record_id} {kind} {key} not fitted: {batch.reason(i)}")
    return out


def _timestamp(when: datetime, zone: str | None) -> str:
    """Naive lab time, ISO, as Pychron stores it."""
    if when.tzinfo is not None:
        if not zone:
            raise UsageError(
                "an aware run timestamp needs lab.timezone to be stored as naive lab time",
                hint="ardvc config lab.timezone America/Denver (your lab's zone)",
            )
        when = when.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return when.isoformat()


def main_file(rec: Recording, ctx: Context) -> dict[str, Json]:
    """The main analysis file with Pychron 20's key set."""
    m = rec.metadata
    spec = m.spectrometer
    gains, deflections = spec.get("gains", {}), spec.get("deflections", {})
    source = spec.get("spectrometer", {})
    main: dict[str, Json] = {
        "acquisition_software": SOFTWARE,
        "aliquot": m.aliquot,
        "analysis_type": m.analysis_type,
        "analyst_name": m.analyst_name,
        "arar_mapping": {r: r for r in ARAR_ROLES if r in m.isotopes},
        "collection_version": COLLECTION_VERSION,
        "comment": m.comment,
        "commit": ctx.meta_commit,
        "conditionals": [],
        "data_reduction_software": SOFTWARE,
        "detectors": {
            d: {"deflection": float(deflections.get(d, 0.0)), "gain": float(gains[d])}
            for d in m.detectors
        },
        "environmental": {"lab_humiditys": [], "lab_pneumatics": [], "lab_temperatures": []},
        "experiment_queue_name": m.experiment_queue_name,
        "experiment_type": m.experiment_type,
        "extraction": m.extraction_script,
        "grainsize": m.grainsize,
        "hops": "",
        "identifier": m.identifier,
        "increment": m.increment,
        "instrument_name": m.instrument_name,
        "intensity_scalar": 0.0,
        "irradiation": m.irradiation,
        "irradiation_level": m.irradiation_level,
        "irradiation_position": m.irradiation_position,
        "isotopes": {
            iso: {"detector": det, "name": iso, "serial_id": "00000", "units": "fA"}
            for iso, det in m.isotopes.items()
        },
        "laboratory": m.laboratory,
        "latitude": m.latitude,
        "lithology": None,
        "lithology_class": None,
        "lithology_group": None,
        "lithology_type": None,
        "longitude": m.longitude,
        "mass_spectrometer": m.mass_spectrometer,
        "material": m.material,
        "measurement": m.measurement_script,
        "note": m.note,
        "post_equilibration": m.post_equilibration_script,
        "post_measurement": m.post_measurement_script,
        "principal_investigator": m.principal_investigator,
        "project": m.project,
        "queue_conditionals_name": "",
        "repository_identifier": rec.repository,
        "rlocation": "",
        "sample": m.sample,
        "source": {"emission": source.get("emission"), "trap": source.get("trap")},
        "timestamp": _timestamp(m.timestamp, ctx.timezone),
        "tripped_conditional": None,
        "unit": m.unit,
        "username": m.username,
        "uuid": m.uuid,
        "whiff_result": None,
    }
    main.update(m.extra)
    return main


def raw_data_file(rec: Recording, ctx: Context) -> dict[str, Json]:
    return {
        "baselines": [
            {"blob": encode_pairs(t, y), "detector": det} for det, t, y in rec.baseline_arrays()
        ],
        "commit": ctx.meta_commit,
        "encoding": "base64",
        "format": ">ff",
        "signals": [
            {"blob": encode_pairs(t, y), "detector": det, "isotope": iso}
            for iso, det, t, y in rec.signal_arrays()
        ],
        "sniffs": [
            {"blob": encode_pairs(t, y), "detector": det, "isotope": iso}
            for iso, det, t, y in rec.sniff_arrays()
        ],
    }


def extraction_file(rec: Recording, ctx: Context) -> dict[str, Json]:
    given = dict(rec.extraction or {})
    streams = {}
    for name in ("measured_response", "requested_output", "setpoint_stream"):
        pair = given.pop(name, None)
        streams[name] = None if pair is None else encode_pairs(pair[0], pair[1], STREAM_FORMAT)
    positions = [
        {"is_degas": bool(p.get("is_degas", False)), "position": p.get("position"),
         "x": float(p.get("x", 0.0)), "y": float(p.get("y", 0.0)), "z": float(p.get("z", 0.0))}
        for p in given.pop("positions", [])
    ]  # fmt: skip
    out: dict[str, Json] = {
        "beam_diameter": "",
        "cleanup_duration": 0.0,
        "commit": ctx.meta_commit,
        "cryo_temperature": 0.0,
        "extract_device": rec.metadata.extract_device,
        "extract_duration": 0.0,
        "extract_units": "",
        "extract_value": 0.0,
        "extraction_context": {},
        "grain_polygons": [],
        "light_value": 0,
        "load_holder": "",
        "load_name": "",
        "pattern": "",
        "positions": positions,
        "post_cleanup_duration": 0.0,
        "pre_cleanup_duration": 0.0,
        "ramp_duration": 0.0,
        "ramp_rate": 0.0,
        "snapshots": [],
        "tray": "",
        "videos": [],
        "weight": 0.0,
        **streams,
    }
    out.update(given)
    return out


def blanks_file(rec: Recording) -> dict[str, Json]:
    defaults = rec.defaults
    previous = defaults.previous_blank if defaults else None
    refs = [{"exclude": False, "record_id": previous}] if previous else []
    out = {}
    for iso in rec.metadata.isotopes:
        value, error = defaults.blanks.get(iso, (0.0, 0.0)) if defaults else (0.0, 0.0)
        out[iso] = {"error": error, "error_type": "", "fit": "previous",
                    "references": list(refs), "value": value}  # fmt: skip
    return out


def icfactors_file(rec: Recording) -> dict[str, Json]:
    given = rec.defaults.icfactors if rec.defaults else {}
    out = {}
    for det in rec.metadata.detectors:
        value, error = given.get(det, IC_DEFAULT)
        out[det] = {"error": error, "fit": "default", "references": [], "value": value}
    return out


def collection_analysis(
    rec: Recording, fits: CollectionFits, ctx: Context
) -> tuple[NewAnalysis, list[str]]:
    """Every file of the run, and the fits that could not be made."""
    fitted = collection_fits(rec, fits)
    new = NewAnalysis(
        main=main_file(rec, ctx),
        raw_data=raw_data_file(rec, ctx),
        intercepts=fitted.intercepts,
        baselines=fitted.baselines,
        blanks=blanks_file(rec),
        icfactors=icfactors_file(rec),
        extraction=extraction_file(rec, ctx),
        peakcenter=None if rec.peak_center is None else peakcenter_file(rec),
        spectrometer={k: dict(v) for k, v in rec.metadata.spectrometer.items()},
    )
    return new, fitted.problems
