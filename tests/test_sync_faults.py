"""Faults: the server killed mid-push. Commits stay in the outbox, nothing is lost and
status says so; the fault-injection benchmark's kill-and-recover cycles (a small count
here, 1,000 by hand: ``python benchmarks/fault_push.py --cycles 1000``) lose nothing."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from ardvc.sync.remotes import RemoteSetup
from ardvc.sync.status import State
from ardvc.sync.steps import SyncReport
from fault_push import run_faults
from git_servers import daemon_url, git_daemon
from sync_helpers import SLOTS, bare_repos, git, new_lab, record, srv

__all__ = ["srv"]  # fixture


def test_fault_injection_loses_no_commit(tmp_path: Path) -> None:
    report = run_faults(20, seed=1, workdir=tmp_path)
    assert report.cycles == 20 and report.commits >= 20 + 4
    assert report.kills_during_push >= 1  # the faults really hit pushes
    assert report.lost == 0, report.lost_commits
    assert report.recovery_failures == []
    assert report.fsck_ok


def test_a_server_killed_mid_push_keeps_the_commits_queued_and_status_says_so(
    tmp_path: Path, srv: Path
) -> None:
    bare_repos(srv / "lab", "MetaData", "SimLab")
    server = git_daemon(srv)
    try:
        lab = new_lab(tmp_path / "A")
        lab.add_remote(RemoteSetup("origin", daemon_url(server) + "/lab"))
        runs = record(lab, 0)
        out: list[SyncReport] = []
        pusher = threading.Thread(target=lambda: out.append(lab.push()))
        pusher.start()
        time.sleep(0.05)
        server.kill()
        pusher.join()
        remote = srv / "lab" / "SimLab.git"
        pushed = git(remote, "for-each-ref", "--format=%(objectname)", "refs/heads").split()
        queued = {e.commit for e in lab.outbox.entries()}
        if pushed:  # the kill came after the push: everything is there
            assert pushed == [runs[-1].head] and not queued
        else:
            assert queued == {r.head for r in runs}
            row = {r.name: r for r in lab.status().repos}["SimLab"]
            assert row.state is State.PUSH_FAILING and row.outbox == len(runs)
            assert "nothing is lost" in row.remedy and row.last_error
        # with the server down for certain: a new run, a push that fails, status says so
        more = record(lab, 1, slots=SLOTS[:1], day=1)
        failed = lab.push()
        assert {k for _, r in failed.failures() if (k := r.kind)} == {"unreachable"}
        row = {r.name: r for r in lab.status().repos}["SimLab"]
        assert row.state is State.PUSH_FAILING and row.outbox >= 1
        assert more[0].head in {e.commit for e in lab.outbox.entries()}
        server.start()
        assert lab.push().ok and len(lab.outbox) == 0
        assert git(remote, "rev-parse", "master").strip() == more[0].head
        assert all(r.state is State.IN_SYNC for r in lab.status(fetch=True).repos)
    finally:
        server.kill()
