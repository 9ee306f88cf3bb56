"""Interpreted-age files: 2018 flat (IR998) and 2022 nested (Cornudas), values from
data/README.md; the truncated IR998 files must be reported by path, never crash a batch."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ardvc.errors import CorruptFileError
from ardvc.formats.ia import IAFile, IAFile2018, IAFile2022, decode_ia
from ardvc.formats.kinds import decode_file
from ardvc.formats.schema import MSEM_LEGACY
from ardvc.gitstore.repo import GitRepo

Bare = Callable[[str], Path]

IR998_61 = [
    ("65761-05", 10.75189100951123, 0.005480068535964898, 38.443883931377655, 99.21605150939592),
    ("65761-06", 10.732218082922458, 0.002767692634755373, 39.79484724579708, 99.33650180856834),
    ("65761-07", 10.695986346587517, 0.00467460173087856, 41.52916116194254, 99.33540509813346),
    ("65761-08", 10.697809937297187, 0.002769071674471316, 40.64758057918028, 99.61677926680196),
    ("65761-09", 10.695835983758167, 0.0035907486273569133, 42.386944481826276, 99.51948802321704),
    ("65761-10", 10.696237344375328, 0.004679503639390853, 36.05845095562652, 99.41552165835677),
    ("65761-11", 10.703064373522476, 0.0026953383404883006, 37.352188566625195, 99.5539687737633),
    ("65761-12", 10.714990489297875, 0.011110024238417204, 25.51081681383257, 99.18211873692229),
    ("65761-13", 10.752041804116217, 0.003620698469709862, 47.12834860827715, 99.40673306460164),
]
CORNUDAS_21 = [
    ("69421-02A", "9f1bf0da-f493-4fba-84dd-de41145a538b", 10.256790546470379,
     1.8277506553563656, 6.797611354615094, 2.2635687642273075, False),
    ("69421-02B", "859699f2-d051-4382-84ff-3620be3a5d75", 26.238283246654134,
     0.34235552496499533, 15.369129943532476, 24.22390129998482, False),
    ("69421-02C", "957b0f4b-d8e2-4ed8-a65c-abbee2004eb8", 29.470975794979076,
     0.19834027709756635, 13.036615693052822, 38.71102272727956, False),
    ("69421-02D", "36f36563-7b29-4681-96d6-55a8ab50e02e", 30.66853802872397,
     0.09989974949998516, 10.529577537679994, 57.392424355591295, False),
    ("69421-02E", "1de4c857-937c-407c-876f-4c5d71009191", 31.500714954052402,
     0.048579220288893554, 12.255837325899106, 75.9393326233376, False),
    ("69421-02F", "d3f3b3a7-3cf5-4bb3-9c2d-f160f87397a9", 31.843196079528557,
     0.034624951742485297, 16.29416843122226, 80.7362046089905, True),
    ("69421-02G", "5733c6b8-be5f-4c64-b45d-a51e917b1b3c", 31.97457387500833,
     0.03429494094223715, 15.594973932868871, 81.04588799817397, True),
    ("69421-02H", "6f998079-719d-47dc-ac53-fc275873b3c7", 31.97274901972223,
     0.037954541049487325, 18.16645517008277, 79.47806442071001, True),
    ("69421-02I", "0ca49a76-8cfd-4457-9ab8-ca673e5d185f", 31.880467887072246,
     0.052453663886276904, 36.883784777848966, 74.07294729247025, True),
    ("69421-02J", "015aae9e-263d-4261-a34b-1b4bcc83d2fa", 31.8865006223828,
     0.061794942019893044, 53.876028341111095, 71.07330161842866, True),
]  # fmt: skip
CORNUDAS_27_AGES = [
    (1.0340245809009638, 5.328120516366207),
    (24.627519660889387, 0.8303653466674609),
    (29.83750429088586, 0.22271206930713852),
    (31.37450593432395, 0.11093497874886339),
    (31.640447237644853, 0.07793384729070511),
    (31.241150037549605, 0.08604960457271382),
    (30.92967618191752, 0.12426476307217206),
    (30.88087329650908, 0.16293155820941196),
    (30.867948208229503, 0.2087803567729523),
    (31.011363319070032, 0.22479562449200005),
]


def _ia(bundle_bare: Bare, bundle: str, commit: str, path: str) -> IAFile:
    raw = GitRepo(bundle_bare(bundle)).read(path, commit)
    return decode_file("ia", raw, path=path, repo=bundle, commit=commit)


@pytest.mark.shared
def test_2018_flat_61(bundle_bare: Bare) -> None:
    ia = _ia(bundle_bare, "IR998", "6a4cdd742592f1cb382cff3c68719fd9c433f52a", "657/ia/61.ia.json")
    assert isinstance(ia, IAFile2018) and ia.format_version == 2018
    assert ia.age == 10.713837865570948 and ia.age_err == 0.0012079967091340037
    assert ia.age_kind == "Weighted Mean" and ia.age_error_kind_effective == MSEM_LEGACY
    assert ia.ages is not None and ia.ages.plateau_age == 10.699054658095516
    assert ia.ages.plateau_age_err == 0.0014988025149511221
    assert ia.ages.integrated_age == 10.715196402766587
    assert ia.identifier == "65761" and ia.sample == "MS-13-09" and ia.nanalyses == 9
    assert ia.arar_constants is not None and "atm4036" in ia.arar_constants
    rows = [(a.record_id, a.age, a.age_err, a.kca, a.radiogenic_yield) for a in ia.analyses]
    assert rows == IR998_61
    assert all(a.tag == "ok" for a in ia.analyses)
    assert [a.plateau_step for a in ia.analyses].count(True) == 6  # 65761-07 … 12
    assert ia.analyses[0].uuid == "5d9e3f29-1803-4f9f-99a3-b76df13001f2"
    assert ia.analyses[0].blanks is None  # 2018 files carry no intermediates


@pytest.mark.shared
def test_2018_preferred_kinds_and_tags(bundle_bare: Bare) -> None:
    commit = "f86de08f86ddd7801062ba4c935e8e8c14e06ae4"
    ia = _ia(bundle_bare, "IR998", commit, "657/ia/61_00003.ia.json")
    assert isinstance(ia, IAFile2018) and ia.age_kind is None
    assert ia.age == 10.727505279828943 and ia.age_err == 0.007080155418086362
    kind = ia.preferred_kind("age")
    assert kind is not None and kind.kind == "Weighted Mean" and kind.value == ia.age
    assert ia.age_error_kind_effective == MSEM_LEGACY and len(ia.analyses) == 5

    ia67 = _ia(
        bundle_bare, "IR998", "8002fdd76ae0ad675d839b4d94c24daba426b5a8", "657/ia/67.ia.json"
    )
    assert ia67.age == 24.7501227721075 and ia67.age_err == 0.059048521323748576
    assert len(ia67.analyses) == 17 and [a.tag for a in ia67.analyses].count("ok") == 13


@pytest.mark.shared
def test_2022_nested_21(bundle_bare: Bare) -> None:
    commit = "c919ed7dbc538568b0964e28896dd3fdbdc235ab"
    ia = _ia(bundle_bare, "Cornudas", commit, "694/ia/21_00000.ia.json")
    assert isinstance(ia, IAFile2022) and ia.format_version == 2022
    assert ia.name == "02" and ia.uuid == "207655ea-1a0f-43fb-b8f2-fd6fac19db66"
    assert ia.identifier == "69421" and ia.sample == "CORN-805"
    assert ia.sample_metadata["irradiation_position"] == 2
    assert ia.collection_metadata == {"instrument": "Felix", "technique": "Ar/Ar"}
    assert ia.ages is not None
    assert (ia.ages.weighted_age, ia.ages.weighted_age_err) == (
        31.800836539190428,
        0.15402696053700485,
    )
    assert (ia.ages.plateau_age, ia.ages.plateau_age_err) == (
        31.918606680860304,
        0.029193285068718947,
    )
    assert ia.ages.integrated_age == 30.748466276749372
    assert ia.ages.isochron_age == 32.3956751143902
    assert (ia.age, ia.age_err) == (31.918606680860304, 0.029193285068718947)
    assert ia.mswd == 2.5600268206970083 and ia.nanalyses == 5
    kca = ia.preferred_kind("kca")
    assert kca is not None and (kca.value, kca.error) == (19.16875065501418, 0.38535034017024394)
    assert ia.arar_constants is not None and ia.arar_constants["atm4036_err"] == 0.5
    rows = [
        (a.record_id, a.uuid, a.age, a.age_err, a.kca, a.radiogenic_yield, a.plateau_step)
        for a in ia.analyses
    ]
    assert rows == CORNUDAS_21


@pytest.mark.shared
def test_2022_intermediates(bundle_bare: Bare) -> None:
    commit = "c919ed7dbc538568b0964e28896dd3fdbdc235ab"
    ia = _ia(bundle_bare, "Cornudas", commit, "694/ia/21_00000.ia.json")
    f = next(a for a in ia.analyses if a.record_id == "69421-02F")
    assert f.baseline_corrected_intercepts is not None and f.blanks is not None
    assert f.icfactors is not None and f.ic_corrected_values is not None
    assert f.interference_corrected_values is not None
    assert f.baseline_corrected_intercepts["Ar40"].value == 962.9124098891253
    assert f.baseline_corrected_intercepts["Ar40"].error == 0.07930102975354295
    assert f.blanks["Ar37"].value == 0.013795759006856157
    assert f.icfactors["Ar36"].value == 1.0261626009173541  # keyed by isotope
    assert f.icfactors["Ar40"].error == 1e-20
    assert f.ic_corrected_values["Ar39"].value == 232.73771041284346
    assert f.interference_corrected_values["Ar37"].value == 7.32644371199347
    assert f.rundate == "2022-01-23T06:32:49.107282" and f.extract_value == 3.0
    assert f.radiogenic_yield_err == 0.0851219800746143 and f.age_units == "Ma"


@pytest.mark.shared
def test_2022_nested_27(bundle_bare: Bare) -> None:
    commit = "e4254bccd3b57a470eec84080effd70b5a9b33a7"
    ia = _ia(bundle_bare, "Cornudas", commit, "694/ia/27_00000.ia.json")
    assert isinstance(ia, IAFile2022) and ia.identifier == "69427"
    assert [(a.age, a.age_err) for a in ia.analyses] == CORNUDAS_27_AGES
    assert ia.ages is not None and ia.ages.plateau_age == 31.073950163494114
    assert ia.ages.weighted_age == 31.22624506932586


@pytest.mark.shared
@pytest.mark.parametrize(
    ("path", "commit"),
    [
        ("657/ia/63.ia.json", "675bf0e5a6377477c7c64fb4159d3f7170267b60"),
        ("657/ia/63_00000.ia.json", "fe568b4dd697b06f1014d6fed1bf4b559b261b58"),
        ("657/ia/63.ia.json", "9cfbe80069ec11897a1819670651d3135257c77a"),
    ],
)
def test_truncated_ia_is_reported_by_path(bundle_bare: Bare, path: str, commit: str) -> None:
    raw = GitRepo(bundle_bare("IR998")).read(path, commit)
    assert raw.rstrip().endswith(b'"kca":')
    with pytest.raises(CorruptFileError) as info:
        decode_file("ia", raw, path=path, repo="IR998", commit=commit)
    assert (info.value.path, info.value.repo, info.value.commit) == (path, "IR998", commit)
    assert f"IR998:{path} at {commit[:12]}" in str(info.value)


def test_decode_ia_tells_formats_apart() -> None:
    flat = {"age": 1.0, "analyses": [{"record_id": "1-01", "tag": "ok"}]}
    nested = {"preferred": {"age": 2.0}, "analyses": [{"record_id": "2-01A"}]}
    assert isinstance(decode_ia(flat, path="a"), IAFile2018)
    got = decode_ia(nested, path="b")
    assert isinstance(got, IAFile2022) and got.age == 2.0 and got.preferred_kinds == []
    with pytest.raises(CorruptFileError, match="record_id"):
        decode_ia({"age": 1.0, "analyses": [{}]}, path="c")
    with pytest.raises(CorruptFileError, match="analyses"):
        decode_file("ia", json.dumps({"preferred": {}}).encode(), path="d")
