"""Acceptance: two lab roots on one machine (two workstations) exchange analyses through
bare repositories behind a real ``git daemon``. Both record analyses and change the
MetaRepo meanwhile; the second push is rejected and status says diverged with the
remedy; pull merges; afterwards both workstations' repositories equal the remote's, and
both indexes equal each other and a rebuild from git. Also: conflicts are reported with
their files and change nothing, a merge that deletes data is refused, and the
``data_collection`` branch is merged as Pychron does — loudly when it cannot be."""

from __future__ import annotations

import json
from pathlib import Path

from ardvc import Lab
from ardvc.gitstore import commit_files
from ardvc.sync.remotes import RemoteSetup
from ardvc.sync.status import State
from ardvc.sync.steps import StepStatus
from git_servers import LoopbackServer, daemon_url
from sync_helpers import (
    SLOTS,
    analysis_count,
    bare_repos,
    daemon,
    git,
    heads,
    index_dump,
    new_lab,
    rebuilt_dump,
    record,
    srv,
)

__all__ = ["daemon", "srv"]  # fixtures


def _workstations(tmp_path: Path, srv: Path, daemon: LoopbackServer) -> tuple[Lab, Lab, str]:
    bare_repos(srv / "lab", "MetaData", "SimLab")
    url = daemon_url(daemon) + "/lab"
    a = new_lab(tmp_path / "A")
    record(a, 0)
    a.add_remote(RemoteSetup("origin", url))
    assert a.push().ok
    b, cloned = Lab.clone_lab(tmp_path / "B", RemoteSetup("origin", url), ["SimLab"])
    assert cloned.ok, cloned.failures()
    return a, b, url


def _tag(lab: Lab, uuid: str, name: str) -> str:
    """Commit a tag file for an analysis (Pychron's reduction/ location)."""
    path = f"reduction/{uuid[:2]}/tags/{uuid[2:]}.tags.json"
    data = json.dumps({"name": name, "note": "", "subgroup": ""}, indent=4).encode()
    result = commit_files(lab.repo("SimLab").git, {path: data}, f"<TAG> {name}", lab.author())
    return path if result.commit else ""


def test_two_workstations_exchange_analyses(
    tmp_path: Path, srv: Path, daemon: LoopbackServer
) -> None:
    a, b, _ = _workstations(tmp_path, srv, daemon)
    before = {r.uuid for r in a.find()}
    # both record and change the MetaRepo while the other does too
    a_runs = record(a, 1, day=1)
    b_runs = record(b, 2, day=2)
    a.meta.add_irradiation("NM-A01", a.author())
    b.meta.add_irradiation("NM-B01", b.author())
    assert a.push().ok
    rejected = b.push()
    assert {repo: r.kind for repo, r in rejected.failures()} == {
        "MetaData": "rejected", "SimLab": "rejected"}  # fmt: skip
    assert {e.commit for e in b.outbox.entries()} == {r.head for r in b_runs}  # kept
    status = {r.name: r for r in b.status(fetch=True).repos}
    for name in ("MetaData", "SimLab"):
        assert status[name].state is State.DIVERGED
        assert "ardvc pull" in status[name].remedy and "then ardvc push" in status[name].remedy
    assert (status["SimLab"].ahead, status["SimLab"].behind) == (4 * len(b_runs), 4 * len(a_runs))
    assert status["SimLab"].outbox == len(b_runs)
    pulled = b.pull()
    assert pulled.ok, pulled.failures()
    for outcome in pulled.repos:
        merge = outcome.result("merge")
        assert merge is not None and merge.summary.startswith("master merged")
    assert [r.state for r in b.status().repos] == [State.AHEAD, State.AHEAD]
    assert b.push().ok and len(b.outbox) == 0
    assert a.pull().ok
    # the same commits, trees and clean working trees everywhere
    for name in ("MetaData", "repositories/SimLab"):
        remote = heads(srv / "lab" / f"{Path(name).name}.git")["master"]
        assert heads(a.root / name)["master"] == heads(b.root / name)["master"] == remote
        for lab in (a, b):
            assert git(lab.root / name, "status", "--porcelain") == ""
    merge = git(b.root / "repositories/SimLab", "log", "-1", "--format=%s%n%P", "master")
    assert merge.splitlines()[0] == "Merge remote-tracking branch 'origin/master'"
    assert len(merge.splitlines()[1].split()) == 2
    everything = before | {r.uuid for r in a_runs} | {r.uuid for r in b_runs}
    assert analysis_count(srv / "lab" / "SimLab.git") == len(everything)
    for lab in (a, b):
        assert {r.uuid for r in lab.find()} == everything
        assert {"NM-A01", "NM-B01"} <= set(lab.meta.irradiations())
        assert all(r.state is State.IN_SYNC for r in lab.status(fetch=True).repos)
    dump_a = index_dump(a)
    assert dump_a == index_dump(b)
    assert dump_a == rebuilt_dump(a, tmp_path / "rebuild-a") == rebuilt_dump(b, tmp_path / "rb")


def test_a_conflict_is_reported_with_its_files_and_changes_nothing(
    tmp_path: Path, srv: Path, daemon: LoopbackServer
) -> None:
    a, b, _ = _workstations(tmp_path, srv, daemon)
    uuid = a.find()[0].uuid
    path = _tag(a, uuid, "invalid")
    assert a.push().ok
    _tag(b, uuid, "omit")
    b_repo = b.root / "repositories/SimLab"
    before = heads(b_repo)
    report = b.pull()
    failures = report.failures()
    assert [(repo, r.step, r.kind) for repo, r in failures] == [("SimLab", "merge", "conflict")]
    (_, failure) = failures[0]
    assert failure.files == (path,) and "git -C" in failure.remedy
    assert heads(b_repo) == before  # nothing moved, nothing resolved
    assert git(b_repo, "status", "--porcelain") == ""
    assert json.loads((b_repo / path).read_text())["name"] == "omit"
    row = {r.name: r for r in b.status().repos}["SimLab"]
    assert row.state is State.CONFLICT and row.files == (path,)
    assert b.repo("SimLab").analysis(uuid).tag == "omit"
    meta = next(o for o in report.repos if o.target.name == "MetaData")
    assert meta.ok  # the other repositories were pulled all the same


def test_a_merge_that_would_delete_data_is_refused(
    tmp_path: Path, srv: Path, daemon: LoopbackServer
) -> None:
    a, b, _ = _workstations(tmp_path, srv, daemon)
    repo = a.repo("SimLab").git
    doomed = {f.path: None for f in repo.files() if f.path.endswith(".json")}
    assert len(doomed) > 10
    commit_files(repo, doomed, "cleanup", a.author(), force_deletions=True)
    assert a.push().ok
    b_repo = b.root / "repositories/SimLab"
    before = heads(b_repo)
    report = b.pull()
    ((_, failure),) = report.failures()
    assert failure.kind == "deletions" and len(failure.files) == len(doomed)
    assert "--allow-deletions" in failure.remedy
    assert heads(b_repo) == before and analysis_count(b_repo) == len(b.find(repo=["SimLab"]))
    assert b.pull(allow_deletions=True).ok
    assert analysis_count(b_repo) == 0


def test_data_collection_is_merged_as_pychron_does_and_loudly_when_it_fails(
    tmp_path: Path, srv: Path, daemon: LoopbackServer
) -> None:
    a, b, _ = _workstations(tmp_path, srv, daemon)
    collected = record(a, 5, branch="data_collection", day=3)
    assert a.push().ok  # the local data_collection branch goes too
    assert git(srv / "lab" / "SimLab.git", "rev-parse", "data_collection").strip() == (
        collected[-1].head)  # fmt: skip
    row = {r.name: r for r in b.status(fetch=True).repos}["SimLab"]
    assert row.state is State.COLLECTION_UNMERGED and row.collection_unmerged == 4 * len(collected)
    pulled = b.pull()
    assert pulled.ok
    step = pulled.repos[1].result("data_collection")
    assert step is not None and step.status is StepStatus.OK
    b_repo = b.root / "repositories/SimLab"
    assert git(b_repo, "log", "-1", "--format=%s", "master").strip() == (
        "Merge remote-tracking branch 'origin/data_collection'")  # fmt: skip
    on_master = {r.uuid for r in b.find(repo=["SimLab"], branch="master")}
    assert {r.uuid for r in collected} <= on_master
    assert b.push().ok
    # a tag on master and a different tag on data_collection for the same analysis
    uuid = collected[0].uuid
    _tag(b, uuid, "invalid")
    assert b.push().ok
    a_git = a.repo("SimLab").git
    path = f"reduction/{uuid[:2]}/tags/{uuid[2:]}.tags.json"
    data = json.dumps({"name": "omit", "note": "", "subgroup": ""}, indent=4).encode()
    commit_files(a_git, {path: data}, "<TAG> omit", a.author(), branch="data_collection")
    assert a.push().ok
    before = heads(b_repo)
    report = b.pull()
    ((repo, failure),) = report.failures()
    assert (repo, failure.step, failure.kind, failure.files) == (
        "SimLab", "data_collection", "conflict", (path,))  # fmt: skip
    assert heads(b_repo) == before
    row = {r.name: r for r in b.status().repos}["SimLab"]
    assert row.state is State.CONFLICT and "origin/data_collection" in (row.last_error or "")


def test_share_pulls_what_others_pushed_and_says_where_everything_went(
    tmp_path: Path, srv: Path, daemon: LoopbackServer
) -> None:
    a, b, url = _workstations(tmp_path, srv, daemon)
    record(a, 8, slots=SLOTS[:1], day=4)
    assert a.push().ok
    mine = record(b, 9, slots=SLOTS[:2], day=5)
    report = b.share(attempts=3)
    assert report.ok and len(b.outbox) == 0
    assert report.rounds[0]["SimLab"] == "rejected" and report.rounds[-1]["SimLab"] == "ok"
    refs = [ref for o in report.push.repos for r in o.results for ref in r.refs]
    (ref,) = [r for r in refs if r.branch == "master" and r.url.endswith("SimLab.git")]
    assert ref.url == f"{url}/SimLab.git" and ref.outbox_cleared == len(mine)
    assert ref.commits == 4 * len(mine) + 1  # the runs and the merge commit
    assert ref.new == git(srv / "lab/SimLab.git", "rev-parse", "master").strip()
