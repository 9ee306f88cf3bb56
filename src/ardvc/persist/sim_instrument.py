"""The simulated multi-collector: detectors, noise model, mass discrimination, IC factors.

Numbers default to a Felix-like Argus VI (NMGRL): five collectors, Ar36 on the ion counter,
Johnson noise and baseline offsets of the order of the Cornudas 2022 data
(reduction-math.md §16.1), so fits, errors and outlier filtering see realistic data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
DetectorKind = Literal["faraday", "ion_counter"]

ELEMENTARY_CHARGE = 1.602176634e-19
IONS_PER_FA_SECOND = 1e-15 / ELEMENTARY_CHARGE
"""6241.5 ions per second carry 1 fA."""
MASS = {"Ar40": 40, "Ar39": 39, "Ar38": 38, "Ar37": 37, "Ar36": 36}
"""Nominal masses (amu): discrimination is modelled per amu relative to 40Ar."""


@dataclass(frozen=True)
class Detector:
    """One collector and its true properties (what the lab only knows approximately)."""

    name: str
    kind: DetectorKind = "faraday"
    gain: float = 1.0
    deflection: float = 0.0
    baseline: float = 0.0
    """Mean reading with the beam deflected (fA): amplifier offset, or the ion counter's dark
    count rate expressed in fA."""
    johnson: float = 0.0
    """σ (fA) of the amplifier's Johnson–Nyquist noise per reading (0 for an ion counter)."""
    ic_factor: float = 1.0
    """True inter-calibration factor: the reduction multiplies this detector's signal by it."""
    ic_rel_err: float = 0.0
    """Relative 1σ of the lab's calibrated IC factor (0 for the reference detector)."""


DEFAULT_DETECTORS = (
    Detector("H2", gain=1.0, baseline=0.061, johnson=0.12, ic_factor=1.0),
    Detector("H1", gain=0.10347, baseline=0.166, johnson=0.15, ic_factor=1.0007, ic_rel_err=2.7e-4),
    Detector("AX", gain=0.01185, baseline=-0.120, johnson=0.045, ic_factor=0.9985, ic_rel_err=5e-4),
    Detector("L1", gain=0.9831, baseline=-0.094, johnson=0.13, ic_factor=1.002, ic_rel_err=1e-3),
    Detector(
        "L2(CDD)", "ion_counter", gain=0.0, deflection=3250.0, baseline=1.6e-5,
        ic_factor=1.026, ic_rel_err=3.7e-3,
    ),
)  # fmt: skip
DEFAULT_ISOTOPES = {"Ar40": "H2", "Ar39": "H1", "Ar38": "AX", "Ar37": "L1", "Ar36": "L2(CDD)"}
DEFAULT_EVOLUTION = {
    "Ar40": (-6.0e-5, 4.0e-8),
    "Ar39": (-5.0e-5, 0.0),
    "Ar38": (-5.0e-5, 0.0),
    "Ar37": (-5.0e-5, 0.0),
    "Ar36": (-4.0e-5, 0.0),
}
"""(a, b) of y(t) = I0·(1 + a·t + b·t²) per isotope: consumption by the source; only 40Ar
curves, so the conventional parabolic-40/linear-others fits are unbiased."""
DEFAULT_SOURCE = {
    "emission": 770.169,
    "trap": 248.607,
    "extraction_lens": 63.57,
    "ysymmetry": 38.07,
    "zfocus": 1.65,
    "zsymmetry": 3.35,
}

Grid = tuple[float, float, int]
"""(first t, last t, points) of a Pychron measurement block, seconds since time zero."""


@dataclass(frozen=True)
class Instrument:
    """A mass spectrometer as the simulator sees it: truth plus noise model.

    ``discrimination`` is the measured/true 40Ar/36Ar of one detector (air measures
    298.56·discrimination), applied per amu with a linear law; ``counts_per_fa`` converts a
    reading in fA to counted ions (shot noise √N for Faradays, Poisson counts for the ion
    counter). Spikes are Poisson-many per series, ``spike_sigmas`` wide in units of the
    point's σ.
    """

    name: str = "Felix"
    letter: str = "F"
    detectors: tuple[Detector, ...] = DEFAULT_DETECTORS
    isotopes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ISOTOPES))
    evolution: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: dict(DEFAULT_EVOLUTION)
    )
    sensitivity: float = 2.13e-16
    """mol/fA."""
    discrimination: float = 1.004
    integration_time: float = 1.048576
    spikes_per_series: float = 1.0
    spike_sigmas: tuple[float, float] = (6.0, 20.0)
    inlet_tau: float = 3.0
    """Seconds for the inlet to equilibrate (shape of the sniffs)."""
    signal_grid: Grid = (31.142, 395.765, 340)
    baseline_grid: Grid = (414.512, 478.079, 60)
    sniff_grid: Grid = (1.0, 28.0, 25)
    extract_device: str = "Fusions Diode"
    device_code: str = "FD"
    extract_units: str = "watts"
    source: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SOURCE))
    peak_dac: float = 5.8934
    """DAC (V) that centres 40Ar on the reference detector."""
    reference_detector: str = "H1"
    reference_isotope: str = "Ar40"

    def __post_init__(self) -> None:
        names = {d.name for d in self.detectors}
        missing = sorted(set(self.isotopes.values()) - names)
        if missing:
            raise ValueError(f"isotopes map to unknown detectors: {', '.join(missing)}")
        if set(self.isotopes) != set(MASS):
            raise ValueError(f"the simulator needs exactly the isotopes {sorted(MASS)}")

    @property
    def counts_per_fa(self) -> float:
        """Ions counted in one reading of a 1 fA beam."""
        return IONS_PER_FA_SECOND * self.integration_time

    def detector(self, name: str) -> Detector:
        for d in self.detectors:
            if d.name == name:
                return d
        raise KeyError(f"{self.name} has no detector {name!r}")

    def detector_of(self, isotope: str) -> Detector:
        return self.detector(self.isotopes[isotope])

    def discrimination_correction(self, isotope: str) -> float:
        """Factor that restores the true abundance of ``isotope`` relative to 40Ar:
        ``1 + (D − 1)·(40 − m)/4`` (1 for 40Ar, D for 36Ar)."""
        return 1.0 + (self.discrimination - 1.0) * (40 - MASS[isotope]) / 4.0

    def effective_icfactor(self, isotope: str) -> float:
        """What a discrimination-aware IC calibration finds for the detector of ``isotope``:
        true IC factor × discrimination correction (how labs fold discrimination into IC
        factors; ardvc's per-analysis ``discrimination`` scales every isotope alike)."""
        return self.detector_of(isotope).ic_factor * self.discrimination_correction(isotope)

    def true_icfactors(self) -> dict[str, float]:
        """Effective IC factor per detector (detectors without an argon isotope: their IC)."""
        out = {d.name: d.ic_factor for d in self.detectors}
        for iso, det in self.isotopes.items():
            out[det] = self.effective_icfactor(iso)
        return out

    def noise_sigma(self, detector: str, ion_current: float) -> float:
        """σ (fA) of one reading of ``ion_current`` fA: Johnson and shot noise in quadrature
        (Faradays), counting statistics alone (ion counter, dark counts included)."""
        d = self.detector(detector)
        if d.kind == "ion_counter":
            return math.sqrt(max(ion_current + d.baseline, 0.0) / self.counts_per_fa)
        return math.sqrt(d.johnson**2 + max(ion_current, 0.0) / self.counts_per_fa)

    def read(self, detector: str, ion_current: Array, rng: np.random.Generator) -> Array:
        """Readings (fA) of a beam ``ion_current`` (fA, per point), baseline included."""
        d = self.detector(detector)
        cpf = self.counts_per_fa
        if d.kind == "ion_counter":
            lam = np.maximum(ion_current + d.baseline, 0.0) * cpf
            counts: Array = rng.poisson(lam).astype(np.float64)
            return counts / cpf
        shot = np.sqrt(np.maximum(ion_current, 0.0) / cpf)
        sigma = np.sqrt(d.johnson**2 + shot**2)
        noisy: Array = d.baseline + ion_current + sigma * rng.standard_normal(ion_current.shape)
        return noisy

    def spectrometer_file(self) -> dict[str, Any]:
        """``{"spectrometer", "gains", "deflections"}`` of the ``<spec_sha>.json`` file."""
        return {
            "spectrometer": dict(self.source),
            "gains": {d.name: d.gain for d in self.detectors},
            "deflections": {d.name: d.deflection for d in self.detectors},
        }

    def special_identifier(self, kind: str) -> str:
        """Pychron's reference identifiers: ``bu-FD-F``, ``a-01-F``, ``c-02-F``."""
        codes = {
            "blank_unknown": f"bu-{self.device_code}",
            "blank_air": "ba-01",
            "blank_cocktail": "bc-02",
            "air": "a-01",
            "cocktail": "c-02",
        }
        return f"{codes[kind]}-{self.letter}"
