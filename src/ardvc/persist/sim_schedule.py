"""A realistic day on the spectrometer: blanks between unknowns, air shots, monitors and a
step-heating experiment, one run every ~15 minutes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ardvc.persist.sim_plan import Irradiation
from ardvc.persist.simulator import SimulatedRun, Simulator

SlotKind = Literal["blank_unknown", "air", "cocktail", "monitor", "step"]


@dataclass(frozen=True)
class Slot:
    """One queued run: its kind, the irradiation position and the heating step."""

    kind: SlotKind
    position: int | None = None
    step: int | None = None


def day_plan(
    irradiation: Irradiation,
    *,
    unknowns: Sequence[int] | None = None,
    monitors: Sequence[int] | None = None,
    monitor_repeats: int = 2,
    blank_every: int = 4,
) -> list[Slot]:
    """Blank, air, blank; each monitor position ``monitor_repeats`` times; a blank; each
    unknown step-heated with a blank before it and after every ``blank_every`` steps;
    then air, cocktail and a closing blank. Defaults: the first unknown, every monitor."""
    unknowns = [irradiation.unknowns[0].position] if unknowns is None else list(unknowns)
    monitors = [p.position for p in irradiation.monitors] if monitors is None else list(monitors)
    blank = Slot("blank_unknown")
    slots = [blank, Slot("air"), blank]
    for m in monitors:
        slots += [Slot("monitor", m)] * monitor_repeats
    for u in unknowns:
        slots.append(blank)
        for i in range(len(irradiation.position(u).sample.steps)):
            if i and blank_every and i % blank_every == 0:
                slots.append(blank)
            slots.append(Slot("step", u, i))
    slots += [blank, Slot("air"), Slot("cocktail"), blank]
    return slots


class Schedule:
    """Iterates the runs of a plan of :class:`Slot` s, ``spacing`` apart with up to
    ``jitter`` of extra delay each, so timestamps strictly increase. Step-heating steps of
    one position share one aliquot."""

    def __init__(
        self,
        simulator: Simulator,
        start: datetime,
        *,
        slots: Sequence[Slot] | None = None,
        spacing: timedelta = timedelta(minutes=15),
        jitter: timedelta = timedelta(seconds=90),
    ) -> None:
        if not timedelta(0) <= jitter < spacing:
            raise ValueError("jitter must be non-negative and shorter than the spacing")
        self.simulator = simulator
        self.start = start
        self.slots = list(slots) if slots is not None else day_plan(simulator.irradiation)
        self.spacing = spacing
        self.jitter = jitter

    def __len__(self) -> int:
        return len(self.slots)

    def __iter__(self) -> Iterator[SimulatedRun]:
        sim = self.simulator
        aliquots: dict[int, int] = {}
        for i, slot in enumerate(self.slots):
            extra = self.jitter.total_seconds() * float(sim.rng.uniform())
            when = self.start + i * self.spacing + timedelta(seconds=round(extra, 6))
            if slot.kind == "blank_unknown":
                yield sim.blank(when)
            elif slot.kind == "air":
                yield sim.air(when)
            elif slot.kind == "cocktail":
                yield sim.cocktail(when)
            elif slot.kind == "monitor":
                assert slot.position is not None
                yield sim.monitor(slot.position, when)
            else:
                assert slot.position is not None and slot.step is not None
                if slot.position not in aliquots or slot.step == 0:
                    identifier = sim.irradiation.position(slot.position).identifier
                    aliquots[slot.position] = sim.next_aliquot(identifier)
                yield sim.step(slot.position, slot.step, when, aliquot=aliquots[slot.position])
