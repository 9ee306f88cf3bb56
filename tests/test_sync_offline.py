"""Acceptance: the offline round trip. A workstation prepares (clones the chosen data
repository and the MetaRepo, builds a local SQLite index from git), loses its server,
records analyses offline while another workstation pushes through its own server, then
finishes: nothing is lost, the remote holds everything, and the lab's shared index —
SQLite or a real PostgreSQL server — equals a rebuild from git."""

from __future__ import annotations

from pathlib import Path

import pytest

from ardvc import Lab
from ardvc.config import Level
from ardvc.sync.offline_state import LabOfflineError, OfflineState, offline_dir
from ardvc.sync.remotes import RemoteSetup
from ardvc.sync.status import State
from git_servers import daemon_url, git_daemon
from sync_helpers import (
    SLOTS,
    analysis_count,
    bare_repos,
    git,
    heads,
    index_dump,
    new_lab,
    rebuilt_dump,
    record,
    srv,
)

__all__ = ["srv"]  # fixture


def test_offline_round_trip(tmp_path: Path, srv: Path, index_urls: str) -> None:
    bare_repos(srv / "lab", "MetaData", "SimLab", "Other")
    # two daemons over the same repositories: one per workstation, so one can go away
    a_server, b_server = git_daemon(srv), git_daemon(srv)
    try:
        a = new_lab(tmp_path / "A")
        shared = record(a, 0)
        a.create_repository("Other")
        a.add_remote(RemoteSetup("origin", daemon_url(a_server) + "/lab"))
        assert a.push().ok
        # B: a workstation with only the MetaRepo, its shared index in index_urls
        b_remote = RemoteSetup("origin", daemon_url(b_server) + "/lab")
        b, cloned = Lab.clone_lab(tmp_path / "B", b_remote, [])
        assert cloned.ok and b.repository_names() == []
        b.config.set("index.url", index_urls, Level.LOCAL)
        b = Lab.open(b.root)
        prepared = b.offline_prepare(["SimLab"])
        assert prepared.ok, prepared.as_dict()
        assert b.repository_names() == ["SimLab"] and prepared.analyses == len(shared)
        assert str(b.catalog.engine.url).endswith("offline/index.sqlite3")
        assert {r.uuid for r in b.find()} == {r.uuid for r in shared}
        # offline: the server is gone; commits land locally, the index follows
        b_server.kill()
        offline_runs = record(b, 1, day=1)
        b.meta.add_irradiation("NM-OFF", b.author())
        assert {e.commit for e in b.outbox.entries()} == {r.head for r in offline_runs}
        assert {r.uuid for r in offline_runs} <= {r.uuid for r in b.find()}
        assert index_dump(b) == rebuilt_dump(b, tmp_path / "offline-rebuild")
        with pytest.raises(LabOfflineError, match="offline"):
            b.push()
        row = {r.name: r for r in b.status().repos}["SimLab"]
        assert row.state is State.AHEAD and row.outbox == len(offline_runs)
        # meanwhile A pushes new analyses and a MetaRepo change
        others = record(a, 2, slots=SLOTS[:2], day=2)
        a.meta.add_irradiation("NM-ONLINE", a.author())
        assert a.push().ok
        # back online
        b_server.start()
        finished = b.offline_finish()
        assert finished.finished, finished.as_dict()
        assert not OfflineState.load(b.workspace).active
        assert not list(offline_dir(b.workspace).glob("index.sqlite3*"))
        assert len(b.outbox) == 0
        everything = {r.uuid for r in shared + offline_runs + others}
        assert analysis_count(srv / "lab" / "SimLab.git") == len(everything)
        remote = git(srv / "lab" / "SimLab.git", "rev-parse", "master").strip()
        for result in offline_runs:  # every offline commit is on the remote
            git(srv / "lab" / "SimLab.git", "merge-base", "--is-ancestor", result.head, remote)
        assert heads(b.root / "repositories/SimLab")["master"][0] == remote
        b = Lab.open(b.root)
        assert b.catalog.engine.url.render_as_string(hide_password=False) == index_urls
        assert {r.uuid for r in b.find()} == everything
        assert index_dump(b) == rebuilt_dump(b, tmp_path / "shared-rebuild")
        assert {"NM-OFF", "NM-ONLINE"} <= set(b.meta.irradiations())
        assert a.pull().ok
        assert {r.uuid for r in a.find(repo=["SimLab"])} == everything
        assert all(r.state is State.IN_SYNC for r in b.status(fetch=True).repos)
    finally:
        a_server.kill()
        b_server.kill()


def test_finish_keeps_the_lab_offline_until_everything_is_shared(tmp_path: Path, srv: Path) -> None:
    bare_repos(srv / "lab", "MetaData", "SimLab")
    server = git_daemon(srv)
    try:
        a = new_lab(tmp_path / "A")
        record(a, 0, slots=SLOTS[:1])
        a.add_remote(RemoteSetup("origin", daemon_url(server) + "/lab"))
        assert a.push().ok
        assert a.offline_prepare(["SimLab"]).ok
        runs = record(a, 1, slots=SLOTS[:1], day=1)
        server.kill()
        failed = a.offline_finish()
        assert not failed.finished and OfflineState.load(a.workspace).active
        assert [e.commit for e in a.outbox.entries()] == [runs[0].head]
        with pytest.raises(LabOfflineError, match="offline already"):
            a.offline_prepare(["SimLab"])
        server.start()
        assert a.offline_finish().finished
        assert len(a.outbox) == 0
    finally:
        server.kill()
