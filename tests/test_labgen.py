"""The synthetic-lab generator of the index benchmark (benchmarks/labgen.py), at small sizes."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import orjson
import pytest

import labgen
from ardvc.api import Lab
from ardvc.data import DataRepo
from ardvc.formats.jsonio import dumps
from ardvc.formats.kinds import decode_file
from ardvc.formats.paths import write_address
from ardvc.gitstore import GitRepo
from ardvc.meta import MetaRepo

ANALYSES, REPOS = 200, 3


def git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=path, check=True, capture_output=True, text=True
    ).stdout


def repo_paths(root: Path) -> list[Path]:
    return sorted((root / "repositories").iterdir())


def heads(root: Path) -> dict[str, str]:
    return {
        p.name: git(p, "rev-parse", "HEAD").strip() for p in [*repo_paths(root), root / "MetaData"]
    }


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> labgen.LabSummary:
    return labgen.generate_lab(
        tmp_path_factory.mktemp("lab") / "dvc", analyses=ANALYSES, repos=REPOS, seed=7
    )


def test_counts_are_as_requested(lab: labgen.LabSummary) -> None:
    assert lab.analyses == ANALYSES
    assert sorted(lab.repos) == ["Bench00", "Bench01", "Bench02"]
    assert not (lab.root / ".ardvc").exists()
    for path in repo_paths(lab.root):
        summary = lab.repos[path.name]
        tree = git(path, "ls-tree", "-r", "--name-only", "HEAD").splitlines()
        assert summary.files == len(tree)
        assert summary.commits == int(git(path, "rev-list", "--count", "HEAD"))
        assert summary.commits >= 6
        assert summary.analyses == DataRepo(GitRepo(path)).count_analyses()
        assert summary.tagged == sum("/tags/" in f for f in tree) > 0
        assert summary.interpreted_ages == sum("/ia/" in f for f in tree)
        assert all(f.startswith("reduction/") for f in tree if "/tags/" in f)
    assert sum(r.interpreted_ages for r in lab.repos.values()) > 0
    assert lab.meta_files == len(git(lab.root / "MetaData", "ls-tree", "-r", "HEAD").splitlines())
    assert lab.seconds > 0
    assert "200 analyses" in lab.line()


def test_every_file_decodes_with_ardvc(lab: labgen.LabSummary) -> None:
    types: Counter[str] = Counter()
    spectrometers, years, tags = set(), set(), Counter()
    for path in repo_paths(lab.root):
        repo = DataRepo(GitRepo(path))
        for analysis in repo.analyses():
            analysis.load_all()
            main = analysis.main
            assert analysis.has(".data") and analysis.has("intercepts")
            assert analysis.has("baselines") and analysis.has("blanks")
            assert analysis.has("icfactors") and analysis.extraction is not None
            assert analysis.extraction.extract_device
            assert main.repository_identifier == path.name
            assert analysis.raw_data is not None
            t, y = analysis.raw_data.signal("Ar40")
            assert t.size == labgen.NSIG and np.all(np.isfinite(y))
            types[main.analysis_type or ""] += 1
            spectrometers.add(main.mass_spectrometer)
            years.add(main.timestamp[:4])
            tags[analysis.tag] += 1
        for item in GitRepo(path).files():
            if "/ia/" in item.path:
                ia = decode_file("ia", GitRepo(path).read(item.path), path=item.path)
                assert ia.analyses and ia.age is not None
    assert types["unknown"] > types["blank_unknown"] + types["air"] > 0
    assert spectrometers <= {s.name for s in labgen.SPECTROMETERS}
    assert len(years) >= 2
    assert set(tags) == {"ok", "omit", "invalid"}
    assert 0.03 < (tags["omit"] + tags["invalid"]) / ANALYSES < 0.2


def test_positions_exist_in_the_meta_repo(lab: labgen.LabSummary) -> None:
    meta = MetaRepo(GitRepo(lab.root / "MetaData"))
    assert set(meta.irradiations()) == set(lab.identifiers)
    for irradiation, levels in lab.identifiers.items():
        assert set(meta.levels(irradiation)) == set(levels)
        for level, identifiers in levels.items():
            decoded = meta.level(irradiation, level)
            assert [p.identifier_text for p in decoded.positions] == identifiers
        if irradiation != "NoIrradiation":
            assert meta.chronology(irradiation).segments
            assert meta.production(irradiation, next(iter(levels))).ratios["K4039"][0] > 0
    for path in repo_paths(lab.root):
        for analysis in DataRepo(GitRepo(path)).analyses():
            m = analysis.main
            assert m.irradiation and m.irradiation_level and m.irradiation_position is not None
            position = meta.position(m.irradiation, m.irradiation_level, m.irradiation_position)
            assert position.identifier_text == m.identifier
            if m.analysis_type == "unknown":
                assert position.j and position.j > 0


def test_git_is_consistent_and_clean(lab: labgen.LabSummary) -> None:
    for path in [*repo_paths(lab.root), lab.root / "MetaData"]:
        fsck = subprocess.run(
            ["git", "fsck", "--strict", "--no-dangling"], cwd=path, capture_output=True, text=True
        )
        assert fsck.returncode == 0, fsck.stderr
        assert not fsck.stdout.strip() and "warning" not in fsck.stderr
        assert git(path, "status", "--porcelain") == ""
        assert git(path, "branch", "--show-current").strip() == "master"
        messages = git(path, "log", "--format=%s").splitlines()
        assert messages[-1] == "Initial commit"
    messages = git(repo_paths(lab.root)[0], "log", "--format=%s").splitlines()
    assert messages.count("<COLLECTION>") >= 4
    assert any(m.startswith("<ISOEVO>.intercepts fits=") for m in messages)
    assert any(m.startswith("<TAG> omit") for m in messages)


def test_templates_render_exactly_what_pychron_would_write(lab: labgen.LabSummary) -> None:
    repo = GitRepo(repo_paths(lab.root)[0])
    checked = 0
    for item in repo.files():
        if item.path.endswith(".json") and item.path != "README.md":
            raw = repo.read_blob(item.oid)
            assert dumps(orjson.loads(raw)) == raw, item.path
            checked += 1
    assert checked > 100


@pytest.mark.parametrize("kind", [*labgen.KINDS, "tags"])
def test_paths_follow_the_ardvc_writer(kind: str | None) -> None:
    uid = "d3f3b3a7-3cf5-4bb3-9c2d-f160f87397a9"
    expected = write_address(uid, kind)
    if kind == "tags":
        expected = labgen.FileAddress(expected.shard, expected.tail, "tags", reduction=True)
    assert labgen._paths(uid)[kind] == expected.path


def test_generation_is_deterministic(lab: labgen.LabSummary, tmp_path: Path) -> None:
    again = labgen.generate_lab(tmp_path / "a", analyses=ANALYSES, repos=REPOS, seed=7)
    assert heads(again.root) == heads(lab.root)
    other = labgen.generate_lab(tmp_path / "b", analyses=ANALYSES, repos=REPOS, seed=8)
    assert set(heads(other.root).values()).isdisjoint(heads(lab.root).values())


@pytest.mark.parametrize("worktree", labgen.WORKTREES)
def test_add_analysis_and_modify_and_delete(tmp_path: Path, worktree: str) -> None:
    labgen.generate_lab(tmp_path, analyses=60, repos=1, seed=3, worktree=worktree)
    assert Lab.adopt_pychron(tmp_path).created
    assert Lab.open(tmp_path).repository_names() == ["Bench00"]
    path = tmp_path / "repositories" / "Bench00"
    before = int(git(path, "rev-list", "--count", "HEAD"))
    rng = np.random.default_rng(11)

    uid = labgen.add_analysis(path, rng)
    changed = set(git(path, "show", "--format=", "--name-only", "HEAD").split())
    assert changed == {labgen._paths(uid)[k] for k in labgen.KINDS}
    assert int(git(path, "rev-list", "--count", "HEAD")) == before + 1
    added = DataRepo(GitRepo(path)).analysis(uid).load_all()
    assert added.main.uuid == uid
    assert git(path, "status", "--porcelain") == ""
    second = labgen.add_analysis(path, rng)
    assert second != uid
    assert DataRepo(GitRepo(path)).analysis(second).record_id != added.record_id

    changes = labgen.modify_and_delete(path, 4, 2, rng)
    assert changes.commit == git(path, "rev-parse", "HEAD").strip()
    assert int(git(path, "rev-list", "--count", "HEAD")) == before + 3
    changed = set(git(path, "show", "--format=", "--name-only", "HEAD").split())
    assert changed == set(changes.written) | set(changes.removed)
    assert len(changes.modified) == 4 and len(changes.deleted) == 2
    assert sum(p.endswith(".inte.json") for p in changes.written) == 4
    assert len(changes.removed) >= 2 * len(labgen.KINDS)
    repo = DataRepo(GitRepo(path))
    names = {a.uuid for a in repo.analyses()}
    assert names.isdisjoint(changes.deleted)
    assert set(changes.modified) <= names
    assert repo.count_analyses() == 60 + 2 - 2
    assert git(path, "status", "--porcelain") == ""
    assert git(path, "fsck", "--no-dangling").strip() == ""
