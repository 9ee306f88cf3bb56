"""Large synthetic Pychron labs for the index benchmark, generated fast with ``git fast-import``.

``generate_lab(root, analyses=100_000, repos=20)`` lays out what Pychron keeps in its ``.dvc``
folder — ``MetaData/`` and ``repositories/Bench00…`` — with realistic files (pychron-format.md
§5, §8) and real history; ``root/.ardvc`` is left to ``ardvc.api.Lab.adopt_pychron(root)``.

Speed: file bodies come from JSON templates rendered with ``%`` (byte-identical to Pychron's
``json.dumps(indent=4, sort_keys=True)``), raw-data blobs are drawn and base64-encoded per
batch with NumPy, and each repository is one ``git fast-import`` stream (blobs + commits, no
``git add``) written by its own worker process, one per core.

Working tree: by default a **sparse checkout** of the root files only (README, spectrometer
files); every other path is in the index with the skip-worktree bit, so ``git status`` is
clean and everything is readable from git objects, which is what ardvc reads. Writing
~700,000 files for 100k analyses roughly doubles the run time here, so ``worktree="full"``
(``git reset --hard``) is the option for a realistic Pychron checkout.

Limitations: ``.data`` series are short (24 signal, 12 baseline, 6 sniff points) and agree
with the stored intercepts only roughly; no peak-centre, monitor or log files; monitor
positions list no analyses; blanks are referenced (``previous``) but never reduced.
"""

from __future__ import annotations

import argparse
import base64
import math
import os
import subprocess
import time
import uuid as uuidlib
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ardvc.data.analysis import locate_files
from ardvc.data.locate import main_files
from ardvc.formats.jsonio import dumps, loads
from ardvc.formats.paths import FileAddress, ia_address
from ardvc.formats.runid import make_runid
from ardvc.formats.spectrometer_file import spec_sha
from ardvc.gitstore import Author, CommitResult, GitRepo, commit_files
from ardvc.gitstore.messages import (
    COLLECTION,
    IA,
    ISOEVO,
    fits_message,
    tag_message,
)
from ardvc.meta.initial import initial_files

AUTHOR_NAME = "NMGRL Bench"
AUTHOR_EMAIL = "bench@lab.example"
AUTHOR = Author(AUTHOR_NAME, AUTHOR_EMAIL)
TZ = "-0700"
TZ_SECONDS = 7 * 3600
"""Pychron timestamps are naive lab time (America/Denver); commits carry -0700."""
STATE_FILE = "labgen.json"
"""Per-repository generator state in ``.git/`` (untracked): lets ``add_analysis`` continue."""
META_NAME = "MetaData"
ARGON = ("Ar40", "Ar39", "Ar38", "Ar37", "Ar36")
NSIG, NBASE, NSNIFF = 24, 12, 6
"""Points per signal, baseline and sniff series; multiples of 3 so that base64 of a batch
buffer splits exactly into the base64 of each series."""
T_SIG = np.linspace(31.0, 396.0, NSIG)
T_BASE = np.linspace(414.0, 478.0, NBASE)
T_SNIFF = np.linspace(1.0, 28.0, NSNIFF)
SOFTWARE = "pychron 20.1.1"
DECAY = {"lambda_k_total": 5.463e-10, "lambda_k_total_error": 9.998499887483122e-12}
LEVEL_LETTERS = "ABCDEFGHJKLMNO"
MATERIALS = (
    "Sanidine",
    "Groundmass",
    "Plagioclase",
    "Biotite",
    "Muscovite",
    "Hornblende",
    "K-Feldspar",
    "Basalt",
)
INVESTIGATORS = (
    "Iverson, N",
    "Swanson, B",
    "Heizler, M",
    "Zimmerer, M",
    "Ross, J",
    "Koppers, A",
    "Chen, L",
    "Okafor, C",
)
PROJECTS = (
    ("Cornudas", "CORN"),
    ("Timescale", "TS"),
    ("RioGrande", "RG"),
    ("JemezMtns", "JM"),
    ("SanJuan", "SJ"),
    ("Lusk", "LS"),
    ("Mogollon", "MOG"),
    ("Taos", "TAO"),
    ("Valles", "VC"),
    ("Potrillo", "PV"),
    ("Zuni", "ZB"),
    ("Sevilleta", "SEV"),
)
UNITS = ("Unnamed Hill", "Wind Mountain_Dike", "Bandelier Tuff", "Upper flow", "Dike 3", "")


# --- instruments ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Spectrometer:
    """A mass spectrometer: isotope → detector mapping, gains, extraction devices."""

    name: str
    letter: str
    detectors: tuple[str, ...]
    """Detector of Ar40, Ar39, Ar38, Ar37, Ar36 (in :data:`ARGON` order)."""
    gains: tuple[float, ...]
    devices: tuple[str, ...]

    @property
    def spectrometer_file(self) -> dict[str, Any]:
        return {
            "deflections": dict.fromkeys(self.detectors, 0.0),
            "gains": dict(zip(self.detectors, self.gains, strict=True)),
            "spectrometer": {"extraction_lens": "63.57", "ysymmetry": "38.07", "zfocus": "1.65"},
        }

    @property
    def spec_sha(self) -> str:
        doc = self.spectrometer_file
        return spec_sha(None, doc["spectrometer"], doc["deflections"], doc["gains"])


SPECTROMETERS = (
    Spectrometer(
        "Felix",
        "F",
        ("H2", "H1", "AX", "L1", "L2(CDD)"),
        (1.0, 0.10347, 0.01185, 0.9831, 0.0),
        ("Fusions Diode", "Fusions CO2"),
    ),
    Spectrometer(
        "Jan",
        "J",
        ("H1", "AX", "L1", "L2", "CDD"),
        (1.0, 1.0021, 0.9987, 1.0143, 0.0),
        ("Fusions CO2", "Fusions Diode"),
    ),
    Spectrometer(
        "Obama",
        "O",
        ("H2", "H1", "AX", "L1", "L2(CDD)"),
        (1.0, 0.9978, 1.0012, 0.9955, 0.0),
        ("Furnace", "Fusions CO2"),
    ),
)
SPEC_BY_NAME = {s.name: s for s in SPECTROMETERS}
DEVICE_CODE = {"Fusions Diode": "FD", "Fusions CO2": "FC", "Furnace": "NF"}
DEVICE_UNITS = {"Fusions Diode": "watts", "Fusions CO2": "percent", "Furnace": "C"}


# --- plan: irradiations and who measures what --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sample:
    """One irradiation position and the sample loaded there (what a main file repeats)."""

    identifier: str
    irradiation: str
    level: str
    position: int
    sample: str
    material: str
    project: str
    principal_investigator: str
    unit: str
    latitude: float | None
    longitude: float | None
    kind: str = "unknown"
    """``unknown``, ``monitor``, ``blank_unknown`` or ``air``."""


@dataclass(slots=True)
class RepoSummary:
    """What one generated data repository holds."""

    name: str
    analyses: int
    files: int
    commits: int
    tagged: int
    interpreted_ages: int
    seconds: float


@dataclass(slots=True)
class LabSummary:
    """Counts of a generated lab; ``identifiers`` is irradiation → level → identifiers."""

    root: Path
    repos: dict[str, RepoSummary]
    identifiers: dict[str, dict[str, list[str]]]
    meta_files: int
    meta_commits: int
    seconds: float

    @property
    def analyses(self) -> int:
        return sum(r.analyses for r in self.repos.values())

    @property
    def files(self) -> int:
        return sum(r.files for r in self.repos.values())

    @property
    def commits(self) -> int:
        return sum(r.commits for r in self.repos.values())

    def line(self) -> str:
        return (
            f"labgen: {self.analyses} analyses, {self.files} files, {self.commits} commits "
            f"in {len(self.repos)} repos + {META_NAME} ({self.meta_files} files) "
            f"in {self.seconds:.1f} s"
        )


@dataclass(slots=True)
class _Irradiation:
    name: str
    start: datetime
    levels: dict[str, list[Sample]] = field(default_factory=dict)


def _plan(rng: np.random.Generator, analyses: int, repos: int) -> list[_Irradiation]:
    """Irradiations NM-301…, levels A…, positions with 5-digit identifiers; the last one is
    ``NoIrradiation`` holding the blank and air identifiers of every spectrometer."""
    n_irr = max(3, min(12, math.ceil(analyses / 15_000) + 2))
    need = max(repos * 4, analyses // 150)
    per_irr = math.ceil(need / n_irr)
    irradiations = []
    next_id = 60_000
    for i in range(n_irr):
        start = datetime(2014, 1, 6, 9, 30) + timedelta(days=int(i * 700 / n_irr))
        irr = _Irradiation(f"NM-{301 + i}", start)
        n_levels = int(rng.integers(4, 11))
        per_level = max(6, min(24, math.ceil(per_irr / n_levels)))
        for letter in LEVEL_LETTERS[:n_levels]:
            samples = []
            for pos in range(1, per_level + 1):
                monitor = pos % 6 == 1
                project, prefix = PROJECTS[int(rng.integers(len(PROJECTS)))]
                samples.append(
                    Sample(
                        identifier=str(next_id),
                        irradiation=irr.name,
                        level=letter,
                        position=pos,
                        sample="FC-2" if monitor else f"{prefix}-{int(rng.integers(100, 9999))}",
                        material="Sanidine"
                        if monitor
                        else MATERIALS[int(rng.integers(len(MATERIALS)))],
                        project="REFERENCES" if monitor else project,
                        principal_investigator="NMGRL"
                        if monitor
                        else INVESTIGATORS[int(rng.integers(len(INVESTIGATORS)))],
                        unit="" if monitor else UNITS[int(rng.integers(len(UNITS)))],
                        latitude=None if monitor else round(float(rng.uniform(31.5, 37.0)), 6),
                        longitude=None if monitor else round(float(rng.uniform(-109, -103)), 6),
                        kind="monitor" if monitor else "unknown",
                    )
                )
                next_id += 1
            irr.levels[letter] = samples
        irradiations.append(irr)
    blanks = _Irradiation("NoIrradiation", datetime(2014, 1, 1, 8, 0))
    positions: list[Sample] = []
    for spec in SPECTROMETERS:
        names = [(f"bu-{DEVICE_CODE[d]}-{spec.letter}", "blank_unknown") for d in spec.devices]
        names.append((f"a-01-{spec.letter}", "air"))
        for identifier, kind in names:
            positions.append(
                Sample(
                    identifier,
                    blanks.name,
                    "A",
                    len(positions) + 1,
                    kind,
                    "",
                    "",
                    "",
                    "",
                    None,
                    None,
                    kind,
                )
            )
    blanks.levels["A"] = positions
    irradiations.append(blanks)
    return irradiations


# --- JSON templates ---------------------------------------------------------------------------


def H(name: str) -> str:
    """A hole in a template document."""
    return f"@@{name}@@"


class Template:
    """A JSON document with named holes, rendered by ``%`` formatting.

    The document is encoded once with ardvc's Pychron-style ``dumps``; each hole ``"@@x@@"``
    becomes ``%(x)s``. Values passed to :meth:`render` must already be JSON text.
    """

    def __init__(self, doc: Any) -> None:
        text = dumps(doc).decode("ascii").replace("%", "%%")
        for hole in set(_holes(doc)):
            text = text.replace(f'"@@{hole}@@"', f"%({hole})s")
        self.text = text

    def render(self, values: Mapping[str, str]) -> bytes:
        return (self.text % values).encode("ascii")


def _holes(doc: Any) -> Iterator[str]:
    if isinstance(doc, dict):
        for value in doc.values():
            yield from _holes(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _holes(value)
    elif isinstance(doc, str) and doc.startswith("@@") and doc.endswith("@@"):
        yield doc[2:-2]


_js = encode_basestring_ascii
_jf = float.__repr__


def _jn(value: float | None) -> str:
    return "null" if value is None else _jf(value)


FILTER = {
    "filter_outliers": True,
    "iterations": 1,
    "std_devs": 2,
    "use_iqr_filtering": False,
    "use_standard_deviation_filtering": False,
}


def _reading(device: str, name: str, title: str, value: str) -> dict[str, Any]:
    return {
        "device": device,
        "name": name,
        "pub_date": H("env_date"),
        "title": title,
        "value": H(value),
    }


def _main_doc(spec: Spectrometer) -> dict[str, Any]:
    cdd = spec.detectors[-1]
    return {
        "acquisition_software": SOFTWARE,
        "aliquot": H("aliquot"),
        "analysis_type": H("analysis_type"),
        "analyst_name": H("username"),
        "arar_mapping": {a: a for a in ARGON},
        "collection_version": "1.0:2.1",
        "comment": H("comment"),
        "commit": H("software_commit"),
        "conditionals": [
            {
                "analysis_types": [],
                "frequency": 10,
                "hash_id": -8048543758647811800,
                "level": 10,
                "location": "setupfiles/spectrometer/default_conditionals.yaml",
                "ntrips": 1,
                "start_count": 5,
                "teststr": f"{cdd}.deflection==3250",
            }
        ],
        "data_reduction_software": SOFTWARE,
        "detectors": {
            d: {"deflection": 0.0, "gain": g}
            for d, g in zip(spec.detectors, spec.gains, strict=True)
        },
        "environmental": {
            "lab_humiditys": [_reading("EnvironmentalMonitor", "Lab Hum.", "iServer Hum.", "hum")],
            "lab_pneumatics": [
                _reading("AirPressure", "Pressure", "Building", "p1"),
                _reading("AirPressure2", "Pressure2", "Lab", "p2"),
            ],
            "lab_temperatures": [
                _reading("Coldfinger", "ColdFinger Temp.", "Cold Finger", "cold"),
                _reading("EnvironmentalMonitor", "Lab Temp.", "iServer Temp.", "temp"),
            ],
        },
        "experiment_queue_name": H("queue"),
        "experiment_type": "Ar/Ar",
        "extraction": H("extraction_script"),
        "grainsize": "",
        "hops": "",
        "identifier": H("identifier"),
        "increment": H("increment"),
        "instrument_name": "",
        "intensity_scalar": 0.0,
        "irradiation": H("irradiation"),
        "irradiation_level": H("level"),
        "irradiation_position": H("position"),
        "isotopes": {
            a: {"detector": d, "name": a, "serial_id": "00000", "units": "fA"}
            for a, d in zip(ARGON, spec.detectors, strict=True)
        },
        "laboratory": "",
        "latitude": H("latitude"),
        "lithology": None,
        "lithology_class": None,
        "lithology_group": None,
        "lithology_type": None,
        "longitude": H("longitude"),
        "mass_spectrometer": spec.name,
        "material": H("material"),
        "measurement": f"{spec.name.lower()}_analysis340_60_CDD_center.py",
        "note": None,
        "post_equilibration": f"{spec.name.lower()}_pump_extraction_line.py",
        "post_measurement": f"{spec.name.lower()}_pump_ms.py",
        "principal_investigator": H("pi"),
        "project": H("project"),
        "queue_conditionals_name": "",
        "repository_identifier": H("repo"),
        "rlocation": "",
        "sample": H("sample"),
        "source": {"emission": H("emission"), "trap": H("trap")},
        "spec_sha": spec.spec_sha,
        "timestamp": H("timestamp"),
        "tripped_conditional": None,
        "unit": H("unit"),
        "username": H("username"),
        "uuid": H("uuid"),
        "whiff_result": None,
    }


def _data_doc(spec: Spectrometer) -> dict[str, Any]:
    pairs = list(zip(ARGON, spec.detectors, strict=True))
    return {
        "baselines": [{"blob": H(f"b{i}"), "detector": d} for i, d in enumerate(spec.detectors)],
        "commit": H("software_commit"),
        "encoding": "base64",
        "format": ">ff",
        "signals": [
            {"blob": H(f"s{i}"), "detector": d, "isotope": a} for i, (a, d) in enumerate(pairs)
        ],
        "sniffs": [
            {"blob": H(f"n{i}"), "detector": d, "isotope": a} for i, (a, d) in enumerate(pairs)
        ],
    }


def _fit(i: int, prefix: str, reduced: bool, npts: int) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "error": H(f"{prefix}e{i}"),
        "error_type": "SEM",
        "filter_outliers_dict": FILTER,
        "fit": H(f"{prefix}f{i}"),
        "value": H(f"{prefix}v{i}"),
    }
    if reduced:
        entry.update(
            fn=H(f"{prefix}fn{i}"),
            include_baseline_error=False,
            n=npts,
            outlier_excluded=[],
            reviewed=True,
            user_excluded=[],
        )
    return entry


def _blanks_doc(with_reference: bool) -> dict[str, Any]:
    refs = (
        [{"exclude": False, "record_id": H("ref_rid"), "uuid": H("ref_uuid")}]
        if with_reference
        else []
    )
    return {
        a: {
            "error": H(f"ke{i}"),
            "error_type": "",
            "fit": "previous",
            "references": refs,
            "value": H(f"kv{i}"),
        }
        for i, a in enumerate(ARGON)
    }


def _extraction_doc(positioned: bool) -> dict[str, Any]:
    positions = (
        [{"is_degas": False, "position": H("hole"), "x": H("x"), "y": H("y"), "z": 0.0}]
        if positioned
        else []
    )
    return {
        "beam_diameter": "3.0",
        "cleanup_duration": H("cleanup"),
        "commit": H("software_commit"),
        "cryo_temperature": 0.0,
        "extract_device": H("device"),
        "extract_duration": H("duration"),
        "extract_units": H("units"),
        "extract_value": H("extract_value"),
        "extraction_context": {},
        "grain_polygons": [],
        "light_value": 0,
        "load_holder": "37-hole",
        "load_name": H("load"),
        "pattern": "",
        "positions": positions,
        "post_cleanup_duration": 0.0,
        "pre_cleanup_duration": 0.0,
        "ramp_duration": 0.0,
        "ramp_rate": 0.0,
        "snapshots": [],
        "tray": "37-hole",
        "videos": [],
        "weight": H("weight"),
    }


@dataclass(frozen=True, slots=True)
class _Templates:
    main: Template
    data: Template
    intercepts: Template
    reduced: Template
    baselines: Template
    blanks: Template
    blanks_first: Template
    icfactors: bytes
    extraction: Template
    extraction_blank: Template


_TEMPLATES: dict[str, _Templates] = {}


def templates(spec: Spectrometer) -> _Templates:
    """The file templates of one spectrometer (built once per process)."""
    if spec.name not in _TEMPLATES:
        _TEMPLATES[spec.name] = _Templates(
            main=Template(_main_doc(spec)),
            data=Template(_data_doc(spec)),
            intercepts=Template({a: _fit(i, "i", False, NSIG) for i, a in enumerate(ARGON)}),
            reduced=Template({a: _fit(i, "i", True, NSIG) for i, a in enumerate(ARGON)}),
            baselines=Template(
                {d: _fit(i, "b", False, NBASE) for i, d in enumerate(spec.detectors)}
            ),
            blanks=Template(_blanks_doc(True)),
            blanks_first=Template(_blanks_doc(False)),
            icfactors=dumps(
                {
                    d: {"error": 1e-20, "fit": "default", "references": [], "value": 1.0}
                    for d in spec.detectors
                }
            ),
            extraction=Template(_extraction_doc(True)),
            extraction_blank=Template(_extraction_doc(False)),
        )
    return _TEMPLATES[spec.name]


TAG_FILES = {
    name: dumps({"name": name, "note": "", "subgroup": ""}) for name in ("omit", "invalid", "ok")
}


# --- analyses -------------------------------------------------------------------------------


@dataclass(slots=True)
class Run:
    """Identity and context of one analysis (what is decided before any value is drawn)."""

    uuid: str
    sample: Sample
    aliquot: int
    increment: int | None
    spec: Spectrometer
    device: str
    when: datetime
    queue: str

    @property
    def record_id(self) -> str:
        return make_runid(self.sample.identifier, self.aliquot, self.increment)

    @property
    def analysis_type(self) -> str:
        return "unknown" if self.sample.kind == "monitor" else self.sample.kind


KINDS = (None, ".data", "extraction", "intercepts", "baselines", "blanks", "icfactors")
"""Files written at collection, in stream order (grouping a kind helps fast-import deltas)."""


def _paths(uid: str) -> dict[str | None, str]:
    shard, tail = uid[:2], uid[2:]
    return {
        None: f"{shard}/{tail}.json",
        ".data": f"{shard}/.data/{tail}.dat.json",
        "extraction": f"{shard}/extraction/{tail}.extr.json",
        "intercepts": f"{shard}/intercepts/{tail}.inte.json",
        "baselines": f"{shard}/baselines/{tail}.base.json",
        "blanks": f"{shard}/blanks/{tail}.blan.json",
        "icfactors": f"{shard}/icfactors/{tail}.icfa.json",
        "tags": f"reduction/{shard}/tags/{tail}.tags.json",
    }


def _intensities(kind: str, u: list[float]) -> list[float]:
    """Ar40…Ar36 intercepts (fA) of one analysis from uniforms ``u``."""
    if kind == "blank_unknown":
        ar40 = 0.5 + 4.0 * u[0]
        ar36 = ar40 / 295.5 * (0.9 + 0.2 * u[1])
        return [ar40, 0.005 + 0.02 * u[2], ar36 * 0.19, 0.01 + 0.05 * u[3], ar36]
    if kind == "air":
        ar40 = 500.0 + 2500.0 * u[0]
        ar36 = ar40 / 295.5 * (0.995 + 0.01 * u[1])
        return [ar40, 0.02 + 0.05 * u[2], ar36 * 0.188, 0.02 + 0.05 * u[3], ar36]
    ar39 = 10.0 ** (0.7 + 1.8 * u[0])
    ar36 = 10.0 ** (-2.0 + 2.3 * u[1])
    ar40 = ar39 * 10.0 ** (0.3 + 2.0 * u[2]) + 295.5 * ar36
    return [ar40, ar39, ar36 * 0.188 + ar39 * 0.0125, ar39 * 10.0 ** (-2.0 + 3.0 * u[3]), ar36]


class Factory:
    """Renders the collection files of batches of analyses for one repository."""

    def __init__(self, repo: str, rng: np.random.Generator) -> None:
        self.repo = repo
        self.rng = rng
        self.software_commit = _js(rng.bytes(20).hex())
        self.last_blank: dict[str, tuple[str, str]] = {}
        """spectrometer → (record id, uuid) of its latest blank (``<BLANKS> preceding``)."""

    def batch(self, runs: Sequence[Run]) -> list[dict[str | None, bytes]]:
        """Collection files (kind → bytes) of each run, in order."""
        n = len(runs)
        rng = self.rng
        u = rng.random((n, 24))
        z = rng.standard_normal((n, 1))
        icpt = np.array(
            [_intensities(r.sample.kind, row) for r, row in zip(runs, u.tolist(), strict=True)]
        )
        slope = icpt * (-1.5e-4 + 5e-5 * z)
        sd = 0.002 + icpt * 1e-3
        noise = rng.standard_normal((n, 5, NSIG)).astype(np.float32)
        sig = np.empty((n, 5, NSIG, 2), ">f4")
        sig[..., 0] = T_SIG
        sig[..., 1] = icpt[:, :, None] + slope[:, :, None] * T_SIG + noise * sd[:, :, None]
        base_v = rng.normal(0.0, 0.01, (n, 5))
        base = np.empty((n, 5, NBASE, 2), ">f4")
        base[..., 0] = T_BASE
        base[..., 1] = base_v[:, :, None] + rng.normal(0.0, 0.002, (n, 5, NBASE))
        sniff = np.empty((n, 5, NSNIFF, 2), ">f4")
        sniff[..., 0] = T_SNIFF
        sniff[..., 1] = icpt[:, :, None] * (0.6 + 0.02 * T_SNIFF)
        sig64 = base64.b64encode(sig.tobytes()).decode("ascii")
        base64s = base64.b64encode(base.tobytes()).decode("ascii")
        sniff64 = base64.b64encode(sniff.tobytes()).decode("ascii")
        ls, lb, ln = NSIG * 8 * 4 // 3, NBASE * 8 * 4 // 3, NSNIFF * 8 * 4 // 3
        err = (sd / math.sqrt(NSIG)).tolist()
        berr = np.abs(rng.normal(0.004, 0.001, (n, 5))).tolist()
        icpt_l = icpt.tolist()
        base_l = base_v.tolist()
        ul = u.tolist()
        out = []
        for k, run in enumerate(runs):
            t = templates(run.spec)
            s = run.sample
            uk = ul[k]
            ts = run.when.isoformat(timespec="microseconds")
            v: dict[str, str] = {
                "aliquot": str(run.aliquot),
                "analysis_type": _js(run.analysis_type),
                "username": '"MHeizler"',
                "comment": _js(
                    f"{s.level}:{s.position} {s.material}, {4 + 20 * uk[10]:.1f} mg"
                    if s.material
                    else ""
                ),
                "software_commit": self.software_commit,
                "env_date": _js(ts[:19]),
                "hum": _jf(round(10 + 30 * uk[11], 1)),
                "p1": _jf(round(98 + 2 * uk[12], 1)),
                "p2": _jf(round(99 + 2 * uk[13], 1)),
                "cold": _jf(round(-201 + 4 * uk[14], 1)),
                "temp": _jf(round(66 + 4 * uk[15], 1)),
                "queue": _js(run.queue),
                "extraction_script": _js(
                    f"{run.spec.name.lower()}_{DEVICE_CODE[run.device].lower()}.py"
                ),
                "identifier": _js(s.identifier),
                "increment": "null" if run.increment is None else str(run.increment),
                "irradiation": _js(s.irradiation),
                "level": _js(s.level),
                "position": str(s.position),
                "latitude": _jn(s.latitude),
                "longitude": _jn(s.longitude),
                "material": _js(s.material),
                "pi": _js(s.principal_investigator),
                "project": _js(s.project),
                "repo": _js(self.repo),
                "sample": _js(s.sample),
                "unit": _js(s.unit),
                "emission": _jf(round(780 + 60 * uk[16], 3)),
                "trap": _jf(round(190 + 60 * uk[17], 3)),
                "timestamp": _js(ts),
                "uuid": _js(run.uuid),
            }
            files: dict[str | None, bytes] = {None: t.main.render(v)}
            d = {"software_commit": self.software_commit}
            for i in range(5):
                j = k * 5 + i
                d[f"s{i}"] = '"' + sig64[j * ls : (j + 1) * ls] + '"'
                d[f"b{i}"] = '"' + base64s[j * lb : (j + 1) * lb] + '"'
                d[f"n{i}"] = '"' + sniff64[j * ln : (j + 1) * ln] + '"'
            files[".data"] = t.data.render(d)
            unit = DEVICE_UNITS[run.device]
            value = round(600 + 800 * uk[18]) if unit == "C" else round(0.3 + 4 * uk[18], 2)
            e = {
                "software_commit": self.software_commit,
                "cleanup": _jf(60.0),
                "device": _js(run.device),
                "duration": _jf(float(30 + 10 * int(6 * uk[19]))),
                "units": _js(unit),
                "extract_value": _jf(float(value)),
                "load": _js(f"D{100 + int(uk[20] * 200):04d}"),
                "weight": _jf(round(1 + 20 * uk[21], 2)),
            }
            if run.sample.kind in {"unknown", "monitor"}:
                e["hole"] = str(1 + int(uk[22] * 37))
                e["x"] = _jf(round(-12 + 24 * uk[22], 4))
                e["y"] = _jf(round(-12 + 24 * uk[23], 4))
                files["extraction"] = t.extraction.render(e)
            else:
                files["extraction"] = t.extraction_blank.render(e)
            files["intercepts"] = self.intercepts(t, icpt_l[k], err[k], uk, reduced=False)
            b = {}
            for i in range(5):
                b[f"be{i}"] = _jf(berr[k][i])
                b[f"bf{i}"] = '"average"'
                b[f"bv{i}"] = _jf(base_l[k][i])
            files["baselines"] = t.baselines.render(b)
            files["blanks"] = self.blanks(t, run, uk)
            files["icfactors"] = t.icfactors
            out.append(files)
        return out

    @staticmethod
    def intercepts(
        t: _Templates, values: list[float], errors: list[float], u: list[float], *, reduced: bool
    ) -> bytes:
        v: dict[str, str] = {}
        for i in range(5):
            v[f"ie{i}"] = _jf(errors[i])
            v[f"iv{i}"] = _jf(values[i])
            v[f"if{i}"] = '"parabolic"' if i == 0 and u[5] < 0.4 else '"linear"'
            if reduced:
                v[f"ifn{i}"] = str(NSIG - int(u[6 + i % 4] * 3))
        return (t.reduced if reduced else t.intercepts).render(v)

    def blanks(self, t: _Templates, run: Run, u: list[float]) -> bytes:
        v = {}
        for i, scale in enumerate((2.0, 0.01, 0.002, 0.02, 0.007)):
            v[f"kv{i}"] = _jf(scale * (0.5 + u[7 + i]))
            v[f"ke{i}"] = _jf(scale * 0.02 * (0.5 + u[7 + i]))
        previous = self.last_blank.get(run.spec.name)
        if run.sample.kind == "blank_unknown":
            self.last_blank[run.spec.name] = (run.record_id, run.uuid)
        if previous is None:
            return t.blanks_first.render(v)
        v["ref_rid"] = _js(previous[0])
        v["ref_uuid"] = _js(previous[1])
        return t.blanks.render(v)

    def reduced_intercepts(self, run: Run, collection: bytes) -> tuple[bytes, list[str]]:
        """``<ISOEVO>`` rewrite of one analysis's intercepts; returns bytes and its fits."""
        doc = orjson.loads(collection)
        u = self.rng.random(10).tolist()
        values = [doc[a]["value"] * (1 + 1e-4 * (u[i] - 0.5)) for i, a in enumerate(ARGON)]
        errors = [doc[a]["error"] * (0.9 + 0.2 * u[5 + i]) for i, a in enumerate(ARGON)]
        data = self.intercepts(templates(run.spec), values, errors, u, reduced=True)
        return data, [doc[a]["fit"] for a in ARGON]


# --- fast-import ----------------------------------------------------------------------------


MALLOC_ENV = {"MALLOC_TRIM_THRESHOLD_": str(1 << 30), "MALLOC_MMAP_THRESHOLD_": str(1 << 30)}
"""fast-import allocates and frees a zlib state per blob; with glibc's default trimming that
is ~6 ``brk`` calls and fresh zeroed pages per blob (half the run time as system time)."""


class FastImport:
    """One ``git fast-import`` process fed through its stdin."""

    def __init__(self, repo: Path, *, compression: int = 1) -> None:
        self.proc = subprocess.Popen(
            [
                "git",
                "-c",
                f"pack.compression={compression}",
                "fast-import",
                "--quiet",
                "--done",
            ],
            cwd=repo,
            stdin=subprocess.PIPE,
            bufsize=1 << 20,
            env={**os.environ, **MALLOC_ENV},
        )
        assert self.proc.stdin is not None
        self.out = self.proc.stdin
        self.mark = 0
        self.commits = 0
        self._shared: dict[bytes, int] = {}

    def blob(self, data: bytes) -> int:
        self.mark += 1
        self.out.write(b"blob\nmark :%d\ndata %d\n" % (self.mark, len(data)))
        self.out.write(data)
        self.out.write(b"\n")
        return self.mark

    def shared_blob(self, data: bytes) -> int:
        """A blob written once and referenced by mark afterwards (constant contents)."""
        mark = self._shared.get(data)
        if mark is None:
            mark = self._shared[data] = self.blob(data)
        return mark

    def commit(
        self,
        message: str,
        when: datetime,
        files: Sequence[tuple[str, int]],
        branch: str = "master",
    ) -> None:
        self.mark += 1
        self.commits += 1
        stamp = int((when - datetime(1970, 1, 1)).total_seconds()) + TZ_SECONDS
        who = f"{AUTHOR_NAME} <{AUTHOR_EMAIL}> {stamp} {TZ}".encode()
        msg = message.encode()
        lines = [
            b"commit refs/heads/%s\nmark :%d\nauthor %s\ncommitter %s\ndata %d\n%s\n"
            % (branch.encode(), self.mark, who, who, len(msg), msg)
        ]
        lines.extend(b"M 100644 :%d %s\n" % (m, p.encode()) for p, m in files)
        lines.append(b"\n")
        self.out.write(b"".join(lines))

    def __enter__(self) -> FastImport:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        """Finish the stream; on an error, stop fast-import (it writes nothing then)."""
        if exc_type is not None:
            self.proc.kill()
            self.proc.wait()
            return
        self.out.write(b"done\n")
        self.out.close()
        if self.proc.wait() != 0:
            raise RuntimeError(f"git fast-import failed with code {self.proc.returncode}")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


WORKTREES = ("sparse", "full")
SPARSE_PATTERNS = "/*\n!/*/\n"
"""Sparse checkout of the root files only (README, spectrometer files)."""


def checkout(path: Path, worktree: str) -> None:
    """Populate index and working tree from ``master``: ``full`` writes every file (slow on
    some file systems: ~700,000 files for 100k analyses); ``sparse`` writes the root files
    only and marks the rest skip-worktree, so ``git status`` is clean either way."""
    if worktree not in WORKTREES:
        raise ValueError(f"worktree must be one of {WORKTREES}, not {worktree!r}")
    if worktree == "sparse":
        _git(path, "config", "core.sparseCheckout", "true")
        info = path / ".git" / "info"
        info.mkdir(exist_ok=True)
        (info / "sparse-checkout").write_text(SPARSE_PATTERNS)
    _git(path, "reset", "--hard", "-q")


def is_sparse(path: Path) -> bool:
    config = GitRepo(path).raw.config
    return "core.sparseCheckout" in config and config.get_bool("core.sparseCheckout")


def _init(path: Path) -> None:
    path.mkdir(parents=True)
    _git(path, "init", "-q", "-b", "master")


# --- one data repository ----------------------------------------------------------------------


@dataclass(slots=True)
class RepoTask:
    """Everything a worker needs to build one repository (picklable)."""

    path: Path
    index: int
    repos: int
    analyses: int
    seed: int
    samples: list[Sample]
    blanks: list[Sample]
    start: datetime
    batch_size: int
    worktree: str


@dataclass(slots=True)
class _State:
    """What ``add_analysis`` needs to continue a generated repository."""

    name: str
    index: int
    repos: int
    samples: list[Sample]
    blanks: list[Sample]
    specs: list[str]
    aliquots: dict[str, int]
    blank_count: int
    last_time: datetime
    last_blank: dict[str, tuple[str, str]]

    def to_json(self) -> bytes:
        doc = asdict(self)
        doc["last_time"] = self.last_time.isoformat()
        return orjson.dumps(doc)

    @classmethod
    def from_json(cls, raw: bytes) -> _State:
        doc = orjson.loads(raw)
        doc["samples"] = [Sample(**s) for s in doc["samples"]]
        doc["blanks"] = [Sample(**s) for s in doc["blanks"]]
        doc["last_time"] = datetime.fromisoformat(doc["last_time"])
        doc["last_blank"] = {k: tuple(v) for k, v in doc["last_blank"].items()}
        return cls(**doc)


def _uuid(rng: np.random.Generator) -> str:
    return str(uuidlib.UUID(bytes=rng.bytes(16), version=4))


class _Planner:
    """Decides the sequence of runs of one repository: step-heating groups, blanks, airs."""

    def __init__(self, state: _State, rng: np.random.Generator) -> None:
        self.state = state
        self.rng = rng
        self.queue = 0

    def _blank_aliquot(self) -> int:
        """Blank/air aliquots interleave across repositories so run IDs stay unique."""
        self.state.blank_count += 1
        return self.state.blank_count * self.state.repos + self.state.index

    def group(self, limit: int, mean_gap: float) -> list[Run]:
        st, rng = self.state, self.rng
        u = rng.random(8).tolist()
        spec = SPEC_BY_NAME[st.specs[0] if u[0] < 0.8 or len(st.specs) == 1 else st.specs[1]]
        device = spec.devices[0] if u[1] < 0.7 else spec.devices[1]
        when = st.last_time + timedelta(minutes=float(rng.exponential(mean_gap)) + 30)
        self.queue += u[7] < 0.05
        queue = f"{spec.name}_{when:%y%m%d}_{self.queue:03d}"
        if u[2] < 0.28:  # blanks and airs: ~7 % of the analyses
            kind = "blank_unknown" if u[2] < 0.2 else "air"
            code = DEVICE_CODE[device]
            wanted = (
                f"bu-{code}-{spec.letter}" if kind == "blank_unknown" else f"a-01-{spec.letter}"
            )
            sample = next(s for s in st.blanks if s.identifier == wanted)
            aliquot, steps = self._blank_aliquot(), [None]
        else:
            sample = st.samples[int(rng.integers(len(st.samples)))]
            aliquot = st.aliquots.get(sample.identifier, 0) + 1
            st.aliquots[sample.identifier] = aliquot
            n = 1 if sample.kind == "monitor" or u[3] < 0.3 else int(rng.integers(2, 13))
            steps = [None] if n == 1 else list(range(min(n, limit)))
        runs = []
        for step in steps:
            runs.append(Run(_uuid(rng), sample, aliquot, step, spec, device, when, queue))
            when += timedelta(
                minutes=18 + 6 * float(rng.random()), microseconds=int(rng.integers(1_000_000))
            )
        st.last_time = runs[-1].when
        return runs


def _epoch_start(index: int, repos: int, rng: np.random.Generator) -> datetime:
    days = int(index * 2500 / max(repos, 1) + rng.integers(0, 60))
    return datetime(2016, 1, 4, 8, 0) + timedelta(days=days)


class _History:
    """Writes the commits of one data repository into a fast-import stream."""

    def __init__(self, fi: FastImport, factory: Factory, rng: np.random.Generator) -> None:
        self.fi = fi
        self.factory = factory
        self.rng = rng
        self.present: set[str] = set()
        self.batches = 0
        self.tagged = 0
        self.interpreted_ages = 0

    def commit(self, message: str, when: datetime, files: list[tuple[str, int]]) -> None:
        self.fi.commit(message, when, files)
        self.present.update(p for p, _ in files)

    def collection(self, batch: list[Run], extra: dict[str, bytes], end: datetime) -> None:
        """``<COLLECTION>`` of a batch; every 3rd batch then gets an ``<ISOEVO>`` refit of
        its unknowns, and ~10 % of the batch is tagged ``omit``/``invalid``."""
        fi = self.fi
        rendered = self.factory.batch(batch)
        paths = [_paths(r.uuid) for r in batch]
        entries = [(p, fi.blob(data)) for p, data in extra.items()]
        for kind in KINDS:  # grouped by kind: fast-import deltas each blob on the previous
            for p, files in zip(paths, rendered, strict=True):
                data = files[kind]
                mark = fi.shared_blob(data) if kind == "icfactors" else fi.blob(data)
                entries.append((p[kind], mark))
        self.commit(COLLECTION, end, entries)
        self.batches += 1
        if self.batches % 3 == 2:
            fits: list[str] = []
            redo = []
            for run, p, files in zip(batch, paths, rendered, strict=True):
                if run.sample.kind in {"unknown", "monitor"}:
                    data, fits = self.factory.reduced_intercepts(run, files["intercepts"])
                    redo.append((p["intercepts"], fi.blob(data)))
            if redo:
                msg = fits_message(ISOEVO, "intercepts", zip(ARGON, fits, strict=True))
                self.commit(msg, end + timedelta(days=3), redo)
        draw = self.rng.random(len(batch)).tolist()
        for n, (tag, lo, hi) in enumerate((("omit", 0.0, 0.07), ("invalid", 0.07, 0.10))):
            chosen = [(r, p) for r, p, x in zip(batch, paths, draw, strict=True) if lo <= x < hi]
            if chosen:
                mark = fi.shared_blob(TAG_FILES[tag])
                msg = tag_message(tag, chosen[0][0].record_id, chosen[-1][0].record_id)
                self.commit(
                    msg, end + timedelta(days=4, minutes=n), [(p["tags"], mark) for _, p in chosen]
                )
                self.tagged += len(chosen)

    def interpreted_age(self, group: list[Run]) -> None:
        """``<IA> added interpreted ages …`` for one step-heating aliquot (once per identifier)."""
        path, data = _ia_file(group, self.rng)
        if path in self.present:
            return
        first = group[0]
        msg = (
            f"{IA} added interpreted ages {first.aliquot:02d} "
            f"{first.sample.identifier} {first.sample.sample}"
        )
        self.commit(msg, group[-1].when + timedelta(days=5), [(path, self.fi.blob(data))])
        self.interpreted_ages += 1


def build_repo(task: RepoTask) -> RepoSummary:
    """Generate one data repository from ``task`` (runs in a worker process)."""
    started = time.perf_counter()
    rng = np.random.default_rng([task.seed, 1 + task.index])
    name = task.path.name
    _init(task.path)
    names = [s.name for s in SPECTROMETERS]
    first = int(rng.integers(len(names)))
    specs = [SPEC_BY_NAME[names[first]], SPEC_BY_NAME[names[(first + 1) % len(names)]]]
    state = _State(
        name,
        task.index,
        task.repos,
        task.samples,
        task.blanks,
        [s.name for s in specs],
        {},
        0,
        task.start,
        {},
    )
    planner = _Planner(state, rng)
    factory = Factory(name, rng)
    # minutes between run groups, so that the repository spans 1-4 years
    mean_gap = float(rng.uniform(1, 4)) * 365 * 24 * 60 / max(1, task.analyses / 3.5)
    runs: list[Run] = []
    while len(runs) < task.analyses:
        runs.extend(planner.group(task.analyses - len(runs), mean_gap))
    ia_every = max(1, len(runs) // (2 + task.analyses // 2500))
    next_ia = ia_every // 2
    with FastImport(task.path) as fi:
        history = _History(fi, factory, rng)
        readme = b"# " + name.encode()
        history.commit(
            "Initial commit", task.start - timedelta(days=1), [("README.md", fi.blob(readme))]
        )
        extra = {f"{s.spec_sha}.json": dumps(s.spectrometer_file) for s in specs}
        for start in range(0, len(runs), task.batch_size):
            batch = runs[start : start + task.batch_size]
            history.collection(batch, extra, batch[-1].when + timedelta(minutes=2))
            extra = {}
            stop = start + len(batch)
            while next_ia < stop:  # a few interpreted ages of step-heating aliquots
                lo, hi = _group_at(runs, next_ia)
                next_ia += ia_every
                if hi - lo >= 2 and hi < stop and runs[lo].sample.kind == "unknown":
                    history.interpreted_age(runs[lo : hi + 1])
    checkout(task.path, task.worktree)
    state.last_blank = factory.last_blank
    (task.path / ".git" / STATE_FILE).write_bytes(state.to_json())
    return RepoSummary(
        name,
        len(runs),
        len(history.present),
        fi.commits,
        history.tagged,
        history.interpreted_ages,
        time.perf_counter() - started,
    )


def _group_at(runs: list[Run], index: int) -> tuple[int, int]:
    """First and last index of the aliquot that ``runs[index]`` belongs to."""
    key = (runs[index].sample.identifier, runs[index].aliquot)
    lo = hi = index
    while lo > 0 and (runs[lo - 1].sample.identifier, runs[lo - 1].aliquot) == key:
        lo -= 1
    while hi + 1 < len(runs) and (runs[hi + 1].sample.identifier, runs[hi + 1].aliquot) == key:
        hi += 1
    return lo, hi


def _ia_file(group: list[Run], rng: np.random.Generator) -> tuple[str, bytes]:
    """A 2022-style interpreted age (plateau) of one step-heating aliquot."""
    first = group[0]
    s = first.sample
    age = float(rng.uniform(0.5, 60.0))
    ages = (age * (1 + rng.normal(0, 0.002, len(group)))).tolist()
    errs = (np.abs(rng.normal(0.01, 0.003, len(group))) * age).tolist()
    analyses = [
        {
            "age": a,
            "age_err": e,
            "age_err_wo_j": e * 0.9,
            "age_units": "Ma",
            "kca": float(rng.uniform(1, 60)),
            "kca_err": 0.5,
            "plateau_step": i > 0,
            "radiogenic_yield": float(rng.uniform(50, 99.9)),
            "record_id": r.record_id,
            "rundate": r.when.isoformat(timespec="microseconds"),
            "tag": "ok",
            "uuid": r.uuid,
        }
        for i, (r, a, e) in enumerate(zip(group, ages, errs, strict=True))
    ]
    doc = {
        "analyses": analyses,
        "collection_metadata": {"instrument": first.spec.name, "technique": "Ar/Ar"},
        "name": f"{first.aliquot:02d}",
        "preferred": {
            "age": age,
            "age_err": age * 0.002,
            "display_age_units": "Ma",
            "include_j_error_in_mean": True,
            "include_j_error_in_plateau": True,
            "include_j_position_error": False,
            "mswd": float(rng.uniform(0.3, 2.5)),
            "nanalyses": len(group) - 1,
            "preferred_kinds": [
                {
                    "attr": "age",
                    "error": age * 0.002,
                    "error_kind": "SEM, but if MSWD>1 use SEM * sqrt(MSWD)",
                    "kind": "Plateau",
                    "unit": "Ma",
                    "value": age,
                    "weighting": "",
                }
            ],
        },
        "sample_metadata": {
            "irradiation": s.irradiation,
            "irradiation_level": s.level,
            "irradiation_position": s.position,
            "material": s.material,
            "principal_investigator": s.principal_investigator,
            "project": s.project,
            "sample": s.sample,
        },
        "session_metadata": {"date": (group[-1].when + timedelta(days=5)).isoformat()},
        "uuid": _uuid(rng),
    }
    return ia_address(s.identifier, 0).path, dumps(doc)


# --- MetaData -------------------------------------------------------------------------------


def _production(rng: np.random.Generator) -> dict[str, list[float]]:
    def r(v: float, e: float) -> list[float]:
        return [float(f"{v * (1 + 0.05 * (rng.random() - 0.5)):.4g}"), e]

    return {
        "Ca3637": r(0.00028, 2e-06),
        "Ca3837": r(0.0001, 2e-06),
        "Ca3937": r(0.0007, 2e-06),
        "Ca_K": [1.96, 0.0],
        "Cl3638": [250.0, 0.0],
        "Cl_K": [0.227, 0.0],
        "K3739": r(0.00015, 1.5e-05),
        "K3839": r(0.0124, 1e-05),
        "K4039": r(0.0085, 0.00017),
    }


FLUX_OPTIONS = {
    "model_kind": "Plane",
    "monitor_age": 28.201,
    "monitor_material": "FC-2",
    "monitor_name": "FC-2",
    "monitor_reference": "FC Min",
    "monte_carlo_ntrials": 10000,
    "predicted_j_error_type": "SEM, but if MSWD>1 use SEM * sqrt(MSWD)",
    "use_monte_carlo": True,
    "use_weighted_fit": True,
}


def _position(s: Sample, j: float | None, jerr: float) -> dict[str, Any]:
    """A level-file position: new (``j`` None: identifier only) or with its fitted J."""
    irradiated = s.kind in {"unknown", "monitor"}
    if j is None:
        return {"decay_constants": {}, "identifier": s.identifier, "position": s.position}
    return {
        "analyses": [],
        "decay_constants": dict(DECAY) if irradiated else {},
        "identifier": s.identifier,
        "j": j,
        "j_err": jerr,
        "mean_j": 0.0,
        "mean_j_err": 0.0,
        "mean_j_mswd": 0.0,
        "options": dict(FLUX_OPTIONS) if irradiated else {},
        "position": s.position,
        "position_jerr": 0.0,
    }


def build_meta(
    path: Path, irradiations: list[_Irradiation], rng: np.random.Generator
) -> tuple[int, int]:
    """The MetaRepo, fully checked out. Returns (files, commits)."""
    _init(path)
    present: set[str] = set()
    with FastImport(path) as fi:
        for message, when, files in _meta_history(irradiations, rng):
            fi.commit(message, when, [(p, fi.blob(d)) for p, d in files.items()])
            present.update(files)
    checkout(path, "full")
    return len(present), fi.commits


def _meta_history(
    irradiations: list[_Irradiation], rng: np.random.Generator
) -> Iterator[tuple[str, datetime, dict[str, bytes]]]:
    """(message, time, files) of each MetaRepo commit: the initial files, then per
    irradiation a ``Labnumber Entry Save`` (chronology, productions, levels with identifiers)
    and one ``fit flux for <irr><level>`` per level (J of every position)."""
    yield "Initial commit", datetime(2013, 12, 1, 9, 0), initial_files(META_NAME)
    for irr in sorted(irradiations, key=lambda i: i.start):
        blank = irr.name == "NoIrradiation"
        prod_name = irr.name if blank else f"{irr.name}_PR"
        prod = {k: [0.0, 0.0] for k in _production(rng)} if blank else _production(rng)
        level_map: dict[str, str] = dict.fromkeys(irr.levels, prod_name)
        files = {
            f"{irr.name}/chronology.txt": b"" if blank else _chronology(irr.start, rng),
            f"{irr.name}/productions.json": dumps(
                level_map if blank else {**level_map, "note": "None"}
            ),
            f"{irr.name}/productions/{prod_name}.json": dumps(prod),
        }
        for letter, samples in irr.levels.items():
            files[f"{irr.name}/{letter}.json"] = dumps(
                {"positions": [_position(s, None, 0.0) for s in samples], "z": 0}
            )
        yield "Labnumber Entry Save", irr.start - timedelta(days=20), files
        for n, (letter, samples) in enumerate(irr.levels.items()):
            if blank:
                positions = [_position(s, 0, 0) for s in samples]
            else:
                j0 = float(rng.uniform(0.0005, 0.008))
                g = rng.normal(0, 0.004, 2)
                positions = []
                for s in samples:
                    angle = 2 * math.pi * s.position / len(samples)
                    j = j0 * (1 + g[0] * math.cos(angle) + g[1] * math.sin(angle))
                    positions.append(_position(s, j, j * float(rng.uniform(1e-4, 4e-4))))
            doc = {"positions": positions, "z": 10 * n}
            path = f"{irr.name}/{letter}.json"
            yield (
                f"fit flux for {irr.name}{letter}",
                irr.start + timedelta(days=90 + n),
                {path: dumps(doc)},
            )


def _chronology(start: datetime, rng: np.random.Generator) -> bytes:
    lines = []
    t = start
    for _ in range(int(rng.integers(1, 6))):
        hours = int(rng.integers(2, 9))
        lines.append(f"1.0,{t:%Y-%m-%d %H:%M:%S},{t + timedelta(hours=hours):%Y-%m-%d %H:%M:%S}")
        t += timedelta(days=1, minutes=int(rng.integers(-120, 120)))
    return "\n".join(lines).encode()


# --- the lab --------------------------------------------------------------------------------


def repo_name(index: int) -> str:
    return f"Bench{index:02d}"


def generate_lab(
    root: Path,
    *,
    analyses: int,
    repos: int,
    seed: int = 0,
    meta: bool = True,
    workers: int | None = None,
    batch_size: int | None = None,
    worktree: str = "sparse",
) -> LabSummary:
    """Create ``root/MetaData`` and ``root/repositories/Bench00…`` holding ``analyses``
    analyses spread evenly over ``repos`` repositories. Deterministic for a ``seed``
    (same commit ids). ``root`` must not contain either yet."""
    started = time.perf_counter()
    if repos < 1 or analyses < repos:
        raise ValueError("need at least one repository and one analysis per repository")
    root = Path(root)
    rng = np.random.default_rng([seed, 0])
    irradiations = _plan(rng, analyses, repos)
    unknowns = [s for irr in irradiations[:-1] for level in irr.levels.values() for s in level]
    blanks = irradiations[-1].levels["A"]
    order = rng.permutation(len(unknowns)).tolist()
    tasks = []
    for i in range(repos):
        n = analyses // repos + (i < analyses % repos)
        samples = [unknowns[k] for k in order[i::repos]]
        size = batch_size or max(5, min(250, math.ceil(n / 4)))
        start = _epoch_start(i, repos, rng)
        tasks.append(
            RepoTask(
                path=root / "repositories" / repo_name(i),
                index=i,
                repos=repos,
                analyses=n,
                seed=seed,
                samples=samples,
                blanks=blanks,
                start=start,
                batch_size=size,
                worktree=worktree,
            )
        )
    (root / "repositories").mkdir(parents=True, exist_ok=True)
    n_workers = workers or min(repos, os.cpu_count() or 1)
    with ProcessPoolExecutor(n_workers) as pool:
        futures = [pool.submit(build_repo, t) for t in tasks]
        meta_files = meta_commits = 0
        if meta:
            meta_files, meta_commits = build_meta(
                root / META_NAME, irradiations, np.random.default_rng([seed, 10**6])
            )
        results = [f.result() for f in futures]
    identifiers = {
        irr.name: {lv: [s.identifier for s in samples] for lv, samples in irr.levels.items()}
        for irr in irradiations
    }
    return LabSummary(
        root,
        {r.name: r for r in results},
        identifiers,
        meta_files,
        meta_commits,
        time.perf_counter() - started,
    )


# --- incremental changes --------------------------------------------------------------------


def add_analysis(repo_path: Path, rng: np.random.Generator) -> str:
    """Append one new single-step analysis to a generated repository as one ``<COLLECTION>``
    commit (``commit_files``: index-free, atomic, working tree kept in step). Returns its uuid."""
    state_path = Path(repo_path) / ".git" / STATE_FILE
    state = _State.from_json(state_path.read_bytes())
    planner = _Planner(state, rng)
    group = planner.group(1, 60.0)[:1]
    run = group[0]
    factory = Factory(state.name, rng)
    factory.last_blank = dict(state.last_blank)
    files = factory.batch([run])[0]
    paths = _paths(run.uuid)
    changes = {paths[kind]: data for kind, data in files.items()}
    _commit(GitRepo(repo_path), changes, COLLECTION, when=_aware(run.when + timedelta(minutes=2)))
    state.last_blank = factory.last_blank
    state_path.write_bytes(state.to_json())
    return run.uuid


@dataclass(slots=True)
class Changes:
    """What :func:`modify_and_delete` committed."""

    commit: str
    modified: list[str]
    """uuids whose intercepts (and for about half of them, tag) were rewritten"""
    deleted: list[str]
    """uuids whose files were all removed"""
    written: list[str]
    removed: list[str]


def modify_and_delete(
    repo_path: Path, n_modify: int, n_delete: int, rng: np.random.Generator
) -> Changes:
    """Rewrite the intercepts of ``n_modify`` analyses (and retag about half of them) and
    delete ``n_delete`` analyses entirely, in one commit."""
    git = GitRepo(repo_path)
    tree = git.tree()
    mains = list(main_files(git.raw, tree))
    picked = rng.choice(len(mains), size=n_modify + n_delete, replace=False).tolist()
    changes: dict[str, bytes | None] = {}
    modified, deleted = [], []
    for k, idx in enumerate(picked):
        main = mains[idx]
        found = locate_files(git.raw, tree, main.shard, main.tail)
        uid = main.shard + main.tail
        if k < n_modify:
            path = found["intercepts"].path
            doc = loads(git.raw[found["intercepts"].blob_id].data, path=path)
            for entry in doc.values():
                entry["value"] *= 1 + 1e-4 * float(rng.standard_normal())
                entry["reviewed"] = True
            changes[path] = dumps(doc)
            if rng.random() < 0.5:
                current = (
                    orjson.loads(git.raw[found["tags"].blob_id].data)["name"]
                    if "tags" in found
                    else "ok"
                )
                new = "ok" if current != "ok" else ("omit", "invalid")[int(rng.integers(2))]
                tag_path = (
                    found["tags"].path
                    if "tags" in found
                    else FileAddress(main.shard, main.tail, "tags", reduction=True).path
                )
                changes[tag_path] = TAG_FILES[new]
            modified.append(uid)
        else:
            for stored in found.values():
                changes[stored.path] = None
            deleted.append(uid)
    message = f"<MANUAL> modified {len(modified)}, deleted {len(deleted)} analyses"
    result = _commit(git, changes, message, force_deletions=True)
    return Changes(result.commit, modified, deleted, sorted(result.written), sorted(result.deleted))


def _commit(
    git: GitRepo,
    changes: Mapping[str, bytes | None],
    message: str,
    *,
    when: datetime | None = None,
    force_deletions: bool = False,
) -> CommitResult:
    """One ``commit_files`` commit. A sparse checkout is not something ardvc's working-tree
    sync knows (it would report the absent files as local edits), so there the index is
    brought to the new HEAD with ``git read-tree -m -u`` instead."""
    sparse = is_sparse(git.path)
    result = commit_files(
        git,
        changes,
        message,
        AUTHOR,
        when=when,
        force_deletions=force_deletions,
        update_worktree=not sparse,
    )
    if result.commit is None:
        raise RuntimeError(f"no commit made in {git.path}: the changes left the tree as it was")
    if sparse:
        _git(git.path, "read-tree", "-m", "-u", "HEAD")
    return result


def _aware(naive: datetime) -> datetime:
    return naive.replace(tzinfo=timezone(timedelta(seconds=-TZ_SECONDS)))


# --- command line ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--analyses", type=int, default=100_000)
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--no-meta", action="store_true")
    parser.add_argument("--worktree", choices=WORKTREES, default="sparse")
    args = parser.parse_args(argv)
    summary = generate_lab(
        args.root,
        analyses=args.analyses,
        repos=args.repos,
        seed=args.seed,
        meta=not args.no_meta,
        workers=args.workers,
        worktree=args.worktree,
    )
    print(summary.line())


if __name__ == "__main__":
    main()
