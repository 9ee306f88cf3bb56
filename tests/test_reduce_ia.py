"""Acceptance: every per-analysis value of the IR998 and Cornudas interpreted-age files is
recomputed from git to 1e-9 relative (the reference says they agree to ~3e-16)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ardvc.data import DataRepo
from ardvc.formats.ia import IAFile2022, decode_ia
from ardvc.formats.jsonio import loads
from ardvc.gitstore import GitRepo
from ardvc.meta import MetaRepo
from ardvc.reduce.conventions import PYCHRON_2018, PYCHRON_2022
from ardvc.reduction.run import reduce_analyses

pytestmark = pytest.mark.shared
RTOL = 1e-9
DENVER = "America/Denver"

# (repo, IA path, data commit, MetaData commit): shared/data/README.md "Expected results"
META_2018 = "effde91d90b67de985fc60517782b388eacea6d0"
META_63 = "d6180a19f872e2f12a112be60c7124bf17e5a7a2"
META_2022 = "20d8fab7220fa66144f756d421809c0dc1ef0bcf"
CORNUDAS_02F = "d3f3b3a7-3cf5-4bb3-9c2d-f160f87397a9"
CORNUDAS_IA = "c919ed7dbc538568b0964e28896dd3fdbdc235ab"
IA_CASES = [
    ("IR998", "657/ia/61.ia.json", "6a4cdd742592f1cb382cff3c68719fd9c433f52a", META_2018),
    ("IR998", "657/ia/61_00000.ia.json", "9db6040f18eb31c01f89459e9368c91920aeda49", META_2018),
    ("IR998", "657/ia/61_00001.ia.json", "5888aef3ee6f7e09ecc529ff1d7391cc04492b24", META_2018),
    ("IR998", "657/ia/61_00002.ia.json", "b08a4db6582935eeaad07e4649bc62d331b93c30", META_2018),
    ("IR998", "657/ia/61_00003.ia.json", "f86de08f86ddd7801062ba4c935e8e8c14e06ae4", META_2018),
    ("IR998", "657/ia/63_00001.ia.json", "8ba12982af70eeea39224cee4c59aea51c8c51a3", META_63),
    ("IR998", "657/ia/67.ia.json", "8002fdd76ae0ad675d839b4d94c24daba426b5a8", META_2018),
    ("IR998", "657/ia/73.ia.json", "928b0a0858e0df9d8b9b079387beccad22b5a1e4", META_2018),
    ("Cornudas", "694/ia/21_00000.ia.json", CORNUDAS_IA, META_2022),
    ("Cornudas", "694/ia/27_00000.ia.json", "e4254bccd3b57a470eec84080effd70b5a9b33a7", META_2022),
]


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b) if b else abs(a - b)


@pytest.mark.parametrize(("repo", "path", "commit", "meta_commit"), IA_CASES)
def test_individual_values_reproduce(
    repo: str, path: str, commit: str, meta_commit: str, bundle_bare: Callable[[str], Path]
) -> None:
    data = DataRepo(GitRepo(bundle_bare(repo)))
    meta = MetaRepo(GitRepo(bundle_bare("MetaData")))
    ia = decode_ia(loads(data.git.read(path, commit), path=path), path=path)
    nested = isinstance(ia, IAFile2022)
    conventions = (PYCHRON_2022 if nested else PYCHRON_2018).updated(timezone=DENVER)
    analyses = [
        data.analysis(a.uuid if nested and a.uuid else a.record_id, commit) for a in ia.analyses
    ]
    reduction = reduce_analyses(
        analyses, meta, meta_rev=meta_commit, conventions=conventions, repos={repo: data}
    )
    worst = 0.0
    for stored, got in zip(ia.analyses, reduction.results, strict=True):
        assert got.ok, got.error
        assert got.record_id == stored.record_id
        for attr in ("age", "age_err", "kca", "radiogenic_yield"):
            expected = getattr(stored, attr)
            assert expected is not None
            worst = max(worst, rel(getattr(got, attr), expected))
        assert rel(got.age_err, stored.age_err_wo_j or stored.age_err or 0.0) < RTOL
        if stored.kca_err is not None:
            assert rel(got.kca_err, stored.kca_err) < RTOL
        # provenance names the blobs and both commits
        assert got.provenance["commit"] == commit
        assert got.provenance["meta_commit"] == meta_commit
        assert got.provenance["files"]["intercepts"]
        assert got.provenance["parameters"]["conventions"]["name"] == conventions.name
    print(f"{path}: worst relative deviation {worst:.2e}")
    assert worst < RTOL, worst


@pytest.mark.parametrize("convention", ["2018-on-2022", "2022-on-2018"])
def test_the_trapped_error_convention_is_detected(
    convention: str, bundle_bare: Callable[[str], Path]
) -> None:
    """Negative controls of data/README.md: the wrong convention misses the stored errors."""
    meta = MetaRepo(GitRepo(bundle_bare("MetaData")))
    if convention == "2022-on-2018":
        data = DataRepo(GitRepo(bundle_bare("IR998")))
        a = data.analysis("65761-05", "6a4cdd742592f1cb382cff3c68719fd9c433f52a")
        wrong = PYCHRON_2022.updated(timezone=DENVER)
        r = reduce_analyses([a], meta, meta_rev=META_2018, conventions=wrong).results[0]
        assert rel(r.age_err, 0.005480843283402892) < RTOL
        assert rel(r.age_err, 0.005480068535964898) > 1e-5
    else:
        data = DataRepo(GitRepo(bundle_bare("Cornudas")))
        a = data.analysis(CORNUDAS_02F, CORNUDAS_IA)
        wrong = PYCHRON_2018.updated(timezone=DENVER)
        r = reduce_analyses([a], meta, meta_rev=META_2022, conventions=wrong).results[0]
        assert rel(r.age_err, 0.032247252910844855) < RTOL


def test_decay_conventions_are_switches(bundle_bare: Callable[[str], Path]) -> None:
    """Segment end instead of start, and naive instead of Denver time, change the numbers as
    data/README.md says."""
    meta = MetaRepo(GitRepo(bundle_bare("MetaData")))
    data = DataRepo(GitRepo(bundle_bare("Cornudas")))
    a = data.analysis(CORNUDAS_02F, CORNUDAS_IA)
    mc = META_2022
    base = reduce_analyses(
        [a], meta, meta_rev=mc, conventions=PYCHRON_2022.updated(timezone=DENVER)
    )
    end = reduce_analyses(
        [a], meta, meta_rev=mc, conventions=PYCHRON_2022.updated(timezone=DENVER, decay_from="end")
    )
    naive = reduce_analyses([a], meta, meta_rev=mc, conventions=PYCHRON_2022)
    assert base.chain is not None and end.chain is not None and naive.chain is not None
    assert rel(base.chain.df37[0], 4.951401930004346) < 1e-13
    assert rel(end.chain.df37[0], 4.926177127512085) < 1e-13
    shift = rel(naive.results[0].age, base.results[0].age)
    assert 0 < shift < 2.6e-7 * 1.01
