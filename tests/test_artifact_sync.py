"""Artifacts travel with ``ardvc push`` / ``ardvc pull``: one push sends the git commits
and the cache objects their pointers name; a pull brings both and checks the artifact
out. Without a cache remote the push says the artifacts stayed behind, with the remedy.
Real bare git repositories and a cache remote folder; two workstations on one machine."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from ardvc import Lab
from ardvc.cache.hashing import hash_bytes
from ardvc.cli.main import main
from ardvc.sync.remotes import RemoteSetup
from ardvc.sync.steps import StepResult, StepStatus, SyncReport
from sync_helpers import bare_repos, new_lab, record

SNAPSHOT = os.urandom(300_000)  # a laser snapshot's worth of bytes
NOTES = b"furnace log, step 3: 1250 C, 10 min\n"


def _use_cache_remote(lab: Lab, folder: Path) -> None:
    lab.config.set("cache_remote.lab.url", str(folder))
    lab.config.set("cache.remote", "lab")


def _step(report: SyncReport, repo: str, step: str) -> StepResult:
    outcome = next(o for o in report.repos if o.target.name == repo)
    result = outcome.result(step)
    assert result is not None, [r.step for r in outcome.results]
    return result


def test_push_and_pull_move_the_artifacts_their_commits_reference(tmp_path: Path) -> None:
    server = tmp_path / "srv"
    server.mkdir()
    bare_repos(server, "MetaData", "SimLab")
    a = new_lab(tmp_path / "A")
    record(a, 0)
    a.add_remote(RemoteSetup("origin", str(server)))
    assert a.push().ok
    b, cloned = Lab.clone_lab(tmp_path / "B", RemoteSetup("origin", str(server)), ["SimLab"])
    assert cloned.ok, cloned.failures()

    folder = a.root / "repositories" / "SimLab" / "snapshots"
    folder.mkdir()
    (folder / "laser.png").write_bytes(SNAPSHOT)
    (folder / "notes.txt").write_bytes(NOTES)
    a_cache = a.cache()
    try:
        a_cache.add([folder])
    finally:
        a_cache.close()

    # no cache remote: the commits go, the artifacts are reported left behind
    first = a.push()
    skipped = _step(first, "SimLab", "cache-push")
    assert skipped.status is StepStatus.SKIPPED
    assert "no cache remote" in skipped.summary
    assert "cache.remote" in skipped.remedy
    assert _step(first, "MetaData", "cache-push").status is StepStatus.NOTHING

    # with one, the same push sends the objects: two files and their manifest
    store = tmp_path / "cache-remote"
    _use_cache_remote(a, store)
    second = a.push()
    assert second.ok, second.failures()
    sent = _step(second, "SimLab", "cache-push")
    assert sent.status is StepStatus.OK and sent.summary.startswith("3 cache objects sent")
    on_remote = {p.name for p in store.rglob("*") if p.is_file()}
    for content in (SNAPSHOT, NOTES):
        oid = hash_bytes(content)
        assert oid[2:] in on_remote
    assert _step(a.push(), "SimLab", "cache-push").status is StepStatus.NOTHING

    # the other workstation pulls commits and artifacts in one go
    _use_cache_remote(b, store)
    pulled = b.pull()
    assert pulled.ok, pulled.failures()
    fetched = _step(pulled, "SimLab", "cache-fetch")
    assert fetched.status is StepStatus.OK
    b_folder = b.root / "repositories" / "SimLab" / "snapshots"
    assert (b_folder / "laser.png").read_bytes() == SNAPSHOT
    assert (b_folder / "notes.txt").read_bytes() == NOTES
    b_cache = b.cache()
    try:
        rows = b_cache.status()
    finally:
        b_cache.close()
    assert [r.state for r in rows] == ["ok"]

    # ardvc status lists an artifact whose file is gone, with the remedy; --strict fails
    (b_folder / "notes.txt").unlink()
    out = CliRunner().invoke(main, ["--root", str(b.root), "status", "--strict"])
    assert out.exit_code == 1, out.output
    assert "artifacts" in out.output and "0 of 1 as committed" in out.output
    assert "ardvc checkout" in out.output
