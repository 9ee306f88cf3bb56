"""What one simulated run hands to the persister, and the truth it was made from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ardvc.formats.runid import make_runid
from ardvc.persist.sim_gas import Composition
from ardvc.persist.sim_instrument import Array

Series = tuple[Array, Array]
"""(t, y): seconds since time zero, intensity in fA."""


@dataclass(frozen=True, eq=False)
class PeakCenter:
    """A magnet scan per detector ``{det: (dac, signal)}`` and the centre found."""

    reference_detector: str
    reference_isotope: str
    scans: Mapping[str, Series]
    center_dac: float


@dataclass(frozen=True, eq=False)
class RunTruth:
    """The values the simulated data were made from.

    * ``intercepts``: expected fitted value at t = 0 per isotope (fA, baseline included, as
      the intercepts file stores it);
    * ``baselines``: expected baseline per detector (fA);
    * ``blanks``: blank gas actually in this run (fA, detector units, baseline-free);
    * ``icfactors``: true effective IC factor per detector (IC × discrimination correction);
    * ``intensities``: reduce_batch's ``intensities`` for these inputs;
    * ``productions``: the production ratios the reactor really delivered.
    """

    gas: Composition
    intercepts: Mapping[str, float]
    baselines: Mapping[str, float]
    blanks: Mapping[str, float]
    icfactors: Mapping[str, float]
    productions: Mapping[str, float]
    j: float | None = None
    lambda_k: float | None = None
    df37: float | None = None
    df39: float | None = None
    chlorine_days: float | None = None
    sensitivity: float | None = None

    @property
    def intensities(self) -> Mapping[str, float]:
        return self.gas.intensities

    @property
    def age(self) -> float | None:
        """True age (Ma) of an irradiated run."""
        return self.gas.age

    @property
    def f(self) -> float | None:
        return self.gas.f

    @property
    def k39(self) -> float | None:
        return self.gas.k39

    @property
    def radiogenic_yield(self) -> float | None:
        return self.gas.radiogenic_yield

    @property
    def kca(self) -> float | None:
        return self.gas.kca

    @property
    def moles_k39(self) -> float | None:
        if self.gas.k39 is None or self.sensitivity is None:
            return None
        return self.gas.k39 * self.sensitivity


@dataclass(frozen=True)
class LabDefaults:
    """What the lab would save as collection defaults: blank and IC-factor estimates whose
    deviations from the truth are drawn with exactly the σ stated here (so propagated errors
    are honest), and the record id of the preceding blank."""

    blanks: Mapping[str, tuple[float, float]]
    icfactors: Mapping[str, tuple[float, float]]
    previous_blank: str | None


@dataclass(frozen=True, eq=False)
class SimulatedRun:
    """Everything acquisition software hands to the persister for one run, plus the truth.

    ``signals``/``sniffs`` are keyed by (isotope, detector), ``baselines`` by detector.
    """

    identifier: str
    aliquot: int
    increment: int | None
    analysis_type: str
    mass_spectrometer: str
    isotopes: Mapping[str, str]
    sample: str
    material: str
    project: str
    principal_investigator: str
    irradiation: str
    irradiation_level: str
    irradiation_position: int
    timestamp: datetime
    extract_device: str
    extract_value: float
    extract_units: str
    extract_duration: float
    cleanup_duration: float
    load_position: int | None
    spectrometer: Mapping[str, Any]
    signals: Mapping[tuple[str, str], Series]
    sniffs: Mapping[tuple[str, str], Series]
    baselines: Mapping[str, Series]
    peak_center: PeakCenter
    truth: RunTruth
    defaults: LabDefaults

    @property
    def record_id(self) -> str:
        return make_runid(self.identifier, self.aliquot, self.increment)

    def metadata(self) -> dict[str, Any]:
        """Keyword arguments of ``ardvc.persist.metadata.RunMetadata``."""
        return {
            "identifier": self.identifier,
            "aliquot": self.aliquot,
            "increment": self.increment,
            "analysis_type": self.analysis_type,
            "mass_spectrometer": self.mass_spectrometer,
            "isotopes": dict(self.isotopes),
            "sample": self.sample,
            "material": self.material,
            "project": self.project,
            "principal_investigator": self.principal_investigator,
            "irradiation": self.irradiation,
            "irradiation_level": self.irradiation_level,
            "irradiation_position": self.irradiation_position,
            "timestamp": self.timestamp,
            "extract_device": self.extract_device,
            "spectrometer": {k: dict(v) for k, v in self.spectrometer.items()},
        }

    def extraction(self) -> dict[str, Any]:
        """Keyword arguments of ``save_extraction``."""
        positions: list[dict[str, Any]] = []
        if self.load_position is not None:
            positions.append(
                {"position": self.load_position, "x": 0.0, "y": 0.0, "z": 0.0, "is_degas": False}
            )
        return {
            "extract_value": self.extract_value,
            "extract_units": self.extract_units,
            "extract_duration": self.extract_duration,
            "cleanup_duration": self.cleanup_duration,
            "positions": positions,
        }
