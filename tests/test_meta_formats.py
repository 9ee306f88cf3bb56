"""MetaRepo file formats on synthetic bytes: every variant and every refusal."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest

from ardvc.errors import CorruptFileError, EmptyProductionError, MissingInputError, UsageError
from ardvc.formats.chronology import ChronologySegment, decode_chronology, encode_chronology
from ardvc.formats.holders import Hole, decode_holder, encode_holder, ring_holes
from ardvc.formats.irradiation import (
    FluxResult,
    MonitorAnalysis,
    PositionUpdate,
    apply_updates,
    decode_frozen_flux,
    decode_level,
    empty_level,
    encode_frozen_flux,
    encode_level,
)
from ardvc.formats.production import (
    PRODUCTION_KEYS,
    decode_production,
    decode_production_map,
    encode_production_map,
    frozen_production_path,
    parse_frozen_production_path,
    production_document,
)
from ardvc.formats.spectrometer import (
    decode_cocktail,
    decode_number_map,
    decode_sensitivities,
    select_sensitivity,
)

# --- chronology ------------------------------------------------------------------------------

NM322 = (
    b"1.0,2021-11-01 09:50:00,2021-11-01 14:20:00\n1.0,2021-11-02 06:48:00,2021-11-02 14:18:00\n"
)


def test_chronology_round_trip_and_forms() -> None:
    chron = decode_chronology(NM322, path="NM-322/chronology.txt")
    assert len(chron) == 2
    assert chron.irradiation_time == datetime(2021, 11, 1, 9, 50)
    assert chron.segments[0].duration.total_seconds() == 4.5 * 3600
    assert encode_chronology(chron.segments) == NM322
    crlf = decode_chronology(NM322.replace(b"\n", b"\r\n"), path="x")
    assert crlf.segments == chron.segments
    old = decode_chronology(b"1.000,2012-12-06 11:15:00,2012-12-06 11:18:00\n", path="x")
    assert old.segments[0].power == 1.0
    assert encode_chronology(old.segments) == b"1.0,2012-12-06 11:15:00,2012-12-06 11:18:00\n"


def test_chronology_empty_and_skipped_lines() -> None:
    empty = decode_chronology(b"", path="NoIrradiation/chronology.txt")
    assert empty.is_empty and encode_chronology(empty.segments) == b""
    with pytest.raises(MissingInputError, match="NoIrradiation"):
        _ = empty.irradiation_time
    odd = decode_chronology(b"\nnot a segment\n" + NM322 + b"1,2,3,4\n", path="x")
    assert len(odd) == 2 and odd.skipped == (2, 5)


def test_chronology_bad_date_is_corrupt() -> None:
    with pytest.raises(CorruptFileError, match=r"NM-1/chronology.txt.*line 1"):
        decode_chronology(
            b"1.0,2021-13-01 09:50:00,2021-11-01 14:20:00\n", path="NM-1/chronology.txt"
        )
    with pytest.raises(CorruptFileError, match="power"):
        decode_chronology(b"full,2021-11-01 09:50:00,2021-11-01 14:20:00\n", path="x")


def test_chronology_writer_refuses_what_it_cannot_store() -> None:
    start = datetime(2021, 11, 1, 9, 50)
    with pytest.raises(UsageError, match="microseconds"):
        encode_chronology([ChronologySegment(1.0, start, start.replace(microsecond=5))])
    with pytest.raises(UsageError, match="before it starts"):
        encode_chronology([ChronologySegment(1.0, start, start.replace(hour=8))])
    line = encode_chronology([ChronologySegment(0.8, start, start.replace(hour=14))])
    assert line == b"0.8,2021-11-01 09:50:00,2021-11-01 14:50:00\n"


# --- levels ----------------------------------------------------------------------------------

LEVEL: dict[str, Any] = {
    "positions": [
        {
            "analyses": [{"record_id": "25761-01", "status": True, "uuid": "u1"}],
            "decay_constants": {"lambda_k_total": 5.463e-10, "lambda_k_total_error": 1e-11},
            "identifier": 25761,
            "j": 0,
            "j_err": 0,
            "position": 1,
        },
        {"decay_constants": {}, "j": 0.0026, "j_err": 5e-07, "position": 2},
    ],
    "z": 0,
}


def test_level_typed_view_and_variants() -> None:
    raw = json.dumps(LEVEL, indent=4, sort_keys=True).encode()
    level = decode_level(raw, path="NM-1/A.json")
    first, second = level.positions
    assert first.identifier_text == "25761" and first.j == 0.0
    assert first.analyses is not None and first.analyses[0].omitted is True
    assert first.lambda_k == (5.463e-10, 1e-11)
    assert second.identifier_text is None and second.lambda_k is None
    assert level.find(2) is second and level.find(3) is None
    assert encode_level(level) == raw
    bare = decode_level(json.dumps(LEVEL["positions"]).encode(), path="x")
    assert bare.legacy_list and bare.z is None and len(bare.positions) == 2
    swapped = decode_level(
        b'[{"decay_constants": 0.0, "mean_j": {"a": 1}, "position": "3"}]', path="x"
    )
    assert swapped.positions[0].position == 3 and swapped.positions[0].lambda_k is None
    assert swapped.positions[0].mean_flux is None


@pytest.mark.parametrize(
    "raw", [b'{"positions": [{"j": 1}]}', b'{"z": 0}', b"3", b'{"positions": [], "z": "high"}']
)
def test_level_bad_shapes_are_corrupt(raw: bytes) -> None:
    with pytest.raises(CorruptFileError, match=re.escape("NM-1/A.json")):
        decode_level(raw, path="NM-1/A.json", repo="MetaData", commit="0" * 40)


def test_apply_updates_touches_only_named_keys() -> None:
    raw = json.dumps(LEVEL, indent=4, sort_keys=True, separators=(", ", ": ")).encode()
    level = decode_level(raw, path="x")
    assert encode_level(apply_updates(level, [])) == raw
    updated = apply_updates(
        level,
        [
            PositionUpdate(
                2, identifier=66001, j=0.0027, j_err=6e-07, decay_constants=(5.5e-10, 0)
            ),
            PositionUpdate(7, identifier="66007"),
        ],
    )
    doc = json.loads(encode_level(updated))
    assert doc["positions"][0] == LEVEL["positions"][0]
    assert doc["positions"][1]["identifier"] == "66001"
    assert doc["positions"][1]["decay_constants"]["lambda_k_total"] == 5.5e-10
    assert doc["positions"][2] == {"decay_constants": {}, "identifier": "66007", "position": 7}
    assert b", \n" in encode_level(updated)  # the file's Python-2 style is kept
    assert level.document == LEVEL  # the source level is untouched


def test_flux_result_and_refusals() -> None:
    level = empty_level("NM-1/A.json")
    result = FluxResult(
        5,
        mean_j=0.0018,
        mean_j_err=6e-05,
        mean_j_mswd=7.1,
        analyses=[MonitorAnalysis(record_id="25762-05", uuid="u", status=True)],
    )
    doc = json.loads(encode_level(apply_updates(level, [result.as_update()])))
    entry = doc["positions"][0]
    assert entry["mean_j_mswd"] == 7.1
    assert entry["analyses"] == [{"is_omitted": True, "record_id": "25762-05", "uuid": "u"}]
    with pytest.raises(UsageError, match="positive"):
        apply_updates(level, [PositionUpdate(1, j=0)])
    with pytest.raises(UsageError, match="finite"):
        apply_updates(level, [PositionUpdate(1, j_err=float("nan"))])
    with pytest.raises(UsageError, match="empty identifier"):
        apply_updates(level, [PositionUpdate(1, identifier=" ")])
    assert encode_level(level) == b'{\n    "positions": [],\n    "z": 0\n}'


def test_frozen_flux() -> None:
    raw = encode_frozen_flux({"12345": (0.0038, 1.8e-07)})
    assert json.loads(raw) == {"12345": {"j": [0.0038, 1.8e-07]}}
    assert decode_frozen_flux(raw, path="NM-1.json") == {"12345": (0.0038, 1.8e-07)}
    with pytest.raises(CorruptFileError, match=r"NM-1.json"):
        decode_frozen_flux(b'{"12345": {"j": 0.0038}}', path="NM-1.json")


# --- productions -----------------------------------------------------------------------------

RATIOS = {k: (float(i + 1), 0.1) for i, k in enumerate(PRODUCTION_KEYS)}


def test_production_values_and_refusals() -> None:
    raw = json.dumps(production_document(RATIOS, reactor="Triga"), indent=4, sort_keys=True)
    prod = decode_production(raw.encode(), path="NM-1/productions/P.json")
    assert prod.reactor == "Triga" and prod.label == "P"
    assert prod.require()["Cl_K"] == (9.0, 0.1)
    empty = decode_production(b"{}", path="NM-1/productions/E.json", commit="ab" * 20)
    with pytest.raises(EmptyProductionError, match=r"NM-1/productions/E.json at abababababab"):
        empty.require()
    named = decode_production(b'{"name": "X", "reactor": "R"}', path="productions/X.json")
    assert named.is_empty
    with pytest.raises(EmptyProductionError):
        named.value("K4039")
    partial = decode_production(b'{"K4039": [0.01, 0.001]}', path="p.json")
    with pytest.raises(MissingInputError, match="K3839"):
        partial.require()
    with pytest.raises(CorruptFileError, match="K4039"):
        decode_production(b'{"K4039": [0.01]}', path="p.json")
    with pytest.raises(UsageError, match="Cl_K"):
        production_document({k: v for k, v in RATIOS.items() if k != "Cl_K"})


def test_production_map() -> None:
    raw = b'{\n    "A": "Triga", \n    "B": "Triga", \n    "note": "None"\n}'
    pm = decode_production_map(raw, path="NM-1/productions.json")
    assert pm.levels == {"A": "Triga", "B": "Triga"} and pm.note == "None"
    assert encode_production_map(pm, "A", "Triga") == raw
    changed = json.loads(encode_production_map(pm, "C", "Other"))
    assert changed == {"A": "Triga", "B": "Triga", "C": "Other", "note": "None"}
    assert encode_production_map(None, "A", "X") == b'{\n    "A": "X"\n}'
    with pytest.raises(CorruptFileError):
        decode_production_map(b'{"A": 3}', path="x")
    assert frozen_production_path("NM-322", "B") == "NM-322.B.production.json"
    assert parse_frozen_production_path("NM-322.B.production.json") == ("NM-322", "B")
    assert parse_frozen_production_path("a/NM-322.B.production.json") is None


# --- holders ---------------------------------------------------------------------------------


def test_holder_variants() -> None:
    plain = decode_holder(
        b"56,0.0175\n0.0,0.405\n0.1,0.2,0.07\n", name="h", kind="irradiation", path="h"
    )
    assert [(h.id, h.radius) for h in plain.holes] == [("1", 0.0175), ("2", 0.07)]
    assert plain.count == 56
    spaced = decode_holder(
        b"circle, 6\n\n\n-9.58,18.598,r6\n#c\n3.5,1,r8.5", name="h", kind="load", path="h"
    )
    assert spaced.shape == "circle" and spaced.radius == 6.0 and spaced.count is None
    assert [(h.id, h.radius, h.radius_prefixed) for h in spaced.holes] == [
        ("3", 6.0, True),
        ("5", 8.5, True),
    ]
    ids = decode_holder(b"circle,1.0,True\n\n\n7,-6.0,22.0\n", name="h", kind="load", path="h")
    assert ids.has_hole_ids and ids.hole(7) == Hole("7", -6.0, 22.0, 1.0)
    for bad in (b"", b"circle\n", b"circle,1,maybe\n", b"circle,1\n1,2,3,4\n", b"c,1\nx,y\n"):
        with pytest.raises(CorruptFileError, match=re.escape("load_holders/bad.txt")):
            decode_holder(bad, name="bad", kind="load", path="load_holders/bad.txt")


def test_holder_writer_round_trip() -> None:
    holes = ring_holes(24, 0.405, 0.0175)
    assert holes[0] == Hole("1", 0.0, 0.405, 0.0175) and holes[6].x == 0.405
    raw = encode_holder("24", 0.0175, holes)
    assert raw.splitlines()[:2] == [b"24,0.0175", b"0.0000,0.4050,0.0175"]
    back = decode_holder(raw, name="p", kind="irradiation", path="p")
    assert len(back.holes) == 24 and back.holes[6].x == 0.405
    prefixed = [Hole("1", -6.75, 19.801, 13.5, radius_prefixed=True)]
    assert encode_holder("circle", 6.0, prefixed).splitlines()[1] == b"-6.7500,19.8010,r13.5000"


# --- spectrometer and constants --------------------------------------------------------------

SENS = [
    {"create_date": "2020-01-27 12:54:30", "sensitivity": 2.13e-16},
    {"create_date": "2000-05-18 12:54:30", "sensitivity": 4e-16},
    {"create_date": "", "sensitivity": 9e-16},
    {"create_date": "2021-12-01 09:51:29", "sensitivity": 5e-16},
]


def test_sensitivity_selection_is_by_date_not_file_order() -> None:
    records = decode_sensitivities(json.dumps(SENS).encode(), path="s")
    assert select_sensitivity(records, datetime(2021, 6, 1)).sensitivity == 2.13e-16  # type: ignore[union-attr]
    assert select_sensitivity(records, datetime(2022, 3, 1)).sensitivity == 5e-16  # type: ignore[union-attr]
    assert select_sensitivity(records, datetime(2010, 1, 1)).sensitivity == 4e-16  # type: ignore[union-attr]
    assert select_sensitivity(records, datetime(1999, 1, 1)) is None
    with pytest.raises(CorruptFileError, match=r"\$\[0\]"):
        decode_sensitivities(b'[{"create_date": "yesterday", "sensitivity": 1}]', path="s")


def test_number_maps_and_cocktail() -> None:
    assert decode_number_map(b'{"Ar40": 39.9624, "HCl": 36}', path="m") == {
        "Ar40": 39.9624,
        "HCl": 36.0,
    }
    with pytest.raises(CorruptFileError):
        decode_number_map(b'{"Ar40": "heavy"}', path="m")
    cocktail = decode_cocktail(b'{"chronology": "2016-06-01 17:00:00", "j": 4e-4, "j_err": 4e-9}')
    assert cocktail.j == 4e-4 and len(cocktail.chronology) == 1
    assert cocktail.chronology.total_duration.total_seconds() == 0
    with pytest.raises(CorruptFileError, match=re.escape("cocktail.json")):
        decode_cocktail(b'{"chronology": "2016-06-01 17:00:00", "j": 0, "j_err": 0}')
