"""MetaRepo writers: exact paths per commit, Pychron's messages, files readable back by the
API and by plain ``json.loads``, untouched bytes everywhere else."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from ardvc.errors import EmptyProductionError, UsageError
from ardvc.formats.production import PRODUCTION_KEYS, decode_production
from ardvc.gitstore import Author, CommitResult, GitRepo
from ardvc.meta import (
    AlreadyExistsError,
    ChronologySegment,
    FluxResult,
    IrradiationNotFoundError,
    MetaRepo,
    MonitorAnalysis,
    PositionUpdate,
    ProductionNotFoundError,
)
from conftest import clone_bundle

AUTHOR = Author("Lab Tester", "tester@example.org")
RATIOS = {
    "K4039": (0.00844, 0.00017),
    "K3839": (0.01244, 1e-05),
    "K3739": (0.00015, 1.5e-05),
    "Ca3937": (0.000697, 2e-06),
    "Ca3837": (0.0001, 2e-06),
    "Ca3637": (0.0002802, 2e-06),
    "Cl3638": (250.0, 0.0),
    "Ca_K": (1.96, 0.0),
    "Cl_K": (0.227, 0.0),
}
SEGMENTS = [
    ChronologySegment(1.0, datetime(2021, 11, 1, 9, 50), datetime(2021, 11, 1, 14, 20)),
    ChronologySegment(0.8, datetime(2021, 11, 2, 6, 48), datetime(2021, 11, 2, 14, 18)),
]


def changed_paths(git: GitRepo, result: CommitResult) -> set[str]:
    """Paths that differ between the commit and its parent, as git sees them."""
    assert result.commit is not None and result.parent is not None
    commit = git.resolve(result.commit)
    assert [str(p) for p in commit.parent_ids] == [result.parent]
    diff = git.raw.diff(git.resolve(result.parent), commit)
    return {d.new_file.path for d in diff.deltas}


def message(git: GitRepo, result: CommitResult) -> str:
    assert result.commit is not None
    return str(git.resolve(result.commit).message)


@pytest.fixture
def fresh(tmp_path: Path) -> MetaRepo:
    meta = MetaRepo(GitRepo.init(tmp_path / "LabMeta"))
    meta.initialize("LabMeta", AUTHOR)
    return meta


def test_initial_files(tmp_path: Path) -> None:
    files = MetaRepo.initial_files("LabMeta")
    assert files["README.md"] == b"# LabMeta"
    assert files[".gitignore"] == b".DS_Store\n"
    assert json.loads(files["molecular_weights.json"])["Ar40"] == 39.9624
    placeholder = decode_production(
        files["productions/Placeholder.json"], path="productions/Placeholder.json"
    )
    assert json.loads(files["productions/Placeholder.json"]) == {
        "name": "Placeholder",
        "reactor": "Placeholder",
    }
    with pytest.raises(EmptyProductionError, match="Placeholder"):
        placeholder.require()

    git = GitRepo.init(tmp_path / "LabMeta")
    meta = MetaRepo(git)
    result = meta.initialize("LabMeta", AUTHOR)
    assert result.parent is None and set(result.written) == set(files)
    assert {f.path for f in git.files()} == set(files)
    assert meta.molecular_weights()["Ar36"] == 35.9675
    ring = meta.holder("Placeholder", "irradiation")
    assert len(ring.holes) == 24 and ring.holes[0].radius == 0.0175
    assert len(meta.holder("Placeholder", "load").holes) == 24
    with pytest.raises(AlreadyExistsError):
        meta.initialize("LabMeta", AUTHOR)
    assert (git.path / "README.md").read_bytes() == b"# LabMeta"  # working tree follows


def test_new_irradiation_end_to_end(fresh: MetaRepo) -> None:
    git = fresh.git
    added = fresh.add_irradiation("NM-999", AUTHOR)
    assert changed_paths(git, added) == {"NM-999/chronology.txt", "NM-999/productions.json"}
    assert message(git, added) == "Added irradiation NM-999"
    assert git.read("NM-999/chronology.txt") == b"" and git.read("NM-999/productions.json") == b"{}"
    assert fresh.irradiations() == ["NM-999"] and fresh.chronology("NM-999").is_empty
    with pytest.raises(AlreadyExistsError):
        fresh.add_irradiation("NM-999", AUTHOR)

    chron = fresh.write_chronology("NM-999", SEGMENTS, AUTHOR)
    assert changed_paths(git, chron) == {"NM-999/chronology.txt"}
    assert message(git, chron) == "updated chronology for NM-999"
    assert git.read("NM-999/chronology.txt") == (
        b"1.0,2021-11-01 09:50:00,2021-11-01 14:20:00\n"
        b"0.8,2021-11-02 06:48:00,2021-11-02 14:18:00\n"
    )
    assert fresh.chronology("NM-999").segments == tuple(SEGMENTS)
    assert fresh.write_chronology("NM-999", SEGMENTS, AUTHOR).commit is None  # no change

    prod = fresh.write_production("NM-999", "NM-999_PR", RATIOS, AUTHOR, reactor="Triga")
    assert changed_paths(git, prod) == {"NM-999/productions/NM-999_PR.json"}
    assert message(git, prod) == "Edited production NM-999_PR for Irradiation NM-999"
    stored = json.loads(git.read("NM-999/productions/NM-999_PR.json"))
    assert stored["K4039"] == [0.00844, 0.00017] and stored["reactor"] == "Triga"

    level = fresh.add_level("NM-999", "A", AUTHOR, production="NM-999_PR")
    assert changed_paths(git, level) == {"NM-999/A.json", "NM-999/productions.json"}
    assert message(git, level) == "Added level A to NM-999"
    assert git.read("NM-999/A.json") == b'{\n    "positions": [],\n    "z": 0\n}'
    assert json.loads(git.read("NM-999/productions.json")) == {"A": "NM-999_PR"}
    assert fresh.production("NM-999", "A").require() == RATIOS
    with pytest.raises(AlreadyExistsError):
        fresh.add_level("NM-999", "A", AUTHOR)
    with pytest.raises(ProductionNotFoundError):
        fresh.add_level("NM-999", "B", AUTHOR, production="Missing")
    with pytest.raises(IrradiationNotFoundError):
        fresh.add_level("NM-998", "A", AUTHOR)

    updates = [
        PositionUpdate(
            1, identifier=69421, j=0.0052601, j_err=9.7e-07, decay_constants=(5.463e-10, 1e-11)
        ),
        PositionUpdate(2, identifier="69422", j=0.0052602, j_err=9.8e-07),
    ]
    pos = fresh.set_positions("NM-999", "A", updates, AUTHOR)
    assert changed_paths(git, pos) == {"NM-999/A.json"}
    assert message(git, pos) == "Labnumber Entry Save"
    doc = json.loads(git.read("NM-999/A.json"))
    assert doc["positions"][0]["identifier"] == "69421"
    flux = fresh.flux("NM-999", "A", 1)
    assert (flux.j, flux.j_err, flux.lambda_k) == (0.0052601, 9.7e-07, (5.463e-10, 1e-11))

    monitors = [MonitorAnalysis(record_id="69421-01", uuid="u-1", is_omitted=False)]
    saved = fresh.save_flux(
        "NM-999",
        "A",
        [FluxResult(1, mean_j=0.00526, mean_j_err=1.2e-06, mean_j_mswd=1.7, analyses=monitors)],
        AUTHOR,
    )
    assert changed_paths(git, saved) == {"NM-999/A.json"}
    assert message(git, saved) == "fit flux for NM-999A"
    position = fresh.position("NM-999", "A", 1)
    assert position.mean_flux == (0.00526, 1.2e-06) and position.mean_j_mswd == 1.7
    assert position.j == 0.0052601  # the modelled J is not touched by a mean-only result
    assert json.loads(git.read("NM-999/A.json"))["positions"][1] == doc["positions"][1]


def test_writers_refuse_bad_input(fresh: MetaRepo) -> None:
    fresh.add_irradiation("NM-1", AUTHOR)
    partial = {k: v for k, v in RATIOS.items() if k != "Ca_K"}
    with pytest.raises(UsageError, match="Ca_K"):
        fresh.write_production("NM-1", "P", partial, AUTHOR)
    late = [ChronologySegment(1.0, datetime(2021, 1, 1, 10), datetime(2021, 1, 1, 9))]
    with pytest.raises(UsageError):
        fresh.write_chronology("NM-1", late, AUTHOR)
    fresh.add_level("NM-1", "A", AUTHOR)
    with pytest.raises(UsageError, match="positive"):
        fresh.set_positions("NM-1", "A", [PositionUpdate(1, j=0.0)], AUTHOR)
    with pytest.raises(UsageError):
        fresh.set_positions("NM-1", "A", [], AUTHOR)
    with pytest.raises(UsageError):
        fresh.add_level("NM-1", "productions", AUTHOR)
    assert fresh.levels("NM-1") == ["A"]


@pytest.mark.shared
def test_writers_on_the_real_metarepo(tmp_path: Path) -> None:
    git = GitRepo(clone_bundle("MetaData", tmp_path / "MetaData"))
    meta = MetaRepo(git)
    head = meta.commit_id()
    before = git.read("NM-322/B.json")
    level = meta.level("NM-322", "B")
    monitor = next(p for p in level.positions if p.analyses)

    result = FluxResult(monitor.position, mean_j=0.0052726, mean_j_err=1.44e-06, mean_j_mswd=6.78)
    saved = meta.save_flux("NM-322", "B", [result], AUTHOR)
    assert saved.parent == head
    assert changed_paths(git, saved) == {"NM-322/B.json"}
    assert message(git, saved) == "fit flux for NM-322B"
    after_doc = json.loads(git.read("NM-322/B.json"))
    before_doc = json.loads(before)
    for old, new in zip(before_doc["positions"], after_doc["positions"], strict=True):
        if old["position"] == monitor.position:
            assert new["mean_j"] == 0.0052726 and new["analyses"] == old["analyses"]
            assert {k: v for k, v in new.items() if not k.startswith("mean_j")} == {
                k: v for k, v in old.items() if not k.startswith("mean_j")
            }
        else:
            assert new == old
    # only the changed position's lines differ
    old_lines, new_lines = before.splitlines(), git.read("NM-322/B.json").splitlines()
    assert len(old_lines) == len(new_lines)
    assert sum(a != b for a, b in zip(old_lines, new_lines, strict=True)) == 3

    # a legacy bare-list level stays a bare list; an unchanged write commits nothing
    bare = meta.level("NM-264", "B")
    assert bare.legacy_list
    same = PositionUpdate(bare.positions[0].position, j=bare.positions[0].j)
    assert meta.set_positions("NM-264", "B", [same], AUTHOR).commit is None
    new_j = PositionUpdate(bare.positions[0].position, j=0.0002615, j_err=5.2e-07)
    edited = meta.set_positions("NM-264", "B", [new_j], AUTHOR)
    assert changed_paths(git, edited) == {"NM-264/B.json"}
    assert isinstance(json.loads(git.read("NM-264/B.json")), list)
    assert meta.position("NM-264", "B", bare.positions[0].position).j == 0.0002615

    # productions.json keeps its other levels and its note
    meta.write_production("NM-322", "NM-322_PR2", RATIOS, AUTHOR)
    mapped = meta.set_level_production("NM-322", "O", "NM-322_PR2", AUTHOR)
    assert changed_paths(git, mapped) == {"NM-322/productions.json"}
    assert message(git, mapped) == "Edited level O"
    mapping = json.loads(git.read("NM-322/productions.json"))
    assert (
        mapping["O"] == "NM-322_PR2" and mapping["A"] == "NM-322_PR" and mapping["note"] == "None"
    )
    assert set(PRODUCTION_KEYS) == set(meta.production("NM-322", "O").require())
