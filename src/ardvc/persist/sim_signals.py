"""Time series of one run: Pychron-like sampling times, evolution, noise, spikes, peak scans.

Multicollection reads every detector at the same moments, so one run has one time grid per
block (sniffs, signals, baselines). Readings are float64, as acquisition software holds them
before the persister packs them as float32.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.special import erf

from ardvc.persist.sim_instrument import MASS, Array, Grid, Instrument

JITTER_S = 0.004
"""Readout timing jitter (s): small against the ~1.08 s between readings."""


def time_grid(grid: Grid, rng: np.random.Generator) -> Array:
    """``n`` increasing times from ``first`` to ``last`` with readout jitter."""
    first, last, n = grid
    t: Array = np.linspace(first, last, n) + rng.uniform(-JITTER_S, JITTER_S, n)
    return t


def evolve(level: float, coefficients: tuple[float, float], t: Array) -> Array:
    """``I0·(1 + a·t + b·t²)``: the beam after inlet as the source consumes the gas."""
    a, b = coefficients
    out: Array = level * (1.0 + a * t + b * t * t)
    return out


def point_sigma(instrument: Instrument, detector: str, ion: Array) -> Array:
    """σ (fA) of every reading of ``ion``; one count at least for the ion counter, so a
    spike stands out of an all-zero dark-count baseline too."""
    d = instrument.detector(detector)
    cpf = instrument.counts_per_fa
    if d.kind == "ion_counter":
        sigma: Array = np.maximum(np.sqrt(np.maximum(ion + d.baseline, 0.0) / cpf), 1.0 / cpf)
        return sigma
    faraday: Array = np.sqrt(d.johnson**2 + np.maximum(ion, 0.0) / cpf)
    return faraday


def add_spikes(
    y: Array, sigma: Array, instrument: Instrument, rng: np.random.Generator, *, counts: bool
) -> int:
    """Add a Poisson number of ±(6–20)σ outliers in place; returns how many. Ion-counter
    spikes are whole counts."""
    n = min(int(rng.poisson(instrument.spikes_per_series)), y.size)
    if n == 0:
        return 0
    idx = rng.choice(y.size, size=n, replace=False)
    size = rng.uniform(*instrument.spike_sigmas, size=n) * rng.choice([-1.0, 1.0], size=n)
    step = size * sigma[idx]
    if counts:
        cpf = instrument.counts_per_fa
        step = np.maximum(np.abs(np.round(step * cpf)), 1.0) * np.sign(step) / cpf
        step = np.maximum(step, -y[idx])  # an ion counter cannot read below zero
    y[idx] += step
    return n


def measure(
    instrument: Instrument,
    detector: str,
    ion: Array,
    rng: np.random.Generator,
    *,
    spikes: bool = True,
) -> Array:
    """Readings of beam ``ion`` (fA per point) on ``detector``, with noise and spikes."""
    y = instrument.read(detector, ion, rng)
    if spikes:
        sigma = point_sigma(instrument, detector, ion)
        counts = instrument.detector(detector).kind == "ion_counter"
        add_spikes(y, sigma, instrument, rng, counts=counts)
    return y


def inlet(level: Array, t: Array, tau: float) -> Array:
    """The beam while the inlet equilibrates (sniffs): ``level·(1 − e^(−t/τ))``."""
    out: Array = level * (1.0 - np.exp(-t / tau))
    return out


PEAK_HALF_WIDTH = 0.0012
"""Half width (V of DAC) of the flat top of a peak."""
PEAK_EDGE = 0.0003
SCAN_HALF_RANGE = 0.004
SCAN_POINTS = 61


def peak_scans(
    instrument: Instrument,
    beams: Mapping[int, float],
    centre: float,
    rng: np.random.Generator,
) -> dict[str, tuple[Array, Array]]:
    """Magnet scans of every Faraday around ``centre`` with the reference isotope on the
    reference detector: each detector sees its measurement mass shifted by the same number
    of amu (40Ar on H1 puts 41 on H2, 39 on AX, 38 on L1). ``beams`` maps mass → fA."""
    ref = instrument.reference_detector
    ref_iso = next((i for i, d in instrument.isotopes.items() if d == ref), None)
    shift = MASS[instrument.reference_isotope] - (MASS[ref_iso] if ref_iso else 40)
    dac = np.linspace(centre - SCAN_HALF_RANGE, centre + SCAN_HALF_RANGE, SCAN_POINTS)
    scans: dict[str, tuple[Array, Array]] = {}
    for iso, det in instrument.isotopes.items():
        if instrument.detector(det).kind != "faraday":
            continue
        height = beams.get(MASS[iso] + shift, 0.0)
        offset = centre + 1e-4 * rng.standard_normal()
        lo = np.asarray(erf((dac - offset + PEAK_HALF_WIDTH) / PEAK_EDGE), dtype=np.float64)
        hi = np.asarray(erf((dac - offset - PEAK_HALF_WIDTH) / PEAK_EDGE), dtype=np.float64)
        ion = height * 0.5 * (lo - hi)
        scans[det] = (dac, instrument.read(det, ion, rng))
    return scans
