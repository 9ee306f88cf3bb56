"""What a simulated lab irradiated and loaded: the truth behind every simulated run.

An :class:`Irradiation` holds exactly what a MetaRepo level holds (chronology segments,
production ratios with errors, λK, positions with identifiers and J), so a demo can write
the same irradiation into the MetaRepo that the simulator used to make its data. The J of a
position here is the *truth*; ``j_err`` is what the lab would store with it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ardvc.persist.sim_instrument import Instrument
from ardvc.reduce.constants import FC2_MIN, Monitor
from ardvc.reduce.inputs import PRODUCTION_KEYS

Segment = tuple[float, datetime, datetime]
"""(power, start, end) of one irradiation segment, naive local lab time."""

NM322_PRODUCTION = {
    "K4039": (0.00844, 0.00017),
    "K3839": (0.01244, 1e-05),
    "K3739": (0.00015, 1.5e-05),
    "Ca3937": (0.000697, 2e-06),
    "Ca3837": (0.0001, 2e-06),
    "Ca3637": (0.0002802, 2e-06),
    "Cl3638": (250.0, 0.0),
    "Ca_K": (1.96, 0.0),
    "Cl_K": (0.227, 0.0),
}
"""``NM-322_PR`` (pychron-format.md §8.4): a real TRIGA production file."""
LAMBDA_K = (5.463e-10, 9.9985e-12)
"""λK total (1/a) and σ as 2021+ NMGRL level files store it (Min et al. 2000)."""


@dataclass(frozen=True)
class Step:
    """One heating step: how much of the sample's 39Ar_K it releases and what comes with it.

    ``radiogenic_yield`` is %40Ar* (atmospheric contamination is the rest, after 40Ar_K);
    ``kca`` the K/Ca of the degassing phase; ``age`` overrides the sample's age (Ma), e.g.
    for argon loss in the first steps.
    """

    extract_value: float
    fraction: float
    radiogenic_yield: float
    kca: float
    age: float | None = None


@dataclass(frozen=True)
class SampleSpec:
    """A sample loaded at a position, with its true age (Ma) and degassing schedule."""

    sample: str
    material: str
    age: float
    k39: float
    """Total 39Ar_K (fA, decay-corrected, IC-corrected) released over all steps."""
    steps: tuple[Step, ...]
    project: str = "Simulated"
    principal_investigator: str = "Ada Analyst"
    kcl: float | None = None
    """K/Cl of the sample; ``None`` = no chlorine-derived argon."""
    monitor: bool = False

    def __post_init__(self) -> None:
        total = sum(s.fraction for s in self.steps)
        if not self.steps or not math.isclose(total, 1.0, rel_tol=1e-9):
            raise ValueError(f"{self.sample}: step fractions must sum to 1, got {total}")


@dataclass(frozen=True)
class PlannedPosition:
    """One irradiation hole: identifier, true J, the sample, hole coordinates."""

    position: int
    identifier: str
    j: float
    j_err: float
    sample: SampleSpec
    x: float = 0.0
    y: float = 0.0

    @property
    def kind(self) -> str:
        return "monitor" if self.sample.monitor else "unknown"


@dataclass(frozen=True)
class Irradiation:
    """One irradiation level: chronology, production ratios, λK and positions."""

    name: str
    level: str
    segments: tuple[Segment, ...]
    production_name: str
    productions: Mapping[str, tuple[float, float]]
    positions: tuple[PlannedPosition, ...]
    lambda_k: float = LAMBDA_K[0]
    lambda_k_err: float = LAMBDA_K[1]
    holder: str = "24Spokes"

    def __post_init__(self) -> None:
        missing = [k for k in PRODUCTION_KEYS if k not in self.productions]
        if missing:
            raise ValueError(f"{self.production_name} lacks {', '.join(missing)}")
        if not self.segments:
            raise ValueError(f"{self.name} has no irradiation segments")

    def position(self, number: int) -> PlannedPosition:
        for p in self.positions:
            if p.position == number:
                return p
        raise KeyError(f"{self.name}{self.level} has no position {number}")

    @property
    def monitors(self) -> tuple[PlannedPosition, ...]:
        return tuple(p for p in self.positions if p.sample.monitor)

    @property
    def unknowns(self) -> tuple[PlannedPosition, ...]:
        return tuple(p for p in self.positions if not p.sample.monitor)

    @property
    def start(self) -> datetime:
        """The irradiation time of the chlorine term: the first segment's start."""
        return self.segments[0][1]


@dataclass(frozen=True)
class LabPlan:
    """Instrument, irradiation and monitor standard of one simulated lab."""

    instrument: Instrument = field(default_factory=Instrument)
    irradiation: Irradiation = field(default_factory=lambda: default_irradiation())
    monitor: Monitor = FC2_MIN
    repository: str = "SimLab"


def _fc2(monitor: Monitor) -> SampleSpec:
    step = Step(extract_value=5.0, fraction=1.0, radiogenic_yield=98.5, kca=60.0)
    return SampleSpec("FC-2", monitor.material, monitor.age, 180.0, (step,), monitor=True)


def _steps(
    watts: tuple[float, ...],
    fractions: tuple[float, ...],
    yields: tuple[float, ...],
    kca: tuple[float, ...],
) -> tuple[Step, ...]:
    rows = zip(watts, fractions, yields, kca, strict=True)
    return tuple(Step(w, f, y, k) for w, f, y, k in rows)


GROUNDMASS = SampleSpec(
    "SIM-GM-1", "groundmass concentrate", 3.215, 1500.0,
    _steps(
        (0.8, 1.2, 1.6, 2.0, 2.5, 3.0, 4.0, 6.0),
        (0.04, 0.09, 0.15, 0.20, 0.20, 0.15, 0.10, 0.07),
        (25.0, 55.0, 78.0, 88.0, 90.0, 85.0, 70.0, 45.0),
        (1.2, 1.0, 0.9, 0.8, 0.6, 0.4, 0.2, 0.1),
    ),
)  # fmt: skip
"""A young basalt: atmosphere-rich first and last steps, Ca-rich high-temperature steps."""
SANIDINE = SampleSpec(
    "SIM-SA-2", "sanidine", 16.2, 1200.0,
    _steps(
        (1.0, 1.8, 2.6, 3.4, 4.5, 6.0),
        (0.05, 0.15, 0.30, 0.30, 0.15, 0.05),
        (85.0, 96.0, 98.5, 99.0, 98.8, 97.0),
        (45.0, 50.0, 55.0, 55.0, 40.0, 30.0),
    ),
    kcl=30.0,
)  # fmt: skip
"""A tuff sanidine with a little chlorine."""
BIOTITE = SampleSpec(
    "SIM-BT-3", "biotite", 28.9, 900.0,
    _steps(
        (0.9, 1.5, 2.2, 3.0, 4.2, 6.0),
        (0.08, 0.17, 0.25, 0.25, 0.17, 0.08),
        (70.0, 90.0, 95.0, 96.0, 94.0, 88.0),
        (80.0, 60.0, 40.0, 30.0, 15.0, 5.0),
    ),
    kcl=8.0,
)  # fmt: skip


def default_irradiation(
    name: str = "NM-999",
    level: str = "A",
    *,
    start: datetime = datetime(2024, 3, 4, 8, 0),
    j0: float = 0.0052,
    monitor: Monitor = FC2_MIN,
) -> Irradiation:
    """Six holes on a ring: FC-2 at 1, 4, 6; unknowns at 2, 3, 5. J varies by ±1 %
    across the can (a linear gradient, the truth a flux model should find)."""
    segments: tuple[Segment, ...] = (
        (1.0, start, start + timedelta(hours=8)),
        (1.0, start + timedelta(days=1), start + timedelta(days=1, hours=4)),
    )
    samples = {1: _fc2(monitor), 2: GROUNDMASS, 3: SANIDINE, 4: _fc2(monitor), 5: BIOTITE}
    samples[6] = _fc2(monitor)
    positions = []
    for n, spec in samples.items():
        angle = 2 * math.pi * (n - 1) / len(samples)
        x, y = 0.405 * math.cos(angle), 0.405 * math.sin(angle)
        j = j0 * (1 + 0.0247 * x - 0.012 * y)
        positions.append(PlannedPosition(n, str(71000 + n), j, j * 2e-4, spec, x, y))
    return Irradiation(
        name=name,
        level=level,
        segments=segments,
        production_name=f"{name}_PR",
        productions=dict(NM322_PRODUCTION),
        positions=tuple(positions),
    )
