"""The persister's commit process: commits made beside recording, in a real child process
that can die, fail to start, raise, and log."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import orjson
import pytest

from ardvc import Lab
from ardvc.errors import UsageError
from ardvc.gitstore.commit import REF_MOVE_NOTE
from ardvc.persist.drive import persist_run, record_run
from ardvc.persist.metadata import RunMetadata
from ardvc.persist.persister import Persister
from ardvc.persist.sim_schedule import Schedule, Slot
from ardvc.persist.simulator import SimulatedRun, Simulator

SLOTS = [Slot("blank_unknown"), Slot("air"), Slot("monitor", 1), Slot("blank_unknown")]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def runs() -> list[SimulatedRun]:
    return list(Schedule(Simulator(seed=3), datetime(2024, 5, 2, 8), slots=SLOTS))


def wait_dead(pid: int) -> None:
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return
        time.sleep(0.01)


def test_commits_are_made_by_a_child_process(sim_lab: Lab, sim_persister: Persister) -> None:
    results = [persist_run(sim_persister, r) for r in runs()]
    pid = sim_persister.committer.pid
    assert pid is not None and pid != os.getpid()
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert b"ardvc.persist.committer" in cmdline and str(os.getpid()).encode() in cmdline
    path = sim_lab.repo("SimLab").git.path
    assert all(len(r.commits) == 4 for r in results)
    assert git(path, "rev-parse", "master").strip() == results[-1].commits[-1]
    assert git(path, "status", "--porcelain") == ""
    assert git(path, "fsck", "--no-progress").strip() == ""
    sim_persister.close()
    wait_dead(pid)
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


def test_a_killed_commit_process_is_replaced_and_no_run_is_lost(
    sim_lab: Lab, sim_persister: Persister, caplog: pytest.LogCaptureFixture
) -> None:
    sims = runs()
    persist_run(sim_persister, sims[0])
    first = sim_persister.committer.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    wait_dead(first)
    with caplog.at_level(logging.WARNING, logger="ardvc"):
        results = [persist_run(sim_persister, r) for r in sims[1:]]
    assert all(len(r.commits) == 4 for r in results)
    assert sim_persister.committer.pid not in (None, first)
    assert any(f"pid {first}) ended during a commit" in m for m in caplog.messages)
    path = sim_lab.repo("SimLab").git.path
    assert len(git(path, "log", "--format=%s").splitlines()) == 4 * len(sims) + 1
    assert git(path, "status", "--porcelain") == ""


@pytest.mark.parametrize("executable", ["/nonexistent/python3", "/bin/false"])
def test_a_commit_process_that_cannot_start_leaves_the_commits_to_this_process(
    sim_lab: Lab, executable: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An interpreter that is missing, or exits at once: the runs are committed here, and
    the log says why."""
    monkeypatch.setattr(sys, "executable", executable)
    with (
        caplog.at_level(logging.WARNING, logger="ardvc"),
        sim_lab.persister("SimLab", remote="") as p,
    ):
        results = [persist_run(p, r) for r in runs()[:2]]
        assert p.committer.pid is None and not p.committer.use_process
    assert all(len(r.commits) == 4 for r in results)
    assert any("commit" in m and "process" in m for m in caplog.messages)
    assert git(sim_lab.repo("SimLab").git.path, "status", "--porcelain") == ""


def test_errors_and_log_records_of_the_commit_process_reach_the_caller(
    sim_lab: Lab, sim_persister: Persister, caplog: pytest.LogCaptureFixture
) -> None:
    sim = runs()[0]
    first = persist_run(sim_persister, sim)
    # the same analysis (same uuid) again: refused in the commit process, by type
    future = record_run(
        sim_persister, sim, metadata_factory=lambda **m: RunMetadata(**{**m, "uuid": first.uuid})
    )
    with pytest.raises(UsageError, match="already holds"):
        future.result(60)
    # a ref lock a killed ardvc left: the commit process removes it and says so
    repo = sim_lab.repo("SimLab").git
    (repo.git_dir / "refs/heads/master.lock").write_text("stale")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    note = {"pid": int(dead), "host": socket.gethostname(), "ref": "refs/heads/master"}
    (repo.git_dir / REF_MOVE_NOTE).write_bytes(orjson.dumps(note))
    with caplog.at_level(logging.WARNING, logger="ardvc"):
        result = persist_run(sim_persister, runs()[1])
    assert len(result.commits) == 4
    removed = [r for r in caplog.records if "left by ardvc process" in r.getMessage()]
    assert removed and removed[0].process != os.getpid()  # logged in the commit process


def test_a_repository_commit_hook_runs_in_this_process_with_the_paths_changed(
    sim_lab: Lab, sim_persister: Persister
) -> None:
    """A hook (a closure: it could not be sent to the commit process) is stripped from what
    is sent and called here once the commit is made."""
    from dataclasses import replace

    calls: list[tuple[str, list[str]]] = []
    repo = sim_persister.repo("SimLab").git
    repo.policy = replace(
        repo.policy, on_commit=lambda git, paths: calls.append((git.name, list(paths)))
    )
    result = persist_run(sim_persister, runs()[0])
    assert sim_persister.committer.pid is not None
    assert len(calls) == 1 and calls[0][0] == repo.name
    assert sorted(calls[0][1]) == sorted(result.paths)
