"""A realistic multi-collector argon spectrometer: runs with known truth, no I/O.

Every irradiated run is built from a true age through the exact inverse of ardvc's
reduction chain (:mod:`ardvc.persist.sim_gas`), then turned into detector readings: divided
by the true IC factors and mass discrimination, plus the run's blank gas and the detector
baselines, evolved in time, with Johnson/shot/counting noise and a few spikes. Reducing the
data with ardvc and the lab's knowledge (:class:`~ardvc.persist.sim_run.LabDefaults`, the
plan's production ratios and J) recovers the age within its propagated error.

What the lab knows is drawn around the truth with the σ it states: production ratios the
reactor delivered differ from the plan's by their σ, IC-factor and blank estimates from
the truth by theirs. So every propagated error term is also a realised one, and a
normalised deviation (reduced − true)/σ is a standard normal if the engine is right.
Reduce with the simulated world's constants (:data:`SIM_CONSTANTS`: Lee et al. 2006 air,
40/36 = 298.56), not ardvc's default Nier 295.5, or atmosphere-rich steps come out biased.

Public API: :class:`Simulator` (one call per run kind), :class:`~ardvc.persist.sim_schedule
.Schedule` (a day of runs), :class:`~ardvc.persist.sim_plan.LabPlan`,
:class:`~ardvc.persist.sim_instrument.Instrument`, :class:`SimulatedRun`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

import numpy as np

from ardvc.persist.sim_gas import (
    Composition,
    compose_air,
    compose_blank,
    compose_cocktail,
    compose_irradiated,
)
from ardvc.persist.sim_instrument import MASS, Instrument
from ardvc.persist.sim_plan import Irradiation, LabPlan, PlannedPosition, SampleSpec, Step
from ardvc.persist.sim_run import LabDefaults, PeakCenter, RunTruth, Series, SimulatedRun
from ardvc.persist.sim_signals import evolve, inlet, measure, peak_scans, time_grid
from ardvc.reduce.constants import LEE_2006, ArArConstants
from ardvc.reduce.decay import chlorine_decay_days, decay_factors, segment_arrays

__all__ = [
    "SIM_CONSTANTS",
    "BlankModel",
    "Instrument",
    "Irradiation",
    "LabDefaults",
    "LabPlan",
    "PeakCenter",
    "PlannedPosition",
    "RunTruth",
    "SampleSpec",
    "SimulatedRun",
    "Simulator",
    "Step",
]

SIM_CONSTANTS = ArArConstants(atmosphere=LEE_2006)
"""Constants of the simulated world: Lee et al. (2006) air, 40/36 = 298.56."""

SPECIAL_POSITIONS = {"blank_unknown": 1, "air": 2, "cocktail": 3, "blank_air": 4}
"""Positions of the reference identifiers in ``NoIrradiation`` level ``A``."""
FIRST_ALIQUOTS = {"blank_unknown": 788, "air": 1402, "cocktail": 311, "blank_air": 95}

BLANK_LEVEL = {"Ar40": 0.80, "Ar39": 0.015, "Ar38": 0.0035, "Ar37": 0.014, "Ar36": 0.0028}
BLANK_ERROR = {"Ar40": 0.02, "Ar39": 0.007, "Ar38": 0.0045, "Ar37": 0.044, "Ar36": 1e-4}


@dataclass(frozen=True)
class BlankModel:
    """Line blank per isotope (fA, detector units): mean level, run-to-run relative
    scatter, and the 1σ of the lab's estimate of a run's blank (Cornudas-like)."""

    level: Mapping[str, float] = field(default_factory=lambda: dict(BLANK_LEVEL))
    scatter: float = 0.05
    error: Mapping[str, float] = field(default_factory=lambda: dict(BLANK_ERROR))


class Simulator:
    """Produces :class:`SimulatedRun` objects for one lab plan, deterministic for a seed.

    ``exact_lab=True`` gives the lab perfect knowledge (blanks, IC factors and production
    ratios equal to the truth, σ 0): only counting noise remains. ``timezone`` and
    ``decay_from`` must match the reduction's conventions (chlorine decay days, decay
    factors); ``constants`` its atmosphere and 37Ar/39Ar/36Cl decay constants.
    """

    def __init__(
        self,
        plan: LabPlan | None = None,
        seed: int | np.random.Generator = 0,
        *,
        constants: ArArConstants = SIM_CONSTANTS,
        timezone: str | None = None,
        decay_from: Literal["start", "end"] = "start",
        blanks: BlankModel | None = None,
        exact_lab: bool = False,
        air_ar40: float = 3000.0,
        cocktail_ar40: float = 2400.0,
    ) -> None:
        self.plan = plan or LabPlan()
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.constants = constants
        self.timezone = timezone
        self.decay_from: Literal["start", "end"] = decay_from
        self.blank_model = blanks or BlankModel()
        self.exact_lab = exact_lab
        self.air_ar40 = air_ar40
        self.cocktail_ar40 = cocktail_ar40
        self.true_productions = self._realise_productions()
        self.lab_icfactors = self._calibrate_icfactors()
        self._aliquots: dict[str, int] = {}
        self._last_blank: str | None = None
        self._air_shots = 0

    @property
    def instrument(self) -> Instrument:
        return self.plan.instrument

    @property
    def irradiation(self) -> Irradiation:
        return self.plan.irradiation

    # --- the lab's knowledge ---------------------------------------------------------------

    def _realise_productions(self) -> dict[str, float]:
        """What the reactor delivered: the plan's ratios off by their own σ."""
        out = {}
        for key, (value, err) in self.irradiation.productions.items():
            noise = 0.0 if self.exact_lab else err * self.rng.standard_normal()
            out[key] = value + noise
        return out

    def _calibrate_icfactors(self) -> dict[str, tuple[float, float]]:
        """The lab's IC factors: the true effective ones off by their stated σ."""
        out = {}
        for det, true in self.instrument.true_icfactors().items():
            sigma = 0.0 if self.exact_lab else true * self.instrument.detector(det).ic_rel_err
            out[det] = (true + sigma * self.rng.standard_normal(), sigma)
        return out

    def next_aliquot(self, identifier: str, first: int = 1) -> int:
        n = self._aliquots.get(identifier, first)
        self._aliquots[identifier] = n + 1
        return n

    # --- run kinds -------------------------------------------------------------------------

    def blank(self, when: datetime, kind: str = "blank_unknown") -> SimulatedRun:
        """A procedural blank: the extraction line's own gas, nothing heated."""
        run = self._special(kind, compose_blank(), when)
        self._last_blank = run.record_id
        return run

    def air(self, when: datetime) -> SimulatedRun:
        """An air pipette shot; the reservoir depletes by 0.02 % per shot."""
        atm = self.constants.atmosphere
        ar40 = self.air_ar40 * (1 - 2e-4) ** self._air_shots
        self._air_shots += 1
        return self._special("air", compose_air(ar40, atm.atm4036, atm.atm4038), when)

    def cocktail(self, when: datetime) -> SimulatedRun:
        return self._special("cocktail", compose_cocktail(self.cocktail_ar40), when)

    def monitor(self, position: int, when: datetime) -> SimulatedRun:
        """A single-grain total fusion of the monitor at ``position`` (new aliquot)."""
        pos = self.irradiation.position(position)
        if not pos.sample.monitor:
            raise ValueError(f"position {position} holds {pos.sample.sample}, not a monitor")
        step = pos.sample.steps[0]
        k39 = pos.sample.k39 * float(np.exp(0.2 * self.rng.standard_normal()))
        yield_ = min(99.5, step.radiogenic_yield + 0.5 * self.rng.standard_normal())
        aliquot = self.next_aliquot(pos.identifier)
        return self._irradiated(pos, aliquot, None, when, k39, yield_, step.kca, step.age)

    def step(self, position: int, increment: int, when: datetime, *, aliquot: int) -> SimulatedRun:
        """Step ``increment`` (0-based) of the heating schedule of the unknown at
        ``position``."""
        pos = self.irradiation.position(position)
        s = pos.sample.steps[increment]
        k39 = pos.sample.k39 * s.fraction
        return self._irradiated(
            pos, aliquot, increment, when, k39, s.radiogenic_yield, s.kca, s.age, s.extract_value
        )

    def step_heating(
        self, position: int, start: datetime, spacing: timedelta = timedelta(minutes=15)
    ) -> list[SimulatedRun]:
        """Every step of the unknown at ``position`` as one new aliquot."""
        pos = self.irradiation.position(position)
        aliquot = self.next_aliquot(pos.identifier)
        return [
            self.step(position, i, start + i * spacing, aliquot=aliquot)
            for i in range(len(pos.sample.steps))
        ]

    # --- building runs ---------------------------------------------------------------------

    def _special(self, kind: str, gas: Composition, when: datetime) -> SimulatedRun:
        identifier = self.instrument.special_identifier(kind)
        aliquot = self.next_aliquot(identifier, FIRST_ALIQUOTS.get(kind, 1))
        return self._build(
            gas, when, identifier=identifier, aliquot=aliquot, increment=None,
            analysis_type=kind, sample="", material="", project="REFERENCES",
            principal_investigator="NMGRL", irradiation="NoIrradiation",
            irradiation_level="A", irradiation_position=SPECIAL_POSITIONS.get(kind, 1),
            extract_value=0.0, extract_duration=0.0 if kind != "blank_unknown" else 30.0,
            load_position=None,
        )  # fmt: skip

    def _irradiated(
        self,
        pos: PlannedPosition,
        aliquot: int,
        increment: int | None,
        when: datetime,
        k39: float,
        radiogenic_yield: float,
        kca: float,
        age: float | None,
        extract_value: float | None = None,
    ) -> SimulatedRun:
        irr = self.irradiation
        c = self.constants
        power, duration, elapsed = segment_arrays(
            [when], [irr.segments], decay_from=self.decay_from
        )
        df37 = float(decay_factors(power, duration, elapsed, c.lambda_ar37)[0])
        df39 = float(decay_factors(power, duration, elapsed, c.lambda_ar39)[0])
        cl_days = chlorine_decay_days(when, irr.start, self.timezone)
        spec = pos.sample
        gas = compose_irradiated(
            age=spec.age if age is None else age, j=pos.j, lambda_k=irr.lambda_k, k39=k39,
            radiogenic_yield=radiogenic_yield, kca=kca, kcl=spec.kcl,
            productions=self.true_productions, atm4036=c.atmosphere.atm4036,
            atm4038=c.atmosphere.atm4038, df37=df37, df39=df39, chlorine_days=cl_days,
            lambda_cl36=c.lambda_cl36,
        )  # fmt: skip
        value = spec.steps[0].extract_value if extract_value is None else extract_value
        return self._build(
            gas, when, identifier=pos.identifier, aliquot=aliquot, increment=increment,
            analysis_type="unknown", sample=spec.sample, material=spec.material,
            project=spec.project, principal_investigator=spec.principal_investigator,
            irradiation=irr.name, irradiation_level=irr.level, irradiation_position=pos.position,
            extract_value=value, extract_duration=30.0, load_position=pos.position,
            j=pos.j, lambda_k=irr.lambda_k, df37=df37, df39=df39, chlorine_days=cl_days,
        )  # fmt: skip

    def _blank_truth(self) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
        """The blank gas of this run and the lab's estimate of it (value, σ)."""
        model = self.blank_model
        truth: dict[str, float] = {}
        estimate: dict[str, tuple[float, float]] = {}
        for iso in MASS:
            level = model.level[iso] * (1 + model.scatter * self.rng.standard_normal())
            sigma = 0.0 if self.exact_lab else model.error[iso]
            truth[iso] = level
            estimate[iso] = (level + sigma * self.rng.standard_normal(), sigma)
        return truth, estimate

    def _build(
        self,
        gas: Composition,
        when: datetime,
        *,
        identifier: str,
        aliquot: int,
        increment: int | None,
        analysis_type: str,
        sample: str,
        material: str,
        project: str,
        principal_investigator: str,
        irradiation: str,
        irradiation_level: str,
        irradiation_position: int,
        extract_value: float,
        extract_duration: float,
        load_position: int | None,
        j: float | None = None,
        lambda_k: float | None = None,
        df37: float | None = None,
        df39: float | None = None,
        chlorine_days: float | None = None,
    ) -> SimulatedRun:
        inst, rng = self.instrument, self.rng
        blanks, blank_estimates = self._blank_truth()
        beam = {  # detector units at t = 0, baseline-free: sample gas seen by the detector + blank
            iso: gas.intensities[iso] / inst.effective_icfactor(iso) + blanks[iso] for iso in MASS
        }
        t_sig, t_sniff = time_grid(inst.signal_grid, rng), time_grid(inst.sniff_grid, rng)
        t_base = time_grid(inst.baseline_grid, rng)
        signals: dict[tuple[str, str], Series] = {}
        sniffs: dict[tuple[str, str], Series] = {}
        for iso, det in inst.isotopes.items():
            coefficients = inst.evolution.get(iso, (0.0, 0.0))
            ion = evolve(beam[iso], coefficients, t_sig)
            signals[(iso, det)] = (t_sig, measure(inst, det, ion, rng))
            sniff = inlet(evolve(beam[iso], coefficients, t_sniff), t_sniff, inst.inlet_tau)
            sniffs[(iso, det)] = (t_sniff, measure(inst, det, sniff, rng, spikes=False))
        detectors = list(dict.fromkeys(inst.isotopes.values()))
        baselines = {d: (t_base, measure(inst, d, np.zeros_like(t_base), rng)) for d in detectors}
        centre = inst.peak_dac * (1 + 3e-5 * rng.standard_normal())
        scans = peak_scans(inst, {MASS[i]: beam[i] for i in MASS}, centre, rng)
        peak = PeakCenter(
            inst.reference_detector,
            inst.reference_isotope,
            scans,
            centre + 2e-5 * rng.standard_normal(),
        )
        truth = RunTruth(
            gas=gas,
            intercepts={iso: beam[iso] + inst.detector_of(iso).baseline for iso in MASS},
            baselines={d: inst.detector(d).baseline for d in detectors},
            blanks=blanks,
            icfactors=inst.true_icfactors(),
            productions=dict(self.true_productions),
            j=j,
            lambda_k=lambda_k,
            df37=df37,
            df39=df39,
            chlorine_days=chlorine_days,
            sensitivity=inst.sensitivity,
        )
        defaults = LabDefaults(blank_estimates, dict(self.lab_icfactors), self._last_blank)
        return SimulatedRun(
            identifier=identifier, aliquot=aliquot, increment=increment,
            analysis_type=analysis_type, mass_spectrometer=inst.name,
            isotopes=dict(inst.isotopes), sample=sample, material=material, project=project,
            principal_investigator=principal_investigator, irradiation=irradiation,
            irradiation_level=irradiation_level, irradiation_position=irradiation_position,
            timestamp=when, extract_device=inst.extract_device, extract_value=extract_value,
            extract_units=inst.extract_units, extract_duration=extract_duration,
            cleanup_duration=60.0, load_position=load_position,
            spectrometer=inst.spectrometer_file(), signals=signals, sniffs=sniffs,
            baselines=baselines, peak_center=peak, truth=truth, defaults=defaults,
        )  # fmt: skip
