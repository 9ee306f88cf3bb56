"""The placeholder contents of a brand-new MetaRepo, written in one commit.

Everything a lab needs before its first irradiation exists so Pychron and ardvc can open the
repository, and nothing in it can be mistaken for real data: the placeholder production
holds only ``name``/``reactor``, so any attempt to reduce with it is refused as empty.
"""

from __future__ import annotations

from ardvc.formats import jsonio
from ardvc.formats.holders import encode_holder, ring_holes
from ardvc.formats.spectrometer import ARGON_MASSES, MOLECULAR_WEIGHTS_PATH, encode_number_map

PLACEHOLDER = "Placeholder"
IRRADIATION_HOLDER_PATH = f"irradiation_holders/{PLACEHOLDER}.txt"
LOAD_HOLDER_PATH = f"load_holders/{PLACEHOLDER}.txt"
PLACEHOLDER_PRODUCTION_PATH = f"productions/{PLACEHOLDER}.json"

IRRADIATION_RING = (24, 0.405, 0.0175)
"""24 holes on a 0.405-radius ring, hole radius 0.0175 (the scale of ``24_hole.txt``)."""
LOAD_RING = (24, 15.0, 1.0)
"""24 holes on a 15 mm ring, hole radius 1 mm (the scale of the NMGRL load holders)."""


def initial_files(name: str) -> dict[str, bytes]:
    """path → bytes of a new MetaRepo called ``name``."""
    irr_count, irr_ring, irr_hole = IRRADIATION_RING
    load_count, load_ring, load_hole = LOAD_RING
    return {
        "README.md": f"# {name}".encode(),
        ".gitignore": b".DS_Store\n",
        MOLECULAR_WEIGHTS_PATH: encode_number_map(dict(ARGON_MASSES)),
        IRRADIATION_HOLDER_PATH: encode_holder(
            str(irr_count), irr_hole, ring_holes(irr_count, irr_ring, irr_hole)
        ),
        LOAD_HOLDER_PATH: encode_holder(
            "circle", load_hole, ring_holes(load_count, load_ring, load_hole), write_radius=False
        ),
        PLACEHOLDER_PRODUCTION_PATH: jsonio.dumps({"name": PLACEHOLDER, "reactor": PLACEHOLDER}),
    }
