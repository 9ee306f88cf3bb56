"""The acquisition commands: ``ardvc simulate``, ``ardvc outbox [--json|--push]`` and
``ardvc runs list|discard``, checked against what is in git, the index, the outbox and the
run journal afterwards."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ardvc import Lab
from ardvc.cli.main import main
from ardvc.persist.drive import persist_run
from ardvc.persist.metadata import RunMetadata
from ardvc.persist.simulate import SimulationPlan, simulated_runs
from ardvc.persist.simulator import Simulator
from persist_child import crash_runs

CHILD = Path(__file__).resolve().parent / "persist_child.py"
SUMMARY = re.compile(
    r"(\d+) runs committed to SimLab:master \(([^)]*)\); (\d+) commits in the outbox"
)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def ardvc(lab: Lab, *args: str) -> Result:
    return CliRunner().invoke(main, ["--root", str(lab.root), *args])


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    Lab.init(tmp_path / "lab")
    return Lab.open(tmp_path / "lab")


def test_simulate_commits_indexes_and_queues_every_run(lab: Lab) -> None:
    out = ardvc(lab, "simulate", "--repo", "SimLab", "--seed", "1")
    assert out.exit_code == 0, out.output
    match = SUMMARY.search(out.output)
    assert match, out.output
    n, kinds, queued = int(match[1]), match[2], int(match[3])
    # the same plan, generated here, is what was recorded
    plan = simulated_runs(Simulator(seed=1), SimulationPlan(seed=1))
    assert n == len(plan) and 1 <= queued <= n  # runs ended during a save share a commit
    said = {kind: int(count) for count, kind in (k.split(" ") for k in kinds.split(", "))}
    assert said == Counter(r.analysis_type for r in plan)
    repo = lab.repo("SimLab")
    in_git = {a.record_id: a for a in repo.analyses()}
    assert set(in_git) == {r.record_id for r in plan}
    for run in plan[-10:]:  # the table lists the last ten runs with their uuids
        assert re.search(rf"{run.record_id}\s*│\s*{in_git[run.record_id].uuid}", out.output)
    assert plan[-11].record_id not in out.output.split(" runs committed")[0]
    records = lab.find(repo=["SimLab"])
    assert Counter(r.analysis_type for r in records) == said
    assert {(r.record_id, r.uuid) for r in records} == {(k, a.uuid) for k, a in in_git.items()}
    assert all(repo.git.exists(r.path, r.commit) for r in records)
    # four collection commits per run; every run queued for the push, at the last commit of
    # its save (runs saved together share one entry, which names them all)
    assert len(git(repo.git.path, "log", "--format=%H").split()) == 4 * n + 1
    entries = lab.outbox.entries()
    assert len(entries) == queued
    assert entries[-1].commit == repo.git.branch_head("master")
    named = [name.split(" ")[0] for e in entries for name in e.message.split(", ")]
    assert sorted(named) == sorted(r.record_id for r in plan)
    # the irradiation went into the MetaRepo with the simulated J
    sim = Simulator(seed=1)
    for pos in sim.irradiation.positions[:3]:
        flux = lab.meta.flux(sim.irradiation.name, sim.irradiation.level, pos.position)
        assert (flux.j, flux.j_err) == (pos.j, pos.j_err)
    assert ardvc(lab, "runs", "list").output.strip().endswith("0 unfinished runs")


def _outbox_json(lab: Lab) -> list[dict[str, object]]:
    out = ardvc(lab, "outbox", "--json")
    assert out.exit_code == 0, out.output
    entries = json.loads(out.stdout)
    assert isinstance(entries, list)
    return entries


def test_outbox_lists_waits_fails_and_pushes(lab: Lab, tmp_path: Path) -> None:
    sims = crash_runs()[:3]
    with lab.persister("SimLab") as persister:  # remote "origin", which the repo lacks
        results = [persist_run(persister, s) for s in sims]
    path = lab.repo("SimLab").git.path
    entries = _outbox_json(lab)
    assert [e["commit"] for e in entries] == [r.head for r in results]
    assert [e["message"] for e in entries] == [f"{r.record_id} {r.uuid}" for r in results]
    assert {e["repo"] for e in entries} == {"repositories/SimLab"}
    assert all(e["last_error"] is None and e["attempts"] == 0 for e in entries)
    table = ardvc(lab, "outbox").output
    assert re.search(r"repositories/SimLab\s*│\s*master\s*│\s*3\s*│.*waiting for a push", table)
    assert "3 commits not pushed (remote origin)" in table

    # a remote that cannot be reached: the push fails, the commits stay with the error
    git(path, "remote", "add", "origin", str(tmp_path / "nowhere.git"))
    failing = ardvc(lab, "outbox", "--push")
    assert failing.exit_code == 1
    assert "push failed" in failing.output and "push failing" in failing.output
    entries = _outbox_json(lab)
    assert [e["commit"] for e in entries] == [r.head for r in results]
    assert all(int(str(e["attempts"])) >= 1 for e in entries)
    assert all("git push origin master failed" in str(e["last_error"]) for e in entries)

    # the remote exists: one push takes the branch there and empties the outbox
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    git(path, "remote", "set-url", "origin", str(bare))
    pushed = ardvc(lab, "outbox", "--push")
    assert pushed.exit_code == 0, pushed.output
    assert f"pushed repositories/SimLab:master → origin at {results[-1].head[:12]}" in (
        pushed.output
    )
    assert _outbox_json(lab) == []
    assert git(bare, "rev-parse", "refs/heads/master").strip() == results[-1].head
    assert "0 commits not pushed" in ardvc(lab, "outbox").output


def test_runs_list_and_discard(lab: Lab) -> None:
    lab.create_repository("SimLab")
    head = lab.repo("SimLab").git.head_id()
    sims = crash_runs()
    # a run interrupted mid-measurement by a killed acquisition process
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(lab.root), "SimLab", "begin-only"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, stderr
    assert stdout.split() == ["begun", sims[0].record_id]
    (dead,) = lab.run_journal.markers()
    with lab.persister("SimLab", remote="") as persister:
        assert [m.uuid for m in persister.recovered] == [dead.uuid]
        live = persister.begin_run(RunMetadata(**sims[1].metadata()))  # being recorded now
        listing = ardvc(lab, "runs", "list").output
        assert "2 unfinished runs" in listing
        assert re.search(rf"{dead.record_id}\s*│\s*{dead.uuid}.*interrupted \(recording\)", listing)
        assert re.search(rf"{live.record_id}\s*│\s*{live.uuid}.*│\s*recording\s*│", listing)
        assert f"{os.getpid()}@" in listing and f"{dead.pid}@" in listing

        refused = ardvc(lab, "runs", "discard", live.record_id)
        assert refused.exit_code != 0
        assert f"is being recorded by process {os.getpid()}" in refused.output
        unknown = ardvc(lab, "runs", "discard", "no-such-run")
        assert unknown.exit_code != 0 and "no run 'no-such-run'" in unknown.output

        done = ardvc(lab, "runs", "discard", dead.uuid)  # by uuid as well as by run ID
        assert done.exit_code == 0, done.output
        assert f"discarded {dead.record_id} ({dead.uuid}); nothing was in git" in done.output
        assert [m.uuid for m in lab.run_journal.markers()] == [live.uuid]
        assert "1 unfinished runs" in ardvc(lab, "runs").output  # `runs` alone lists

        persister.abort(live, "test over")
    assert ardvc(lab, "runs", "list").output.strip().endswith("0 unfinished runs")
    assert lab.repo("SimLab").git.head_id() == head  # nothing was committed by any of it
    assert lab.find(repo=["SimLab"]) == []
    assert len(lab.outbox) == 0
