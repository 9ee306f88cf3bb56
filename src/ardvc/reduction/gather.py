"""Gathering reduction inputs from git: analyses of a data repository plus the MetaRepo.

Loading precedence follows pychron-format.md §10: isotopes by ``arar_mapping``, baselines by
detector, blanks by isotope, IC factors by detector; J from a frozen flux file in the data
repository, else the level position; productions frozen in the data repository, else the
MetaRepo level's production. What is missing is a per-analysis error naming the input,
never a zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from ardvc.data import Analysis, DataRepo
from ardvc.errors import ArdvcError, MissingInputError
from ardvc.meta import MetaRepo
from ardvc.meta.errors import SensitivityNotFoundError, SpectrometerNotFoundError
from ardvc.reduce.constants import ArArConstants
from ardvc.reduce.conventions import Conventions
from ardvc.reduce.decay import chlorine_decay_days, segment_arrays
from ardvc.reduce.inputs import ISOTOPES, PRODUCTION_KEYS, ArArInputs, IsotopeInputs

NOT_BLANK_CORRECTED = ("blank", "detector_ic", "background")


@dataclass
class Irradiation:
    """Everything one analysis needs from its irradiation, with provenance."""

    segments: list[tuple[float, datetime, datetime]]
    production: dict[str, tuple[float, float]]
    j: float
    j_err: float
    lambda_k: float
    files: dict[str, str]


@dataclass
class GatherResult:
    analyses: list[Analysis]
    inputs: ArArInputs
    provenance: list[dict[str, Any]]
    failures: list[tuple[Analysis, str]] = field(default_factory=list)


class InputGatherer:
    """Reads the MetaRepo once per irradiation/level for a batch of analyses."""

    def __init__(
        self,
        meta: MetaRepo,
        meta_rev: str | None,
        constants: ArArConstants,
        conventions: Conventions,
        repos: dict[str, DataRepo] | None = None,
    ) -> None:
        self.meta = meta
        self.meta_commit = meta.commit_id(meta_rev)
        self.constants = constants
        self.conventions = conventions
        self.repos = repos or {}
        self._irradiations: dict[tuple[str, str, int, str, str], Irradiation] = {}

    def _blob(self, path: str) -> str:
        return self.meta.git.blob_id(path, self.meta_commit) or ""

    def irradiation(self, analysis: Analysis) -> Irradiation:
        main = analysis.main
        irr, level, pos = main.irradiation, main.irradiation_level, main.irradiation_position
        if not irr or not level or pos is None:
            raise MissingInputError(
                f"{main.record_id} has no irradiation position (irradiation={irr!r}, "
                f"level={level!r}, position={pos!r}): no J, no age"
            )
        key = (irr, level, int(pos), analysis.repo, analysis.commit)
        if key in self._irradiations:
            return self._irradiations[key]
        commit = self.meta_commit
        chronology = self.meta.chronology(irr, commit)
        if chronology.is_empty:
            raise MissingInputError(
                f"irradiation {irr} has an empty chronology in {self.meta.name} at "
                f"{commit[:12]}: decay factors undefined for {main.record_id}"
            )
        files = {f"{irr}/chronology.txt": self._blob(f"{irr}/chronology.txt")}
        repo = self.repos.get(analysis.repo)
        frozen_prod = repo.frozen_production(irr, level, analysis.commit) if repo else None
        if frozen_prod is not None:
            ratios = frozen_prod.require()
            files[f"{analysis.repo}:{frozen_prod.path}"] = analysis.commit
        else:
            production = self.meta.production(irr, level, commit)
            ratios = dict(production.ratios)
            files[production.path] = self._blob(production.path)
        frozen_flux = repo.frozen_flux(irr, analysis.commit) if repo else None
        position = self.meta.flux(irr, level, int(pos), commit)
        files[f"{irr}/{level}.json"] = self._blob(f"{irr}/{level}.json")
        if frozen_flux is not None and main.identifier in frozen_flux:
            j, j_err = frozen_flux[main.identifier]
            files[f"{analysis.repo}:{irr}.json"] = analysis.commit
        else:
            j, j_err = position.j, position.j_err or 0.0
        lam = self.constants.decay.total
        if position.lambda_k is not None and position.lambda_k[0]:
            lam = float(position.lambda_k[0])
        result = Irradiation(
            [(s.power, s.start, s.end) for s in chronology.segments],
            {k: ratios.get(k, (0.0, 0.0)) for k in PRODUCTION_KEYS},
            float(j),
            float(j_err),
            lam,
            files,
        )
        self._irradiations[key] = result
        return result

    def sensitivity(self, analysis: Analysis) -> float:
        main = analysis.main
        try:
            return self.meta.sensitivity(
                main.mass_spectrometer or "", main.timestamp_dt, self.meta_commit
            )
        except (SensitivityNotFoundError, SpectrometerNotFoundError):
            return math.nan


Fitted = dict[tuple[str, str, str], tuple[float, float] | str]
"""(analysis name, "signal"|"baseline", key) → refit (value, error), or why the refit failed."""


def _fitted(
    fitted: Fitted | None, analysis: Analysis, series: str, key: str
) -> tuple[float, float] | None:
    if fitted is None:
        return None
    found = fitted.get((analysis.name, series, key))
    if isinstance(found, str):
        raise MissingInputError(f"{analysis.record_id}: refit of the {series} {key}: {found}")
    return found


def _entry(values: Any, key: str, what: str, analysis: Analysis) -> tuple[float, float]:
    entry = values.get(key) if values is not None else None
    if entry is None or getattr(entry, "is_empty", False):
        raise MissingInputError(f"{analysis.record_id} has no {what} for {key}")
    value, error = entry.effective_value, entry.effective_error
    if value is None or error is None:
        raise MissingInputError(f"{analysis.record_id}: the {what} of {key} has no value")
    return float(value), float(error)


def isotope_row(analysis: Analysis, role: str, fitted: Fitted | None = None) -> dict[str, Any]:
    """Stored values of one isotope role of an analysis (intercept and baseline from
    ``fitted`` when the analysis was refitted from its raw data)."""
    main = analysis.main
    key = (main.arar_mapping or {}).get(role, role)
    if key not in main.isotopes:
        raise MissingInputError(f"{analysis.record_id} did not measure {role} ({key})")
    detector = main.isotopes[key].detector
    intercept, intercept_err = _fitted(fitted, analysis, "signal", key) or _entry(
        analysis.intercepts, key, "intercept", analysis
    )
    baseline, baseline_err = _fitted(fitted, analysis, "baseline", detector) or _entry(
        analysis.baselines, detector, "baseline", analysis
    )
    blank, blank_err = _entry(analysis.blanks, key, "blank", analysis)
    ic_entries = analysis.icfactors.by_detector() if analysis.icfactors else {}
    ic_entry = ic_entries.get(detector)
    ic, ic_err = (1.0, 0.0)
    if ic_entry is not None and ic_entry.effective_value:
        ic, ic_err = float(ic_entry.effective_value), float(ic_entry.effective_error or 0.0)
    stored = analysis.intercepts.get(key) if analysis.intercepts else None
    return {
        "intercept": intercept,
        "intercept_err": intercept_err,
        "baseline": baseline,
        "baseline_err": baseline_err,
        "blank": blank,
        "blank_err": blank_err,
        "ic": ic,
        "ic_err": ic_err,
        "detector": detector,
        "include_baseline_error": bool(stored and stored.include_baseline_error),
    }


def gather(
    analyses: Sequence[Analysis], gatherer: InputGatherer, fitted: Fitted | None = None
) -> GatherResult:
    """Inputs of every analysis that has them; the others become failures."""
    rows: list[tuple[Analysis, dict[str, dict[str, Any]], Irradiation, float]] = []
    failures: list[tuple[Analysis, str]] = []
    for analysis in analyses:
        try:
            isotopes = {role: isotope_row(analysis, role, fitted) for role in ISOTOPES}
            irradiation = gatherer.irradiation(analysis)
            sensitivity = gatherer.sensitivity(analysis)
        except ArdvcError as exc:
            failures.append((analysis, str(exc)))
            continue
        rows.append((analysis, isotopes, irradiation, sensitivity))
    return GatherResult(
        analyses=[r[0] for r in rows],
        inputs=_arrays(rows, gatherer),
        provenance=[_provenance(a, irr, gatherer) for a, _, irr, _ in rows],
        failures=failures,
    )


def _arrays(
    rows: list[tuple[Analysis, dict[str, dict[str, Any]], Irradiation, float]],
    gatherer: InputGatherer,
) -> ArArInputs:
    n = len(rows)
    isotopes = {}
    for role in ISOTOPES:
        iso = IsotopeInputs.empty(n)
        for attr in ("intercept", "intercept_err", "baseline", "baseline_err", "blank",
                     "blank_err", "ic", "ic_err"):  # fmt: skip
            getattr(iso, attr)[:] = [r[1][role][attr] for r in rows]
        iso.detector = np.array([r[1][role]["detector"] for r in rows], dtype=str)
        iso.include_baseline_error = np.array(
            [r[1][role]["include_baseline_error"] for r in rows], dtype=bool
        )
        isotopes[role] = iso
    conventions = gatherer.conventions
    runs = [r[0].main.timestamp_dt for r in rows]
    power, duration, elapsed = segment_arrays(
        runs, [r[2].segments for r in rows], decay_from=conventions.decay_from
    )
    chlorine = np.array(
        [
            chlorine_decay_days(run, r[2].segments[0][1], conventions.timezone)
            for run, r in zip(runs, rows, strict=True)
        ]
    )
    production = np.array([[r[2].production[k][0] for k in PRODUCTION_KEYS] for r in rows])
    production_err = np.array([[r[2].production[k][1] for k in PRODUCTION_KEYS] for r in rows])
    kinds = [r[0].main.normalised_analysis_type for r in rows]
    return ArArInputs(
        isotopes=isotopes,
        correct_for_blank=np.array([not k.startswith(NOT_BLANK_CORRECTED) for k in kinds]),
        power=power,
        duration=duration,
        elapsed=elapsed,
        chlorine_days=chlorine,
        production=production.reshape(n, len(PRODUCTION_KEYS)),
        production_err=production_err.reshape(n, len(PRODUCTION_KEYS)),
        j=np.array([r[2].j for r in rows]),
        j_err=np.array([r[2].j_err for r in rows]),
        lambda_k=np.array([r[2].lambda_k for r in rows]),
        sensitivity=np.array([r[3] for r in rows]),
    )


def _provenance(
    analysis: Analysis, irradiation: Irradiation, gatherer: InputGatherer
) -> dict[str, Any]:
    return {
        "repo": analysis.repo,
        "commit": analysis.commit,
        "files": {(m or "main"): f.blob_id for m, f in analysis.files.items()},
        "meta_repo": gatherer.meta.name,
        "meta_commit": gatherer.meta_commit,
        "meta_files": dict(irradiation.files),
    }
