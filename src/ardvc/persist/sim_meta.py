"""Write a simulated lab's irradiation into a MetaRepo, as Pychron's editors would.

So simulated runs reduce like real ones: the chronology, the production ratios the plan
*states* (the reactor delivered slightly different ones, by their σ), the level with every
position's identifier and λK, the tray's hole coordinates as an irradiation holder, and —
optionally — J. Monitors' J is what the lab measures
(``j="preliminary"`` leaves it to the flux fit); the plan's J is the truth.
"""

from __future__ import annotations

from typing import Literal

from ardvc.formats.chronology import ChronologySegment
from ardvc.formats.holders import Hole
from ardvc.formats.irradiation import PositionUpdate
from ardvc.gitstore import Author
from ardvc.meta import MetaRepo
from ardvc.meta.errors import AlreadyExistsError
from ardvc.persist.sim_plan import Irradiation

HOLE_RADIUS = 0.0175


def holder_name(irradiation: Irradiation) -> str:
    """The irradiation-holder file of the simulated tray (hole coordinates for flux fits)."""
    return f"{irradiation.name}-tray"


JMode = Literal["true", "preliminary", "none"]
PRELIMINARY_J_REL_ERROR = 0.02


def position_j(irradiation: Irradiation, j: JMode) -> dict[int, tuple[float, float] | None]:
    """The J written per position: the plan's true J, one preliminary J for the whole
    can (the mean, ±2 %, as a lab enters before its flux fit), or none."""
    if j == "true":
        return {p.position: (p.j, p.j_err) for p in irradiation.positions}
    if j == "preliminary":
        mean = float(sum(p.j for p in irradiation.positions) / len(irradiation.positions))
        nominal = float(f"{mean:.2g}")
        return {p.position: (nominal, nominal * PRELIMINARY_J_REL_ERROR)
                for p in irradiation.positions}  # fmt: skip
    return {p.position: None for p in irradiation.positions}


def install_irradiation(
    meta: MetaRepo, irradiation: Irradiation, author: Author, *, j: JMode = "true"
) -> list[str]:
    """Create (or complete) the irradiation, its production and level; returns the commit
    messages written. Existing pieces are kept; positions are (re)set. ``j`` chooses the
    J written (:func:`position_j`); ``"preliminary"`` leaves the real J to a flux fit."""
    done: list[str] = []
    segments = [ChronologySegment(p, s, e) for p, s, e in irradiation.segments]
    try:
        meta.add_irradiation(irradiation.name, author, chronology=segments)
        done.append(f"added irradiation {irradiation.name}")
    except AlreadyExistsError:
        pass
    result = meta.write_production(
        irradiation.name, irradiation.production_name, dict(irradiation.productions), author
    )
    if result.commit:
        done.append(f"production {irradiation.production_name}")
    try:
        meta.add_level(
            irradiation.name, irradiation.level, author, production=irradiation.production_name
        )
        done.append(f"level {irradiation.level}")
    except AlreadyExistsError:
        pass
    ordered = sorted(irradiation.positions, key=lambda p: p.position)
    if [p.position for p in ordered] == list(range(1, len(ordered) + 1)):
        holes = [Hole(str(p.position), p.x, p.y, HOLE_RADIUS) for p in ordered]
        if meta.write_holder(holder_name(irradiation), holes, author).commit:
            done.append(f"holder {holder_name(irradiation)}")
    decay = (irradiation.lambda_k, irradiation.lambda_k_err)
    js = position_j(irradiation, j)
    updates = []
    for p in irradiation.positions:
        value, error = js[p.position] or (None, None)
        update = PositionUpdate(
            position=p.position, identifier=p.identifier, j=value, j_err=error,
            decay_constants=decay,
        )  # fmt: skip
        updates.append(update)
    result = meta.set_positions(irradiation.name, irradiation.level, updates, author)
    if result.commit:
        done.append(f"{len(updates)} positions")
    return done
