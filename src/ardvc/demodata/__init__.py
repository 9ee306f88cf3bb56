"""Embedded real data for the demo and for tests without ``../shared`` (see README.md)."""

from __future__ import annotations

from pathlib import Path

from ardvc.data.write import NewAnalysis
from ardvc.formats.jsonio import loads

HERE = Path(__file__).resolve().parent
CORNUDAS = HERE / "cornudas"
METADATA = HERE / "metadata"
CORNUDAS_UUID = "d3f3b3a7-3cf5-4bb3-9c2d-f160f87397a9"
CORNUDAS_COMMIT = "c919ed7dbc538568b0964e28896dd3fdbdc235ab"
METADATA_COMMIT = "20d8fab7220fa66144f756d421809c0dc1ef0bcf"

_FIELDS = {
    "": ("main", "json"),
    ".data": ("raw_data", "dat.json"),
    "intercepts": ("intercepts", "inte.json"),
    "baselines": ("baselines", "base.json"),
    "blanks": ("blanks", "blan.json"),
    "icfactors": ("icfactors", "icfa.json"),
    "extraction": ("extraction", "extr.json"),
    "peakcenter": ("peakcenter", "peak.json"),
}


def cornudas_analysis(uuid: str | None = None) -> NewAnalysis:
    """Cornudas 69421-02F as acquisition hands it over; ``uuid`` renames it."""
    shard, tail = CORNUDAS_UUID[:2], CORNUDAS_UUID[2:]
    parts = {}
    for folder, (field, suffix) in _FIELDS.items():
        path = CORNUDAS / shard / folder / f"{tail}.{suffix}"
        parts[field] = loads(path.read_bytes(), path=str(path))
    spec_path = CORNUDAS / f"{parts['main']['spec_sha']}.json"
    parts["spectrometer"] = loads(spec_path.read_bytes(), path=str(spec_path))
    if uuid is not None:
        parts["main"]["uuid"] = uuid
    return NewAnalysis(**parts)


def metarepo_files() -> dict[str, bytes]:
    """The embedded MetaRepo files (NM-322 and the felix sensitivities), path → bytes."""
    return {
        path.relative_to(METADATA).as_posix(): path.read_bytes()
        for path in sorted(METADATA.rglob("*"))
        if path.is_file()
    }
