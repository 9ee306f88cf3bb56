"""Write a simulated lab's irradiation into a MetaRepo, as Pychron's editors would.

So simulated runs reduce like real ones: the chronology, the production ratios the plan
*states* (the reactor delivered slightly different ones, by their σ), the level with every
position's identifier and λK, and — optionally — J. Monitors' J is what the lab measures
(``with_j=False`` leaves it to the flux fit); the plan's J is the truth.
"""

from __future__ import annotations

from ardvc.formats.chronology import ChronologySegment
from ardvc.formats.irradiation import PositionUpdate
from ardvc.gitstore import Author
from ardvc.meta import MetaRepo
from ardvc.meta.errors import AlreadyExistsError
from ardvc.persist.sim_plan import Irradiation


def install_irradiation(
    meta: MetaRepo, irradiation: Irradiation, author: Author, *, with_j: bool = True
) -> list[str]:
    """Create (or complete) the irradiation, its production and level; returns the commit
    messages written. Existing pieces are kept; positions are (re)set."""
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
    decay = (irradiation.lambda_k, irradiation.lambda_k_err)
    updates = [
        PositionUpdate(
            position=p.position,
            identifier=p.identifier,
            j=p.j if with_j else None,
            j_err=p.j_err if with_j else None,
            decay_constants=decay,
        )
        for p in irradiation.positions
    ]
    result = meta.set_positions(irradiation.name, irradiation.level, updates, author)
    if result.commit:
        done.append(f"{len(updates)} positions")
    return done
