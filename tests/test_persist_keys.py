"""Files written by the Persister have the key sets of real files of the same kind.

For every kind of file the Persister writes (main, ``.data``, intercepts, baselines,
blanks, icfactors, extraction, peakcenter) the key set of every object in it — the file
itself, each per-isotope / per-detector entry, each ``signals``/``baselines``/``sniffs``
entry of ``.data``, nested objects such as ``filter_outliers_dict`` or blank references —
is compared with the key sets observed at the same place in the real Cornudas files
(Pychron 20, 2022–2023) at the heads of ``master`` and ``data_collection``: each ardvc
key set must be one Pychron wrote. Values are checked for their JSON type the same way,
against Cornudas and SwansonB (the other Pychron 20 repository: single-step analyses there
store ``increment: null``, which Cornudas, all step heating, never shows).

Cornudas holds unknowns only; Pychron writes the same keys for every analysis type, and
the only blank/air repositories (Felix_blank180, FractionatedRes) are 2018 files without
``collection_version``, so the blank and air runs are compared with Cornudas too.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pygit2
import pytest

from ardvc import Lab
from ardvc.formats.blobs import decode_pairs
from ardvc.persist.drive import persist_run
from ardvc.persist.sim_meta import install_irradiation
from ardvc.persist.sim_schedule import Schedule, Slot
from ardvc.persist.simulator import Simulator

KINDS = ("main", ".data", "intercepts", "baselines", "blanks", "icfactors", "extraction",
         "peakcenter")  # fmt: skip
NAMED = {"intercepts", "baselines", "blanks", "icfactors"}
"""Kinds keyed by isotope or detector at the top level."""
PEAK_FIXED = {"fmt", "interpolation", "reference_detector", "reference_isotope"}
SLOTS = [Slot("blank_unknown"), Slot("air"), Slot("monitor", 1), Slot("step", 2, 0),
         Slot("step", 2, 1)]  # fmt: skip


@dataclass
class Shapes:
    """Per kind and generalised place (``isotopes.*``, ``signals[]``): the key sets and
    JSON types seen there, the files of the kind and the distinct documents read."""

    keys: dict[str, dict[str, set[frozenset[str]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    types: dict[str, dict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    files: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    docs: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list) else "object"


def _is_named(kind: str, place: str, value: Any) -> bool:
    """Is this key a name (isotope, detector) rather than a field?"""
    if place == "":
        return kind in NAMED or (kind == "peakcenter" and isinstance(value, dict))
    return kind == "main" and place in ("isotopes", "detectors")


def add_shapes(shapes: Shapes, kind: str, doc: Any) -> None:
    def visit(place: str, value: Any) -> None:
        shapes.types[kind][place].add(json_type(value))
        if isinstance(value, dict):
            keys = set(value)
            if kind == "peakcenter" and place == "":
                # the detectors scanned depend on the spectrometer, not on the format
                keys = {k for k in keys if k in PEAK_FIXED} | {"*"}
            shapes.keys[kind][place].add(frozenset(keys))
            for key, child in value.items():
                name = "*" if _is_named(kind, place, child) else key
                visit(f"{place}.{name}" if place else name, child)
        elif isinstance(value, list):
            for child in value:
                visit(f"{place}[]", child)

    visit("", doc)
    shapes.docs[kind].append(doc)


def kind_of(path: str) -> str | None:
    """The file kind of a repository path (uuid names, 2-character shards)."""
    parts = path.split("/")
    if not path.endswith(".json") or len(parts[0]) != 2:
        return None
    if len(parts) == 2:
        return "main"
    return parts[1] if len(parts) == 3 and parts[1] in KINDS else None


def _walk(repo: pygit2.Repository, tree: pygit2.Tree, prefix: str = "") -> Iterator[Any]:
    for entry in tree:
        path = prefix + str(entry.name)
        if entry.type_str == "tree":
            yield from _walk(repo, repo[entry.id], path + "/")
        else:
            yield path, entry.id


def read_shapes(git_dir: Path, refs: tuple[str, ...], shapes: Shapes | None = None) -> Shapes:
    """Shapes of every analysis file at the heads of ``refs`` (each blob read once)."""
    shapes = shapes or Shapes()
    repo = pygit2.Repository(str(git_dir))
    seen: set[Any] = set()
    for ref in refs:
        tree = repo.revparse_single(ref).peel(pygit2.Tree)
        for path, oid in _walk(repo, tree):
            kind = kind_of(path)
            if kind is None:
                continue
            shapes.files[kind] += 1
            if oid in seen:
                continue
            seen.add(oid)
            add_shapes(shapes, kind, json.loads(repo[oid].data))
    return shapes


@pytest.fixture(scope="module")
def cornudas(bundle_bare: Callable[[str], Path]) -> Shapes:
    return read_shapes(bundle_bare("Cornudas"), ("master", "data_collection"))


@pytest.fixture(scope="module")
def pychron20_types(bundle_bare: Callable[[str], Path], cornudas: Shapes) -> Shapes:
    """Cornudas and SwansonB (for value types)."""
    swanson = read_shapes(bundle_bare("SwansonB"), ("master", "data_collection"))
    both = Shapes()
    for shapes in (cornudas, swanson):
        for kind, places in shapes.types.items():
            for place, types in places.items():
                both.types[kind][place] |= types
    return both


@pytest.fixture(scope="module")
def persisted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shapes]:
    """A blank, an air shot, a monitor and two steps through the Persister."""
    base = tmp_path_factory.mktemp("persist-keys")
    with pytest.MonkeyPatch.context() as mp:  # as conftest.isolated_config, for the module
        mp.setenv("ARDVC_SYSTEM_CONFIG_DIR", str(base / "system"))
        mp.setenv("ARDVC_GLOBAL_CONFIG_DIR", str(base / "user"))
        mp.setenv("ARDVC_USER_NAME", "Test Analyst")
        mp.setenv("ARDVC_USER_EMAIL", "analyst@lab.example")
        mp.delenv("ARDVC_ROOT", raising=False)
        Lab.init(base / "lab")
        lab = Lab.open(base / "lab")
        install_irradiation(lab.meta, Simulator(seed=0).irradiation, lab.author())
        sims = list(Schedule(Simulator(seed=0), datetime(2024, 4, 15, 8), slots=SLOTS))
        with lab.persister("SimLab", remote="") as persister:
            results = [persist_run(persister, s) for s in sims]
        assert {r.analysis_type for r in results} == {"blank_unknown", "air", "unknown"}
        shapes = read_shapes(lab.repo("SimLab").git.git_dir, ("master",))
    # every run has all eight kinds
    assert {k: shapes.files[k] for k in KINDS} == dict.fromkeys(KINDS, len(sims))
    yield shapes


def _closest(want: frozenset[str], seen: set[frozenset[str]]) -> str:
    if not seen:
        return "no real file has this place"
    best = min(seen, key=lambda s: len(s ^ want))
    return f"closest real set: extra {sorted(want - best)}, missing {sorted(best - want)}"


@pytest.mark.parametrize("kind", KINDS)
def test_key_sets_are_those_of_real_files(kind: str, persisted: Shapes, cornudas: Shapes) -> None:
    assert cornudas.files[kind] > 100, f"too few real {kind} files to compare with"
    mismatches = []
    for place, key_sets in persisted.keys[kind].items():
        real = cornudas.keys[kind].get(place, set())
        for keys in key_sets:
            if keys not in real:
                mismatches.append(f"{kind} {place or '<top>'}: {_closest(keys, real)}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("kind", KINDS)
def test_value_types_are_those_of_real_files(
    kind: str, persisted: Shapes, pychron20_types: Shapes
) -> None:
    mismatches = [
        f"{kind} {place}: ardvc writes {sorted(types)}, Pychron 20 files hold "
        f"{sorted(pychron20_types.types[kind].get(place, set()))}"
        for place, types in persisted.types[kind].items()
        if not types <= pychron20_types.types[kind].get(place, set())
    ]
    assert not mismatches, "\n".join(mismatches)


def _peak_problems(doc: dict[str, Any], detectors: set[str] | None) -> list[str]:
    """What Pychron's loader (which unpacks every detector entry's points) trips on."""
    problems = []
    scanned = {k: v for k, v in doc.items() if isinstance(v, dict)}
    if doc.get("reference_detector") not in scanned:
        problems.append(f"no scan of the reference detector {doc.get('reference_detector')}")
    for det, entry in scanned.items():
        if detectors is not None and det not in detectors:
            problems.append(f"{det} is not a detector of the analysis")
        points = entry.get("points")
        if not isinstance(points, str) or not points:
            problems.append(f"{det} has points {points!r}")
            continue
        dac, signal = decode_pairs(points, doc["fmt"])
        if len(dac) < 2 or not np.isfinite(signal).all():
            problems.append(f"{det} has {len(dac)} scan points, finite: {np.isfinite(signal)}")
    return problems


def test_peak_centres_load_like_real_ones(persisted: Shapes, cornudas: Shapes) -> None:
    """Every detector entry carries a decodable scan, in real files and in ardvc's (a
    detector without a scan is left out, as Pychron writes one entry per scan result)."""
    real = [p for doc in cornudas.docs["peakcenter"] for p in _peak_problems(doc, None)]
    assert real == []
    detectors = set().union(*(set(doc["detectors"]) for doc in persisted.docs["main"]))
    ours = [p for doc in persisted.docs["peakcenter"] for p in _peak_problems(doc, detectors)]
    assert ours == []
