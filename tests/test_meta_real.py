"""The MetaRepo API against the real NMGRLData/MetaData bundle (pychron-format.md §8).

Counts are those of data/README.md and pychron-format.md §8 at HEAD 59041d44; values are
those the reduction examples of reduction-math.md §15-§17 depend on.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from ardvc.errors import (
    ChronologyNotFoundError,
    CorruptFileError,
    EmptyProductionError,
    PositionNotFoundError,
)
from ardvc.formats import jsonio
from ardvc.formats.irradiation import decode_level, encode_level
from ardvc.gitstore import GitRepo
from ardvc.meta import (
    FluxNotSetError,
    HolderNotFoundError,
    Level,
    LevelNotFoundError,
    MetaRepo,
    ProductionNotFoundError,
    SpectrometerNotFoundError,
)

HEAD = "59041d44268651b2c3fe2096e2e70b0cf4c1a7a1"
CORNUDAS_META = "20d8fab7220fa66144f756d421809c0dc1ef0bcf"
FLUX_META = "ef154d3054f5b84d8ab70eedc4af959725f2b330"
IR998_META = "effde91d90b67de985fc60517782b388eacea6d0"

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def meta_path(bundle_bare: Callable[[str], Path]) -> Path:
    return bundle_bare("MetaData")


@pytest.fixture(scope="module")
def meta(meta_path: Path) -> MetaRepo:
    return MetaRepo(GitRepo(meta_path))


@pytest.fixture(scope="module")
def head_levels(meta: MetaRepo) -> dict[str, Level | CorruptFileError]:
    out: dict[str, Level | CorruptFileError] = {}
    for irradiation in meta.irradiations(HEAD):
        for name in meta.levels(irradiation, HEAD):
            try:
                out[f"{irradiation}/{name}.json"] = meta.level(irradiation, name, HEAD)
            except CorruptFileError as exc:
                out[f"{irradiation}/{name}.json"] = exc
    return out


def test_head_and_irradiations(meta: MetaRepo) -> None:
    assert meta.commit_id() == HEAD
    irradiations = meta.irradiations()
    assert len(irradiations) == 102
    assert {"NM-303_MST", "NoIrradiation", "Unirradiated", "test", "307"} <= set(irradiations)
    assert "irradiation_holders" not in irradiations


def test_level_file_census(head_levels: dict[str, Level | CorruptFileError]) -> None:
    assert len(head_levels) == 908
    levels = [v for v in head_levels.values() if isinstance(v, Level)]
    errors = {k: v for k, v in head_levels.items() if isinstance(v, CorruptFileError)}
    assert sum(not lv.legacy_list for lv in levels) == 786
    assert sum(lv.legacy_list for lv in levels) == 121
    assert list(errors) == ["Unirradiated/C.json"]
    error = errors["Unirradiated/C.json"]
    assert error.path == "Unirradiated/C.json" and error.commit == HEAD
    assert "Unirradiated/C.json" in str(error)
    positions = [p for lv in levels for p in lv.positions]
    assert len(positions) == 17_158
    kinds = Counter(type(p.identifier).__name__ for p in positions)
    assert kinds == {"str": 15_945, "NoneType": 701, "int": 512}
    omission = Counter(
        "is_omitted" if a.is_omitted is not None else "status"
        for p in positions
        for a in p.analyses or ()
    )
    assert omission == {"is_omitted": 28_575, "status": 2_629}
    assert sum(1 for p in positions if p.sample is not None) == 24


def test_level_round_trip_is_byte_identical(
    meta: MetaRepo, head_levels: dict[str, Level | CorruptFileError]
) -> None:
    """Every valid level re-encodes to its bytes; plain re-serialisation does too except
    for NM-290/K.json (no space after ':', empty containers over two lines, 0.0000012)."""
    reserialised_differs = []
    for path, level in head_levels.items():
        if not isinstance(level, Level):
            continue
        raw = meta.git.read(path, HEAD)
        again = decode_level(raw, path=path)
        assert encode_level(again) == raw, path
        if jsonio.dumps(again.document, again.style) != raw:
            reserialised_differs.append(path)
    assert reserialised_differs == ["NM-290/K.json"]


def test_chronologies(meta: MetaRepo) -> None:
    for irradiation in meta.irradiations(HEAD):
        chron = meta.chronology(irradiation, HEAD)
        assert chron.skipped == (), irradiation
    nm322 = meta.chronology("NM-322", HEAD)
    assert [(s.power, s.start, s.end) for s in nm322.segments] == [
        (1.0, datetime(2021, 11, 1, 9, 50), datetime(2021, 11, 1, 14, 20)),
        (1.0, datetime(2021, 11, 2, 6, 48), datetime(2021, 11, 2, 14, 18)),
        (1.0, datetime(2021, 11, 3, 6, 43), datetime(2021, 11, 3, 8, 43)),
        (1.0, datetime(2021, 11, 4, 12, 6), datetime(2021, 11, 4, 14, 6)),
        (1.0, datetime(2021, 11, 5, 6, 25), datetime(2021, 11, 5, 14, 25)),
    ]
    assert nm322.total_duration.total_seconds() == 86400.0  # Σ P·T = 1.0 day (§16.3)
    nm291 = meta.chronology("NM-291", HEAD)
    assert [(s.start, s.end) for s in nm291.segments] == [
        (datetime(2017, 7, 18, 6, 31), datetime(2017, 7, 18, 14, 31))
    ]
    assert meta.chronology("NoIrradiation", HEAD).is_empty
    assert meta.chronology("NM-308", HEAD).segments[0].power == 1.0  # CRLF file
    with pytest.raises(ChronologyNotFoundError, match="NM-999"):
        meta.chronology("NM-999", HEAD)


def test_nm322_b_position_2_flux(meta: MetaRepo) -> None:
    pos = meta.position("NM-322", "B", 2, CORNUDAS_META)
    assert pos.identifier_text == "69421"
    assert pos.j == 0.005260104573992371 and pos.j_err == 9.718327627364553e-07
    assert pos.lambda_k == (5.463e-10, 9.998499887483122e-12)
    flux = meta.flux("NM-322", "B", "2", CORNUDAS_META)
    assert (flux.j, flux.j_err, flux.commit) == (pos.j, pos.j_err, CORNUDAS_META)
    assert meta.position("NM-322", "B", 8, CORNUDAS_META).identifier_text == "69427"


def test_nm293_g_monitor_positions_with_legacy_status(meta: MetaRepo) -> None:
    level = meta.level("NM-293", "G", FLUX_META)
    monitors = {p.position: p for p in level.positions if p.analyses}
    expected = {
        1: ("25761", 0.0018828848695731024, 9.467053495487779e-07),
        5: ("25762", 0.0018235852309897976, 5.999688553005446e-05),
        9: ("25763", 0.001882480658305996, 8.896732804205209e-07),
        13: ("25764", 0.0018835371169961482, 6.915937601622729e-07),
        17: ("25765", 0.0018845265239103048, 9.813781160073455e-07),
        21: ("25766", 0.0018842700347102997, 8.929426869777629e-07),
    }
    assert set(monitors) == set(expected)
    for number, (identifier, mean_j, mean_j_err) in expected.items():
        pos = monitors[number]
        assert (pos.identifier_text, pos.mean_flux) == (identifier, (mean_j, mean_j_err))
        assert pos.analyses is not None and len(pos.analyses) == 6
        assert all(a.status is not None and a.is_omitted is None for a in pos.analyses)
    omitted = [a.record_id for p in monitors.values() for a in p.analyses or () if a.omitted]
    assert omitted == ["25762-05"]


def test_nm291_production_at_ir998_commit(meta: MetaRepo) -> None:
    prod = meta.production("NM-291", "A", IR998_META)
    assert prod.label == "Triga_PR_291"
    assert prod.require() == {
        "K4039": (0.0088, 0.0004),
        "K3839": (0.012, 2e-05),
        "K3739": (0.00014, 7e-06),
        "Ca3937": (0.0007115, 8.8e-06),
        "Ca3837": (8.7e-05, 5e-06),
        "Ca3637": (0.0002755, 1e-06),
        "Cl3638": (250.0, 0.0),
        "Ca_K": (1.96, 0.0),
        "Cl_K": (0.227, 0.0),
    }
    nm322 = meta.production("NM-322", "B", CORNUDAS_META)
    assert nm322.value("K4039") == (0.00844, 0.00017) and nm322.value("Ca3637") == (
        0.0002802,
        2e-06,
    )


def test_production_census(meta: MetaRepo) -> None:
    """207 files in the tree: 203 named (31 of them ``{}``) and 4 named ``.json``."""
    files = [(i, n) for i in meta.irradiations(HEAD) for n in meta.production_names(i, HEAD)]
    assert len(files) == 207
    named = [(i, n) for i, n in files if n]
    assert len(named) == 203
    empty = [(i, n) for i, n in named if meta.production_file(i, n, HEAD).is_empty]
    assert len(empty) == 31
    nameless = sorted(i for i, n in files if not n)
    assert nameless == ["NM-285", "NM-286", "NM-291", "NM-294"]
    assert not any(meta.production_file(i, "", HEAD).is_empty for i in nameless)


def test_missing_inputs_raise_specific_errors(meta: MetaRepo) -> None:
    with pytest.raises(PositionNotFoundError) as err:
        meta.position("NM-322", "B", 99, CORNUDAS_META)
    assert all(s in str(err.value) for s in ("NM-322", "level B", "99", CORNUDAS_META[:12]))
    with pytest.raises(EmptyProductionError) as empty:
        meta.production("NM-303_MST", "C", HEAD)
    assert "NM-303_MST/productions/PlaceHolder.json" in str(empty.value)
    with pytest.raises(ProductionNotFoundError, match="level A of NM-276"):
        meta.production("NM-276", "A", HEAD)
    with pytest.raises(FluxNotSetError, match="position 10"):
        meta.flux("NoIrradiation", "A", 10, HEAD)
    with pytest.raises(LevelNotFoundError, match="NM-322"):
        meta.level("NM-322", "Z", HEAD)
    with pytest.raises(CorruptFileError, match=re.escape("Unirradiated/C.json")):
        meta.position("Unirradiated", "C", 1, HEAD)


def test_sensitivity(meta: MetaRepo) -> None:
    run = datetime(2022, 3, 2, 10, 0)
    assert meta.sensitivity("Felix", run, CORNUDAS_META) == 2.13e-16
    # At HEAD a record dated 2021-12-01 (added 2022-09-22, back-dated by "<MANUAL> fixed
    # felix sensitivity") precedes every 2022 run.
    assert meta.sensitivity("felix", run, HEAD) == 5e-16
    assert meta.sensitivity("FELIX", datetime(2021, 6, 1), HEAD) == 2.13e-16
    assert meta.sensitivity("jan", datetime(2018, 1, 1), HEAD) == 8e-17
    assert meta.spectrometers(HEAD) == ["felix", "jan", "obama"]
    assert meta.gains("Jan", HEAD) == {}
    with pytest.raises(SpectrometerNotFoundError, match="Nope"):
        meta.sensitivity("Nope", run, HEAD)


def test_molecular_weights(meta: MetaRepo) -> None:
    weights = meta.molecular_weights(HEAD)
    assert weights["Ar40"] == 39.9624 and weights["Ar36"] == 35.9675 and weights["HCl"] == 36.0


def test_holders(meta: MetaRepo) -> None:
    irr = meta.holders("irradiation", HEAD)
    assert len(irr) == 20 and "" in irr  # one file is literally named ".txt"
    load = meta.holders("load", HEAD)
    assert len(load) == 12
    for name in irr:
        meta.holder(name, "irradiation", HEAD)
    for name in load:
        meta.holder(name, "load", HEAD)
    spokes = meta.holder("24Spokes", "irradiation", HEAD)
    assert (spokes.shape, spokes.radius, spokes.holes[0].x, spokes.holes[0].y) == (
        "56",
        0.0175,
        0.0,
        0.405,
    )
    assert spokes.holes[0].radius == 0.0175
    assert meta.holder("16_hole", "irradiation", HEAD).holes[0].radius == 0.07
    big = meta.holder("221-hole", "load", HEAD)
    assert (big.shape, big.radius, big.holes[0].x, big.holes[0].y) == (
        "circle",
        1.0,
        -3.9878,
        15.9512,
    )
    assert meta.holder("10-hole", "load", HEAD).shape == "square"
    ids = meta.holder("421-hole", "load", HEAD)
    assert (
        ids.has_hole_ids
        and ids.holes[0].id == "1"
        and (ids.holes[0].x, ids.holes[0].y) == (-6.0, 22.0)
    )
    trough = meta.holder("10trough", "load", HEAD)
    assert trough.holes[0].id == "3"  # the two blank lines shift implicit ids
    assert trough.holes[0].radius == 13.5 and trough.holes[0].radius_prefixed
    assert meta.holder("18hole", "load", HEAD).holes[-1].id == "26"  # 18 holes over 26 lines
    assert len(meta.holder("9-hole", "load", HEAD).holes) == 9  # trailing '#' comments
    with pytest.raises(HolderNotFoundError):
        meta.holder("nope", "load", HEAD)


def test_every_level_blob_in_history_decodes(meta_path: Path) -> None:
    """Ten years of level files: every valid JSON blob fits the typed view (including the
    2017 swapped ``decay_constants: 0.0`` / ``mean_j: {…}`` positions); the only failures
    are invalid JSON."""
    listing = subprocess.run(
        ["git", "rev-list", "--objects", "--all"],
        cwd=meta_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    repo = GitRepo(meta_path)
    skip = {"spectrometers", "productions", "irradiation_holders", "load_holders", "scripts"}
    skip |= {"experiments"}
    decoded = invalid = swapped = 0
    for line in listing.splitlines():
        oid, _, path = line.partition(" ")
        parts = path.split("/")
        if len(parts) != 2 or parts[0] in skip or not parts[1].endswith(".json"):
            continue
        if parts[1] == "productions.json":
            continue
        raw = repo.read_blob(oid)
        try:
            json.loads(raw)
        except ValueError:
            with pytest.raises(CorruptFileError):
                decode_level(raw, path=path)
            invalid += 1
            continue
        level = decode_level(raw, path=path)
        swapped += sum(isinstance(p.decay_constants, float) for p in level.positions)
        decoded += 1
    assert (decoded, invalid) == (4688, 14)
    assert swapped == 40
