"""``ardvc fsck`` and ``ardvc doctor`` on labs made of clones of the shared bundles, with
real git remotes (bare repositories) and the real index backends."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from ardvc.api import Lab
from ardvc.cli.main import main
from ardvc.gitstore import GitRepo, commit_files
from ardvc.health.findings import Finding
from ardvc.index.models import Analysis, AnalysisFile, InterpretedAge, Level, Repository
from index_dump import dump
from test_fit_save import clone

pytestmark = pytest.mark.shared
Bundles = Callable[[str], Path]
WIPES = {"08a896d4", "84975ff4", "e769fb75"}  # data/README.md
RESTORED_BY = {"08a896d4": "Revert", "84975ff4": "Revert", "e769fb75": "<RECOVER> MetaData"}


def git(path: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=path, check=True, capture_output=True, text=True)
    return done.stdout


def make_lab(bundle_bare: Bundles, root: Path, repos: tuple[str, ...], url: str = "") -> Lab:
    clone(bundle_bare, "MetaData", root / "MetaData")
    for name in repos:
        clone(bundle_bare, name, root / "repositories" / name)
    Lab.adopt_pychron(root)
    overrides = {"index.url": url} if url else None
    return Lab.open(root, overrides=overrides)


def findings(lab: Lab, check: str, *, repair: bool = False) -> list[Finding]:
    report = lab.fsck(checks=[check], repair=repair)
    (result,) = report.results
    return result.outstanding


@pytest.fixture(scope="module")
def meta_lab(bundle_bare: Bundles, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return make_lab(bundle_bare, tmp_path_factory.mktemp("fsck-meta") / "lab", ("IR1003",))


def _git_deletions(path: Path) -> dict[str, int]:
    """Files deleted by each non-merge commit on any ref, counted by git itself."""
    out = git(path, "log", "--all", "--no-merges", "--diff-filter=D", "--name-only", "--format=@%H")
    counts: dict[str, int] = {}
    commit = ""
    for line in out.splitlines():
        if line.startswith("@"):
            commit = line[1:]
        elif line.strip():
            counts[commit] = counts.get(commit, 0) + 1
    return counts


def test_fsck_reports_the_metadata_mass_deletions(meta_lab: Lab) -> None:
    found = [f for f in findings(meta_lab, "history") if f.subject["repo"] == "MetaData"]
    by_commit = {f.subject["commit"]: f for f in found}
    limit = int(meta_lab.config.get("core.max_deletions"))
    counted = _git_deletions(meta_lab.root / "MetaData")
    over = {c for c, n in counted.items() if n > limit}
    assert over <= set(by_commit)  # every commit git counts over the limit is reported
    for commit, finding in by_commit.items():
        if commit not in over:  # only a wipe (half a repository) may be below the limit
            assert "(100%)" in finding.detail or int(finding.detail.split("(")[-1][:-2]) >= 50
    wipes = {
        c[:8]
        for c, f in by_commit.items()
        if "deleted" in f.detail and int(f.detail.split("(")[-1][:-2]) >= 50
    }
    assert wipes >= WIPES  # the three of data/README.md (the history holds a fourth, 2026)
    for short, word in RESTORED_BY.items():
        (finding,) = [f for c, f in by_commit.items() if c.startswith(short)]
        assert finding.kind == "mass-deletion" and not finding.repairable
        assert finding.severity == "warning" and "restored later" in finding.remedy
        assert word in finding.remedy
        assert f"deleted {counted[finding.subject['commit']]} of" in finding.detail


def test_unrestored_wipe_is_an_error(meta_lab: Lab, tmp_path: Path) -> None:
    lab = Lab.open(meta_lab.root)
    repo = lab.repo("IR1003")
    files = [f.path for f in repo.git.files(prefix="656")]  # most of the repository
    assert len(files) > len(list(repo.git.files())) / 2
    made = commit_files(repo.git, dict.fromkeys(files), "oops", lab.author(), force_deletions=True)
    try:
        mine = [f for f in findings(lab, "history") if f.subject["repo"] == "IR1003"]
        (finding,) = mine
        assert finding.subject["commit"] == made.commit and finding.severity == "error"
        assert f"{len(files)} of them never came back" in finding.remedy
        result = CliRunner().invoke(main, ["--root", str(lab.root), "fsck", "--check", "history"])
        assert result.exit_code == 1 and "mass-deletion  IR1003@" in result.output
    finally:
        git(repo.git.path, "reset", "--hard", "--quiet", "HEAD~1")


def _damage(lab: Lab) -> None:
    engine = lab.catalog.engine
    with engine.begin() as conn:
        lusk = conn.execute(select(Repository.id).where(Repository.name == "IR998")).scalar_one()
        victims = list(
            conn.execute(
                select(Analysis.id)
                .where(Analysis.repository_id == lusk)
                .order_by(Analysis.name)
                .limit(4)
            ).scalars()
        )
        conn.execute(delete(AnalysisFile).where(AnalysisFile.analysis_id.in_(victims)))
        conn.execute(delete(Analysis).where(Analysis.id.in_(victims)))
        one_file = select(AnalysisFile.id).where(AnalysisFile.kind == "intercepts").limit(1)
        conn.execute(delete(AnalysisFile).where(AnalysisFile.id.in_(one_file.scalar_subquery())))
        ia = select(InterpretedAge.id).limit(1).scalar_subquery()
        conn.execute(delete(InterpretedAge).where(InterpretedAge.id == ia))
        level = select(Level.id).limit(1).scalar_subquery()
        conn.execute(update(Level).where(Level.id == level).values(blob_id="0" * 40))


def test_repair_restores_a_damaged_index_to_a_fresh_rebuild(
    bundle_bare: Bundles, tmp_path: Path, index_urls: str
) -> None:
    lab = make_lab(bundle_bare, tmp_path / "lab", ("IR998", "Cornudas"), index_urls)
    lab.catalog.rebuild(processes=1)
    assert findings(lab, "index") == []
    _damage(lab)
    # and git moves on: a new commit and an indexed branch that disappears
    cornudas = lab.repo("Cornudas")
    git(cornudas.git.path, "branch", "data_collection", "origin/data_collection")
    lab.catalog.sync()
    git(cornudas.git.path, "branch", "-D", "data_collection")
    tag = "reduction/657/tags/61-05.tags.json"  # committed by another program: no index hook
    outside = GitRepo(lab.workspace.repository_dir("IR998"))
    commit_files(outside, {tag: b'{"name": "omit"}'}, "<TAG> omit", lab.author())
    found = {f.kind: f for f in findings(lab, "index")}
    assert set(found) == {
        "file-without-row",
        "file-rows-mismatch",
        "ia-rows-mismatch",
        "level-rows-mismatch",
        "index-stale",
        "index-orphan-branch",
    }
    assert found["file-without-row"].detail.startswith("4 analyses at")
    assert found["index-stale"].severity == "info"
    assert all(f.repairable for f in found.values())
    report = lab.fsck(checks=["index"], repair=True)
    assert report.ok and report.results[0].remaining == []
    assert {f.kind for f in report.results[0].repaired} == set(found)
    repaired = dump(lab.catalog.engine)
    fresh_url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    fresh = Lab.open(lab.root, overrides={"index.url": fresh_url})
    fresh.catalog.rebuild(processes=1)
    assert repaired == dump(fresh.catalog.engine)
    (tagged,) = [a for a in repaired["analyses"] if a[0] == "IR998" and a[2] == "65761-05"]
    assert "omit" in tagged[3]  # the commit git moved on with is in the repaired index


def _bare_remote(repo: Path, remote: Path) -> None:
    git(repo, "clone", "--quiet", "--bare", str(repo), str(remote))
    git(repo, "remote", "set-url", "origin", str(remote))
    git(repo, "fetch", "--quiet", "origin")


def test_outbox_against_a_real_remote(bundle_bare: Bundles, tmp_path: Path) -> None:
    lab = make_lab(bundle_bare, tmp_path / "lab", ("IR1003",))
    repo = lab.repo("IR1003")
    path = repo.git.path
    _bare_remote(path, tmp_path / "remote.git")
    author = lab.author()
    pushed = commit_files(repo.git, {"pushed.txt": b"1"}, "<MANUAL> pushed", author).commit
    git(path, "push", "--quiet", "origin", "master")
    waiting = commit_files(repo.git, {"waiting.txt": b"2"}, "<MANUAL> waiting", author).commit
    assert pushed and waiting
    outbox = lab.outbox
    rel = "repositories/IR1003"
    outbox.add(rel, "master", pushed, "<MANUAL> pushed")
    outbox.add(rel, "master", waiting, "<MANUAL> waiting")
    outbox.add(rel, "master", "ab" * 20, "<MANUAL> lost")
    # someone else pushes meanwhile: the remote is ahead of what this clone has fetched
    other = tmp_path / "other"
    git(tmp_path, "clone", "--quiet", str(tmp_path / "remote.git"), str(other))
    (other / "other.txt").write_text("3")
    git(other, "add", "other.txt")
    git(other, "-c", "user.name=x", "-c", "user.email=x@y", "commit", "--quiet", "-m", "other")
    git(other, "push", "--quiet", "origin", "master")
    kinds = sorted(f.kind for f in findings(lab, "outbox"))
    assert kinds == ["outbox-commit-missing", "outbox-remote-ahead", "outbox-remote-ahead"]
    refs_before = git(path, "for-each-ref", "refs/heads")
    report = lab.fsck(checks=["outbox"], repair=True)
    (result,) = report.results
    left = {f.kind: f for f in result.outstanding}
    assert set(left) == {"outbox-commit-missing", "outbox-not-pushed"}
    assert left["outbox-not-pushed"].subject["commit"] == waiting
    assert not left["outbox-commit-missing"].repairable
    assert [e.commit for e in outbox.entries()] == [waiting, "ab" * 20]  # stale one removed
    assert any("fetched master" in a for a in result.actions)
    assert any("removed 1 outbox entries" in a for a in result.actions)
    assert git(path, "for-each-ref", "refs/heads") == refs_before  # fsck never moves a branch
    assert not report.ok  # the lost commit is an error a person must look at


def test_doctor(bundle_bare: Bundles, tmp_path: Path) -> None:
    lab = make_lab(bundle_bare, tmp_path / "lab", ("IR1003",))
    repo = lab.repo("IR1003").git.path
    _bare_remote(repo, tmp_path / "remote.git")
    git(repo, "remote", "add", "gone", str(tmp_path / "nowhere.git"))
    git(repo, "remote", "add", "secret", "https://ada:hunter2@127.0.0.1:9/x.git")
    local = lab.workspace.config_local_file
    local.write_text("")
    local.chmod(0o644)
    lines = {line.name: line for line in Lab.doctor(lab.root)}
    assert lines["git"].status == "ok" and lines["ardvc"].status == "info"
    assert lines["remote IR1003/origin"].status == "ok"
    assert lines["remote IR1003/gone"].status == "fail"
    assert "remote -v" in lines["remote IR1003/gone"].remedy
    assert lines["remote IR1003/secret"].status == "fail"
    assert lines["index"].status == "warn" and lines["index"].remedy == "ardvc index rebuild"
    assert lines["config.local"].status == "warn" and "chmod 600" in lines["config.local"].remedy
    lab.catalog.rebuild(processes=1)
    result = CliRunner().invoke(main, ["--root", str(lab.root), "doctor", "--json"])
    assert result.exit_code == 1  # the unreachable remotes
    shown = json.loads(result.output)
    assert "hunter2" not in result.output and any("ada:***@" in s["detail"] for s in shown)
    index = next(s for s in shown if s["name"] == "index")
    assert index["status"] == "ok" and "(= code)" in index["detail"]
    configs = [s["detail"] for s in shown if s["name"] == "config"]
    assert any(d.startswith("lab.meta_repo = MetaData") for d in configs)
    # no lab at all: the environment is still checked, and the lab line says what to do
    env = {**os.environ, "ARDVC_ROOT": str(tmp_path / "none")}
    result = CliRunner().invoke(main, ["doctor"], env=env)
    assert result.exit_code == 1
    assert "git version" in result.output and "no ardvc lab" in result.output


def _flip_a_bit(path: Path) -> None:
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    os.chmod(path, 0o444)


def test_repair_restores_index_rows_and_cache_objects_from_the_cache_remote(
    bundle_bare: Bundles, tmp_path: Path
) -> None:
    """The acceptance's damaged lab: index rows deleted, one cache object removed and one
    corrupted, both with a copy on the cache remote. ``fsck --repair`` brings the index to a
    fresh rebuild and the cache to what the pointers name, verified."""
    lab = make_lab(bundle_bare, tmp_path / "lab", ("IR998",))
    lab.catalog.rebuild(processes=1)
    folder = lab.workspace.repository_dir("IR998") / "exports"
    folder.mkdir()
    contents = {f"step-{i}.csv": os.urandom(2_000 + i) for i in range(3)}
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    cache = lab.cache()
    try:
        cache.add([folder])
        assert findings(lab, "cache") == []
        # the same damage without a cache remote: found, but only a person can fix it
        odb = cache.cache.odb
        lost, flipped = sorted(o for o in odb.oids() if not o.endswith(".dir"))[:2]
        os.rename(odb.path_str(lost), tmp_path / "kept-aside")
        (finding,) = findings(lab, "cache")
        assert finding.kind == "cache-missing-object" and not finding.repairable
        assert finding.where.startswith("IR998:") or finding.where == "a manifest's entry"
        assert "ardvc add" in finding.remedy
        os.rename(tmp_path / "kept-aside", odb.path_str(lost))
        lab.config.set("cache_remote.backup.url", str(tmp_path / "cache-remote"))
        lab.config.set("cache.remote", "backup")
        assert cache.push().ok
    finally:
        cache.close()
    _damage(lab)
    os.unlink(odb.path_str(lost))
    _flip_a_bit(Path(odb.path_str(flipped)))
    found = {(f.kind, f.subject.get("oid", "")) for f in findings(lab, "cache")}
    assert found == {("cache-missing-object", lost), ("cache-corrupt-object", flipped)}
    assert {f.kind for f in findings(lab, "index")} >= {"file-without-row", "ia-rows-mismatch"}

    out = CliRunner().invoke(main, ["--root", str(lab.root), "fsck", "--repair"])
    assert out.exit_code == 0, out.output
    report = lab.fsck(checks=["index", "cache"])  # (history: MetaData's wipes stay reported)
    assert report.ok and report.outstanding == [], [f.as_dict() for f in report.outstanding]
    fresh = Lab.open(lab.root, overrides={"index.url": f"sqlite:///{tmp_path / 'fresh.db'}"})
    fresh.catalog.rebuild(processes=1)
    assert dump(lab.catalog.engine) == dump(fresh.catalog.engine)
    cache = lab.cache()
    try:
        assert cache.verify().ok
        for name in contents:
            (folder / name).unlink()
        cache.checkout(force=True)
    finally:
        cache.close()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == contents
