"""Schemas of every data-repository file kind, checked against the real Pychron bundles.

The sweep decodes every file of every kind at the head of every branch of every data bundle;
the only files allowed to fail are the two IR998 interpreted ages that Pychron truncated.
Concrete values come from pychron-format.md §5 and data/README.md.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pygit2
import pytest

from ardvc.errors import CorruptFileError, NotFoundError, UsageError
from ardvc.formats.analysis_file import AnalysisFile
from ardvc.formats.extraction import ExtractionFile, StreamName
from ardvc.formats.fits import FitsFile
from ardvc.formats.kinds import SPECTROMETER, PathKind, classify_path, decode_file
from ardvc.formats.peakcenter import PeakCenterFile
from ardvc.formats.rawdata import RawData
from ardvc.formats.references import detector_of_key
from ardvc.formats.schema import MSEM_CURRENT, MSEM_LEGACY, parse_fit
from ardvc.formats.tags import EXCLUDING_TAGS
from ardvc.gitstore.repo import GitRepo, walk_tree
from conftest import DATA_BUNDLES

Bare = Callable[[str], Path]

BUNDLES = DATA_BUNDLES
EXPECTED_FAILURES = {"IR998": {"657/ia/63.ia.json", "657/ia/63_00000.ia.json"}}
UNDECODABLE_STREAMS = {"Cornudas": 132, "Lusk01121": 72, "Felix_blank180": 1}
"""Response streams (unique extraction files) that are truncated or of unknown layout."""
STREAMS: tuple[StreamName, ...] = ("measured_response", "requested_output", "setpoint_stream")
MASTER_ANALYSES = {
    "IR998": 119,
    "Cornudas": 381,
    "Lusk01121": 426,
    "Felix_blank180": 187,
    "FractionatedRes": 167,
    "IR1003": 13,
    "Irradiation-NM-293": 525,
    "SwansonB": 420,
    "Timescale": 443,
}
CORNUDAS_IA = "c919ed7dbc538568b0964e28896dd3fdbdc235ab"
CORNUDAS_HEAD = "e9510b8050cd387250a4af828fade0c4b3cca2cd"
LUSK_HEAD = "7825b18ebbfae3cf77b3236a4448d07a9d7477ad"
F02 = "f3b3a7-3cf5-4bb3-9c2d-f160f87397a9"


def _exercise(result: object, streams: Counter[str]) -> None:
    """Decode the binary payloads too, so a bad blob inside a valid file is caught."""
    if isinstance(result, RawData):
        for sig in result.signals:
            t, y = result.signal(sig.isotope, sig.detector)
            assert t.shape == y.shape
        for base in result.baselines:
            result.baseline(base.detector)
        for sniff in result.sniffs:
            result.sniff(sniff.isotope, sniff.detector)
    elif isinstance(result, PeakCenterFile) and not result.is_empty:
        for det in result.detectors:
            result.points(det)
    elif isinstance(result, ExtractionFile):
        for name in STREAMS:
            stream = result.stream(name)
            if stream is not None:
                streams[stream.encoding] += 1
                assert stream.t.size == stream.value.size


@pytest.mark.shared
@pytest.mark.parametrize("bundle", BUNDLES)
def test_every_file_at_every_branch_head_decodes(bundle: str, bundle_bare: Bare) -> None:
    repo = pygit2.Repository(str(bundle_bare(bundle)))
    decoded: set[tuple[str, str | None]] = set()
    failures: dict[tuple[str, str], CorruptFileError] = {}
    kinds: Counter[str] = Counter()
    streams: Counter[str] = Counter()
    mains: dict[str, int] = {}
    for branch in repo.branches.local:
        commit = repo.branches.local[branch].peel(pygit2.Commit)
        head = str(commit.id)
        mains[branch] = 0
        for f in walk_tree(repo, commit.tree):
            kind = classify_path(f.path)
            if kind is None:
                assert f.path.endswith("README.md"), f.path
                continue
            mains[branch] += kind.modifier is None
            kinds[kind.label] += 1
            if not kind.decoded or (f.oid, kind.modifier) in decoded:
                continue
            raw = repo[f.oid].data
            try:
                result = decode_file(kind.modifier, raw, path=f.path, repo=bundle, commit=head)
            except CorruptFileError as exc:
                failures[(head, f.path)] = exc
                continue
            decoded.add((f.oid, kind.modifier))
            _exercise(result, streams)

    assert {path for _, path in failures} == EXPECTED_FAILURES.get(bundle, set())
    for (head, path), exc in failures.items():
        assert (exc.repo, exc.commit, exc.path) == (bundle, head, path)
        assert path in str(exc) and head[:12] in str(exc)
    assert mains["master"] == MASTER_ANALYSES[bundle]
    assert streams["undecodable"] == UNDECODABLE_STREAMS.get(bundle, 0)
    for kind in ("main", ".data", "intercepts", "baselines", "blanks", "icfactors", "spectrometer"):
        assert kinds[kind] > 0, kind


def _read(bundle_bare: Bare, bundle: str, rev: str, path: str) -> tuple[bytes, str]:
    repo = GitRepo(bundle_bare(bundle))
    commit = repo.head_id(rev)
    assert commit is not None
    return repo.read(path, rev), commit


# --- main analysis file -------------------------------------------------------------------


@pytest.mark.shared
def test_main_file_lusk_collection_time(bundle_bare: Bare) -> None:
    path = "666/81-03L.json"
    raw, commit = _read(bundle_bare, "Lusk01121", LUSK_HEAD, path)
    a = decode_file(None, raw, path=path, repo="Lusk01121", commit=commit)
    assert isinstance(a, AnalysisFile)
    assert a.record_id == "66681-03L" and a.step == "L"
    assert a.uuid == "a251fda6-5bd9-4c5d-bb5b-c77bcd8dbaec"
    assert a.timestamp_dt.isoformat() == "2019-03-15T14:49:55.061740"
    assert a.meta_commit_id == "f3c45de575b8ae63b7fee625a0156943968ccbb4"
    assert a.software_commit is None
    assert (a.irradiation, a.irradiation_level, a.irradiation_position) == ("NM-300", "C", 16)
    assert a.spec_sha == "857b14d91aad9a1d167c9a6f53bb8f032c5a9e87"
    assert a.isotopes["Ar36"].detector == "L2(CDD)" and a.isotopes["Ar36"].units == "fA"
    assert a.source is not None and a.source.emission == 770.169
    assert a.collection_version == "1.0:2.0" and a.spectrometer_key == "felix"


@pytest.mark.shared
def test_main_file_cornudas_and_ir998_and_swanson(bundle_bare: Bare) -> None:
    path = f"d3/{F02}.json"
    raw, commit = _read(bundle_bare, "Cornudas", CORNUDAS_IA, path)
    a = decode_file(None, raw, path=path, repo="Cornudas", commit=commit)
    assert a.record_id == "69421-02F" and a.experiment_type == "Ar/Ar"
    assert a.principal_investigator == "Iverson, N" and a.latitude == 32.031192
    assert a.isotopes["Ar40"].units == "fA" and a.collection_version == "1.0:2.1"

    raw, commit = _read(bundle_bare, "IR998", "master", "657/61-05.json")
    ir = decode_file(None, raw, path="657/61-05.json", repo="IR998", commit=commit)
    assert ir.increment is None and ir.record_id == "65761-05"
    assert ir.isotopes["Ar41"].detector == "H2" and {"CDD", "L2"} <= set(ir.detectors)
    assert ir.conditionals is not None and ir.conditionals[0].analysis_types is None

    path = "01/73f2ee-3a16-4861-9450-7bfe3c6d08ee.json"
    raw, commit = _read(bundle_bare, "SwansonB", "master", path)
    sw = decode_file(None, raw, path=path, repo="SwansonB", commit=commit)
    assert sw.commit is None and sw.meta_commit_id == "c6db7f2be14150785925a70097961045d9231414"
    assert sw.software_commit == "2631dcfbe546883e2d19014072160359ed033f8e"
    assert sw.time_zero_dt is not None and sw.time_zero_dt < sw.timestamp_dt
    assert sw.isotopes["Ar37"].serial_id == "thermo13" and sw.isotopes["Ar36"].serial_id == "cdd"


# --- raw data, intercepts, baselines -----------------------------------------------------


@pytest.mark.shared
def test_raw_data_blobs(bundle_bare: Bare) -> None:
    path = f"d3/.data/{F02}.dat.json"
    raw, commit = _read(bundle_bare, "Cornudas", CORNUDAS_IA, path)
    data = decode_file(".data", raw, path=path, repo="Cornudas", commit=commit)
    t, y = data.signal("Ar40")
    assert t[0] == pytest.approx(31.142, abs=1e-3) and y[0] == pytest.approx(960.155, abs=1e-3)
    assert (
        data.format == ">ff" and data.software_commit == "17a4470bcdf9df74f653e3c6edae60d0bc6c022c"
    )

    path = "666/.data/81-03L.dat.json"
    raw, commit = _read(bundle_bare, "Lusk01121", LUSK_HEAD, path)
    lusk = decode_file(".data", raw, path=path, repo="Lusk01121", commit=commit)
    assert all(lusk.signal(s.isotope)[0].size == 340 for s in lusk.signals)
    assert lusk.baseline("H2")[1].size == 60
    with pytest.raises(NotFoundError, match="no baseline series"):
        lusk.baseline("nope")


@pytest.mark.shared
def test_intercepts_cornudas_reduced(bundle_bare: Bare) -> None:
    path = f"d3/intercepts/{F02}.inte.json"
    raw, commit = _read(bundle_bare, "Cornudas", CORNUDAS_IA, path)
    fits = decode_file("intercepts", raw, path=path, repo="Cornudas", commit=commit)
    ar40 = fits.entries["Ar40"]
    assert ar40.value == 962.9735436994521 and ar40.error == 0.07930102975354295
    assert ar40.fit == "parabolic" and ar40.fit_name == "parabolic"
    assert set(ar40.outlier_excluded or ()) == {166, 318} and ar40.user_excluded == []
    assert (ar40.n, ar40.fn, ar40.reviewed) == (340, 338, True)
    assert ar40.effective_error_type == "SEM"
    f = ar40.outlier_filter
    assert f.filter_outliers and f.iterations == 1 and f.std_devs == 3
    assert f.use_iqr_filtering is False and not fits.reviewed


@pytest.mark.shared
def test_ir998_top_level_reviewed_and_empty_baselines(bundle_bare: Bare) -> None:
    for modifier, path in (
        ("intercepts", "657/intercepts/61-05.inte.json"),
        ("blanks", "657/blanks/61-05.blan.json"),
        ("icfactors", "657/icfactors/61-05.icfa.json"),
    ):
        raw, commit = _read(bundle_bare, "IR998", "master", path)
        f = decode_file(modifier, raw, path=path, repo="IR998", commit=commit)
        assert f.extras == {"reviewed": True} and f.reviewed
        assert "reviewed" not in f.entries
    raw, commit = _read(bundle_bare, "IR998", "master", "657/intercepts/61-05.inte.json")
    ar40 = decode_file("intercepts", raw, path="x", commit=commit).entries["Ar40"]
    assert ar40.fit == "Linear" and ar40.fit_name == "linear" and ar40.error_type is None
    assert ar40.effective_error_type == "SEM"  # files before error_type existed

    path = "657/baselines/73-01A.base.json"
    raw, commit = _read(bundle_bare, "IR998", "master", path)
    base = decode_file("baselines", raw, path=path, repo="IR998", commit=commit)
    assert base.entries["CDD"].is_empty and base.entries["L2"].is_empty
    assert base.entries["CDD"].value is None
    assert not base.entries["L2(CDD)"].is_empty
    assert base.entries["L2(CDD)"].value == 2.6721837154279155e-06
    assert set(base.populated()) == {"AX", "H1", "H2", "L1", "L2(CDD)"}


@pytest.mark.shared
def test_baselines_zero_cdd_and_modifier(bundle_bare: Bare) -> None:
    path = "666/baselines/81-03L.base.json"
    raw, commit = _read(bundle_bare, "Lusk01121", LUSK_HEAD, path)
    cdd = decode_file("baselines", raw, path=path, commit=commit).entries["L2(CDD)"]
    assert (cdd.value, cdd.error, cdd.is_empty) == (0.0, 0.0, False)

    path = "01/baselines/73f2ee-3a16-4861-9450-7bfe3c6d08ee.base.json"
    raw, commit = _read(bundle_bare, "SwansonB", "master", path)
    sw = decode_file("baselines", raw, path=path, commit=commit).entries["CDD"]
    assert sw.modifier_value == 2.1732657021124434e-05
    assert sw.modifier_error == 9.809601492306968e-06


# --- blanks and IC factors ----------------------------------------------------------------


@pytest.mark.shared
def test_blanks_collection_bool_exclude(bundle_bare: Bare) -> None:
    path = "666/blanks/81-03L.blan.json"
    raw, commit = _read(bundle_bare, "Lusk01121", LUSK_HEAD, path)
    ar40 = decode_file("blanks", raw, path=path, commit=commit).entries["Ar40"]
    assert ar40.value == 2.8342343480026635 and ar40.fit == "previous"
    assert ar40.error_type == "" and ar40.effective_error_type is None
    ref = ar40.reference_list[0]
    assert ref.record_id == "bu-NF-F-236" and ref.exclude is False and ref.uuid is None
    assert not ref.excluded and ref.tag is None


@pytest.mark.shared
def test_blanks_reviewed_string_exclude_and_fit_suffix(bundle_bare: Bare) -> None:
    path = "00/blanks/c63177-34d6-4de1-9e2b-e63b1a149436.blan.json"
    raw, commit = _read(bundle_bare, "Cornudas", CORNUDAS_HEAD, path)
    blanks = decode_file("blanks", raw, path=path, commit=commit)
    ar37 = blanks.entries["Ar37"]
    assert ar37.fit == "Weighted Mean_SD" and ar37.fit_name == "weighted mean"
    assert ar37.effective_error_type == "SD" and ar37.value == 0.013795759006856157
    refs = ar37.reference_list
    assert len(refs) == 22 and refs[0].exclude == "ok" and not refs[0].excluded
    assert refs[13].record_id == "bu-FD-F-2357" and refs[13].tag == "omit" and refs[13].excluded
    assert blanks.entries["Ar40"].fit_name == "bracketing interpolate"


@pytest.mark.shared
def test_icfactors_bulk_edit_empty_references(bundle_bare: Bare) -> None:
    path = "666/icfactors/81-03L.icfa.json"
    raw, commit = _read(bundle_bare, "Lusk01121", LUSK_HEAD, path)
    ic = decode_file("icfactors", raw, path=path, repo="Lusk01121", commit=commit)
    cdd = ic.entries["L2(CDD)"]
    assert cdd.references == "" and cdd.reference_list == [] and cdd.is_bulk_edit
    assert cdd.scalar == 0.9932318104906938 and cdd.value == 0.9932318104906938
    assert cdd.error == 9.932318104906937e-21 and cdd.reviewed
    h1 = ic.entries["H1"]
    assert (h1.value, h1.error, h1.fit, h1.references) == (1.0, 1e-20, "default", [])


def test_icfactors_peak_hop_keys_reduce_to_detector() -> None:
    raw = json.dumps(
        {
            "Ar40:H1": {"value": 1.01, "error": 0.01, "fit": "Average", "references": []},
            "AX": {"value": 0.99, "error": 0.02, "fit": "default", "references": []},
            "reviewed": True,
        }
    ).encode()
    ic = decode_file("icfactors", raw, path="x/icfactors/y.icfa.json")
    assert detector_of_key("Ar40:H1") == "H1"
    assert ic.raw_keys() == {"Ar40:H1": "H1", "AX": "AX"}
    by_det = ic.by_detector()
    assert set(by_det) == {"H1", "AX"} and by_det["H1"].value == 1.01


# --- extraction, peak centre, tags ---------------------------------------------------------


@pytest.mark.shared
def test_extraction_legacy_and_streams(bundle_bare: Bare) -> None:
    path = "657/extraction/61-05.extr.json"
    raw, commit = _read(bundle_bare, "IR998", "master", path)
    ex = decode_file("extraction", raw, path=path, commit=commit)
    assert ex.positions[0].position == "5" and ex.position_numbers == [5]
    assert ex.legacy_text("request") == "No Response" and ex.legacy_text("sblob") == ""
    assert not ex.has_streams and ex.stream("measured_response") is None
    assert ex.beam_diameter == "1.25"

    path = f"d3/extraction/{F02}.extr.json"
    raw, commit = _read(bundle_bare, "Cornudas", CORNUDAS_IA, path)
    ex = decode_file("extraction", raw, path=path, commit=commit)
    assert ex.positions[0].position == 3 and ex.extract_value == 3.0
    stream = ex.stream("measured_response")
    assert stream is not None and stream.encoding == "pairs"
    assert stream.t[0] > 1.6e9 and stream.value[0] == 0.0 and ex.stream("setpoint_stream") is None

    empty = decode_file("extraction", b'{"positions": []}', path="e")
    assert empty.effective_positions[0].position is None and empty.position_numbers == [None]


@pytest.mark.shared
@pytest.mark.shared
@pytest.mark.parametrize(
    ("bundle", "path", "encoding", "size"),
    [
        ("Lusk01121", "666/extraction/66-01A.extr.json", "bytes_repr", None),
        ("Lusk01121", "666/extraction/75-01N.extr.json", "undecodable", "truncated after 4096"),
        ("Lusk01121", "666/extraction/76-02A.extr.json", "undecodable", "truncated after 1"),
        (
            "Cornudas",
            "06/extraction/2c9a1d-a3e4-4450-96c7-2114e1bfcf18.extr.json",
            "undecodable",
            "273 bytes",
        ),
        ("Irradiation-NM-293", "256/extraction/77-01.extr.json", "text", None),
    ],
)
def test_response_stream_variants(
    bundle_bare: Bare, bundle: str, path: str, encoding: str, size: str | None
) -> None:
    raw, commit = _read(bundle_bare, bundle, "master", path)
    stream = decode_file("extraction", raw, path=path, commit=commit).stream("measured_response")
    assert stream is not None and stream.encoding == encoding
    if stream.decoded:
        assert stream.t[0] > 1.5e9 and stream.value[0] == 0.0 and stream.t.size > 10
    elif encoding == "text":
        assert stream.text == "No Response"
    else:
        assert size is not None and stream.note is not None and size in stream.note
        assert stream.t.size == 0


@pytest.mark.shared
def test_peakcenter_current_empty_and_legacy(bundle_bare: Bare) -> None:
    path = "657/peakcenter/61-05.peak.json"
    raw, commit = _read(bundle_bare, "IR998", "master", path)
    pc = decode_file("peakcenter", raw, path=path, commit=commit)
    assert pc.reference_detector == "H1" and pc.interpolation_kind == "cubic"
    assert pc.detectors["CDD"].center_dac is None
    assert pc.scan().center_dac == 5.8783051418193315
    dac, signal = pc.points("AX")
    assert dac.size == signal.size > 0

    raw, commit = _read(bundle_bare, "IR998", "master", "657/peakcenter/62-12A.peak.json")
    assert decode_file("peakcenter", raw, path="p", commit=commit).is_empty

    blob = "QLuhLj0VljVAu6moPj0JrA=="
    legacy = decode_file(
        "peakcenter", json.dumps({"fmt": ">ff", "data": blob, "center_dac": 5.9}).encode(), path="p"
    )
    assert legacy.is_legacy and legacy.scan().center_dac == 5.9
    assert legacy.points()[0].size == 2


@pytest.mark.shared
def test_tags_name_only_and_full(bundle_bare: Bare) -> None:
    path = "a-01/tags/-F-2571.tags.json"
    raw, commit = _read(bundle_bare, "FractionatedRes", "master", path)
    assert json.loads(raw) == {"name": "invalid"}
    tag = decode_file("tags", raw, path=path, commit=commit)
    assert (tag.name, tag.note, tag.subgroup, tag.excluded) == ("invalid", "", "", True)
    full = decode_file(
        "tags", b'{"name": "ok", "note": "", "subgroup": "weighted_mean_0"}', path="t"
    )
    assert not full.excluded and full.subgroup == "weighted_mean_0"
    assert frozenset({"omit", "invalid", "outlier", "skip"}) == EXCLUDING_TAGS


def test_monitor_file() -> None:
    blob = "QLuhLj0VljU="
    entry = {"name": "Ar40", "parameter": "Ar40", "criterion": 1000, "comparator": ">"}
    raw = json.dumps([{**entry, "tripped": True, "data": blob}, {"name": "x"}]).encode()
    mon = decode_file("monitor", raw, path="m")
    assert [m.name for m in mon.tripped] == ["Ar40"] and mon.entries[0].criterion == 1000
    assert mon.entries[0].series()[0].size == 1 and mon.entries[1].series()[0].size == 0
    with pytest.raises(CorruptFileError, match="Expected `array`"):
        decode_file("monitor", b"{}", path="m")


# --- wrong shapes are errors naming file and key -----------------------------------------


@pytest.mark.parametrize(
    ("modifier", "body", "where"),
    [
        ("intercepts", {"Ar40": {"value": "abc", "error": 1.0, "fit": "linear"}}, "$.Ar40.value"),
        ("intercepts", {"Ar40": {"fit": "linear"}}, "$.Ar40"),
        ("baselines", [1, 2], "top level"),
        ("blanks", {"Ar40": {"value": 1.0, "error": 0.1, "references": "x"}}, "$.Ar40"),
        ("icfactors", {"L2(CDD)": {"value": 1.0}}, "$['L2(CDD)']"),
        (None, {"identifier": "1", "aliquot": 1}, "timestamp"),
        (None, {"identifier": "1", "aliquot": 1, "timestamp": "yesterday"}, "timestamp"),
        (".data", {"signals": [{"isotope": "Ar40"}]}, "$.signals[0]"),
        (".data", {"encoding": "hex"}, "encoding"),
        ("tags", {"note": ""}, "name"),
        ("peakcenter", {"H1": {"center_dac": "x"}}, "$.H1.center_dac"),
        ("extraction", {"positions": {}}, "$.positions"),
        ("ia", {"analyses": []}, "not an interpreted-age file"),
        (SPECTROMETER, {"gains": []}, "$.gains"),
    ],
)
def test_wrong_shape_is_corrupt_file_error(modifier: str | None, body: object, where: str) -> None:
    raw = json.dumps(body).encode()
    with pytest.raises(CorruptFileError) as info:
        decode_file(modifier, raw, path="657/x.json", repo="R", commit="c" * 40)
    err = info.value
    assert (err.path, err.repo, err.commit) == ("657/x.json", "R", "c" * 40)
    assert where in str(err) and "R:657/x.json at cccccccccccc" in str(err)


def test_truncated_json_and_unknown_kinds() -> None:
    with pytest.raises(CorruptFileError, match=r"a/ia/1\.ia\.json"):
        decode_file("ia", b'{"age": 1.0, "kca": ', path="a/ia/1.ia.json")
    with pytest.raises(UsageError, match="plain text"):
        decode_file("logs", b"log", path="a/logs/b.logs.log")
    with pytest.raises(UsageError, match="no schema"):
        decode_file("cosmogenic", b"{}", path="a")


def test_legacy_flat_outlier_keys_and_manual_values() -> None:
    body = {
        "Ar40": {
            **{"value": 1.0, "error": 0.1, "fit": "Linear_SD"},
            **{"filter_outliers": True, "iterations": 2, "std_devs": 2.5},
        },
        "Ar39": {
            **{"value": 2.0, "error": 0.2, "fit": "linear", "manual_value": 2.5},
            **{"use_manual_value": True, "use_manual_error": False, "manual_error": 9.0},
        },
        "Ar36": {
            **{"value": 3.0, "error": 0.3, "fit": "linear", "error_type": None},
            **{"outlier_excluded": None, "user_excluded": None},
        },
    }
    fits = decode_file("intercepts", json.dumps(body).encode(), path="i")
    assert isinstance(fits, FitsFile)
    ar40 = fits.entries["Ar40"]
    assert ar40.outlier_filter.iterations == 2 and ar40.outlier_filter.std_devs == 2.5
    assert ar40.effective_error_type == "SD" and ar40.fit_name == "linear"
    ar39 = fits.entries["Ar39"]
    assert (ar39.effective_value, ar39.effective_error) == (2.5, 0.2)
    assert fits.entries["Ar36"].outlier_filter.filter_outliers is False


def test_timestamp_formats() -> None:
    base = {"identifier": "1", "aliquot": 1, "increment": 0}
    for stamp in ("2017-08-13T13:56:56.005280", "2017-08-13T13:56:56", "2017-08-13 13:56:56"):
        a = decode_file(None, json.dumps({**base, "timestamp": stamp}).encode(), path="m")
        assert a.timestamp_dt.replace(microsecond=0).isoformat() == "2017-08-13T13:56:56"
        assert a.record_id == "1-01A" and a.normalised_analysis_type == "unknown"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("linear_SEM", ("linear", "SEM")),
        ("Parabolic", ("parabolic", None)),
        ("Weighted Mean_SD", ("weighted mean", "SD")),
        (f"Weighted Mean_{MSEM_LEGACY}", ("weighted mean", MSEM_LEGACY)),
        (f"Weighted Mean_{MSEM_CURRENT}", ("weighted mean", MSEM_CURRENT)),
        ("Average_sd", ("average", "SD")),
        ("Auto Linear/Parabolic", ("auto linear/parabolic", None)),
        ("custom:a*X_1+B", ("custom:a*X_1+B", None)),
        ("bulk_edit", ("bulk_edit", None)),
        ("Bracketing Interpolate", ("bracketing interpolate", None)),
    ],
)
def test_parse_fit(text: str, expected: tuple[str, str | None]) -> None:
    assert parse_fit(text) == expected


def test_classify_path() -> None:
    assert classify_path("657/61-05.json") == PathKind(None)
    assert classify_path("bu-FD/.data/-F-738.dat.json") == PathKind(".data")
    assert classify_path("657/logs/61-05.logs.log") == PathKind("logs", decoded=False)
    assert classify_path("reduction/d3/tags/f3b3.tags.json") == PathKind("tags")
    assert classify_path("694/ia/21_00000.ia.json") == PathKind("ia")
    assert classify_path("857b14d91aad9a1d167c9a6f53bb8f032c5a9e87.json") == PathKind(SPECTROMETER)
    for other in ("README.md", "csv/x.csv", "657/intercepts/61-05.json", "657/foo/x.foo.json"):
        assert classify_path(other) is None


def test_empty_blob_gives_empty_arrays() -> None:
    raw = b'{"signals": [{"isotope": "Ar40", "detector": "H1", "blob": ""}]}'
    t, y = decode_file(".data", raw, path="d").signal("Ar40", "H1")
    assert t.size == y.size == 0 and t.dtype == np.float64
