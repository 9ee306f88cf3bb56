"""An acquisition process SIGKILLed while it commits runs (tests/persist_child.py).

After every kill: the branch head holds only whole analyses (all eight files, every JSON
readable), ``git fsck`` finds nothing missing or broken, no lock is left behind, the
working tree holds no half-written or stray file, every run the process reported committed
is in git, a new Persister reports the runs that are not (``recovered``) and queues those
that are, and the lost runs can be recorded again or discarded with ``ardvc runs discard``
— after which the repository, the index and the journal agree.

Kills land at random moments of a pipelined acquisition (each save overlaps the next run's
recording), and at chosen moments of the save, so that each window of a commit is hit.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import uuid4

import pygit2
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from ardvc import Lab
from ardvc.cli.main import main
from ardvc.formats.jsonio import loads
from ardvc.formats.paths import write_address
from ardvc.gitstore.commit import LOCK_NAME
from ardvc.persist.drive import persist_run
from ardvc.persist.journal import RunMarker
from ardvc.persist.persister import Persister
from ardvc.persist.simulator import SimulatedRun
from persist_child import CHILD_RUNS, crash_runs

if TYPE_CHECKING:
    from pg import PostgresServer

CHILD = Path(__file__).resolve().parent / "persist_child.py"
MODIFIERS = (None, ".data", "intercepts", "baselines", "blanks", "icfactors", "extraction",
             "peakcenter")  # fmt: skip
RANDOM_TRIALS = 6


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, check=check, capture_output=True, text=True)


@pytest.fixture
def lab(sim_lab: Lab) -> Lab:
    return sim_lab


@dataclass
class Trial:
    """What the killed process said before it died."""

    repo: str
    returncode: int
    committed: dict[str, str] = field(default_factory=dict)  # uuid → run ID
    ended: list[str] = field(default_factory=list)
    done: bool = False
    stderr: str = ""


def _spawn(lab: Lab, repo: str, mode: str, kill_at: int = 0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(lab.root), repo, mode, str(kill_at)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def committers_of(pid: int) -> list[int]:
    """Live commit processes started by process ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # it ended meanwhile
            continue
        if b"ardvc.persist.committer" in argv and str(pid).encode() in argv and state != "Z":
            found.append(int(entry.name))
    return found


def _collect(proc: subprocess.Popen[str], repo: str, first: list[str]) -> Trial:
    out, err = proc.communicate(timeout=120)
    # a killed acquisition takes its commit process with it (PR_SET_PDEATHSIG): wait for
    # that death (a few ms at most) before looking at the repository
    deadline = time.monotonic() + 10
    while committers_of(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not committers_of(proc.pid), "the commit process outlived its acquisition"
    trial = Trial(repo, proc.returncode, stderr=err)
    for line in [*first, *out.splitlines()]:
        word, _, rest = line.partition(" ")
        if word == "committed":
            rid, uuid = rest.split()
            trial.committed[uuid] = rid
        elif word == "ending":
            trial.ended.append(rest)
        elif word == "done":
            trial.done = True
    return trial


def kill_at_random(lab: Lab, repo: str, delay: float) -> Trial:
    """Start the acquisition and SIGKILL it ``delay`` s after it starts recording."""
    proc = _spawn(lab, repo, "free")
    assert proc.stdout is not None
    first = proc.stdout.readline().strip()
    assert first == "ready", (first, proc.stderr.read() if proc.stderr else "")
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    trial = _collect(proc, repo, [])
    assert trial.returncode in (0, -signal.SIGKILL), trial.stderr
    assert trial.done or trial.returncode == -signal.SIGKILL  # (killed while exiting, maybe)
    return trial


def recording_span(lab: Lab, repo: str) -> float:
    """Seconds from the acquisition's start of recording to its last run committed, when
    nothing kills it: random kills are drawn inside this span, however fast this machine
    and the persister are."""
    proc = _spawn(lab, repo, "free")
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    start = time.perf_counter()
    last = start
    for line in proc.stdout:
        if line.startswith("committed "):
            last = time.perf_counter()
    trial = _collect(proc, repo, [])
    assert trial.returncode == 0, trial.stderr
    return last - start


def die_at(lab: Lab, repo: str, mode: str, kill_at: int) -> Trial:
    """Let the acquisition kill itself at a chosen moment of its ``kill_at``-th save."""
    trial = _collect(_spawn(lab, repo, mode, kill_at), repo, [])
    assert trial.returncode == -signal.SIGKILL, trial.stderr  # it died where it was told
    return trial


# --- the checks ------------------------------------------------------------------------------


def head_tree(path: Path) -> dict[str, str]:
    """Path → blob id at the branch head."""
    out = git(path, "ls-tree", "-r", "HEAD").stdout
    files = {}
    for line in out.splitlines():
        meta, name = line.split("\t", 1)
        files[name] = meta.split()[2]
    return files


def analyses_in(files: dict[str, str]) -> set[str]:
    """UUIDs of the analyses whose main file is in the tree, after checking each is whole."""
    uuids = set()
    for name in files:
        parts = name.split("/")
        if len(parts) == 2 and len(parts[0]) == 2 and name.endswith(".json"):
            uuids.add(parts[0] + parts[1].removesuffix(".json"))
    for uuid in uuids:
        missing = [m for m in MODIFIERS if write_address(uuid, m).path not in files]
        assert not missing, f"{uuid} is in the tree without its {missing} files"
    kinds = [p for p in files if p.count("/") == 2]
    orphans = [p for p in kinds if p.split("/")[0] + p.split("/")[2].split(".")[0] not in uuids]
    assert not orphans, f"files of analyses without a main file: {orphans}"
    return uuids


def check_repository(path: Path) -> dict[str, str]:
    """Whole analyses at the head, readable JSON, no missing objects, no stale locks, no
    half-written or stray files in the working tree. Returns the head's files."""
    files = head_tree(path)
    analyses_in(files)
    raw = pygit2.Repository(str(path))
    for name, oid in files.items():
        if name.endswith(".json"):
            loads(raw[oid].data, path=name)  # raises on a truncated or corrupt file
    fsck = git(path, "fsck", "--full", "--no-dangling", check=False)
    report = fsck.stdout + fsck.stderr
    assert fsck.returncode == 0 and not any(
        word in report for word in ("missing", "broken", "corrupt", "error")
    ), report
    locks = [str(p.relative_to(path)) for p in (path / ".git").rglob("*.lock")]
    assert [p for p in locks if not p.endswith(LOCK_NAME)] == [], locks
    # a file in the working tree is a committed file with its committed content: a sync
    # cut short may leave a committed file not checked out yet, never a partial one
    for file in path.rglob("*"):
        rel = file.relative_to(path).as_posix()
        if rel.startswith(".git/") or rel == ".git" or file.is_dir():
            continue
        assert rel in files, f"{rel} is in the working tree but not committed"
        assert str(pygit2.hashfile(str(file))) == files[rel], f"{rel} differs from HEAD"
    return files


def recover(lab: Lab, trial: Trial, sims: dict[str, SimulatedRun], *, discard: bool) -> None:
    """Everything a restarted acquisition computer does after the kill, checked."""
    repo_path = lab.workspace.repository_dir(trial.repo)
    in_git = analyses_in(head_tree(repo_path))
    assert set(trial.committed) <= in_git  # what the process reported saved, is
    markers = [m for m in lab.run_journal.markers() if m.repository == trial.repo]
    assert all(not m.alive for m in markers)
    marked = {m.uuid for m in markers}
    # nothing in git that nobody knows of: a run is reported committed, or still marked, or
    # the kill fell between its marker's removal and the child's "committed" line
    unreported = in_git - set(trial.committed) - marked
    data = lab.repo(trial.repo)
    assert {data.analysis(u).record_id for u in unreported} <= set(trial.ended), unreported
    committed_marked = {m.uuid: m for m in markers if m.uuid in in_git}
    head = git(repo_path, "rev-parse", "HEAD").stdout.strip()
    initial = git(repo_path, "rev-list", "--max-parents=0", "HEAD").stdout.strip()

    persister = lab.persister(trial.repo, remote="")
    try:
        # checked once the restarted persister looked: a kill inside libgit2's ref
        # transaction leaves git's <branch>.lock, which it removes (it was ardvc's)
        check_repository(repo_path)
        lost = {m.uuid: m for m in persister.recovered}
        assert set(lost) == marked - in_git
        remaining = {m.uuid for m in lab.run_journal.markers() if m.repository == trial.repo}
        assert remaining == set(lost)  # the committed ones were finished and queued
        entries = [e for e in lab.outbox.entries() if e.repo.endswith(trial.repo)]
        for m in committed_marked.values():
            assert any(e.message == f"recovered {m.record_id}" for e in entries), entries
        if head != initial:  # every commit is queued for the push
            assert head in {e.commit for e in entries}
        discarded = _dispose(lab, persister, list(lost.values()), sims, discard=discard)
        # the runs the killed process never got to, and the one it was not given
        recorded = {a.record_id for a in lab.repo(trial.repo).analyses()}
        for rid, sim in sims.items():
            if rid not in recorded and rid not in discarded:
                assert persist_run(persister, sim).index_error(60) is None
    finally:
        persister.close()

    files = check_repository(repo_path)
    assert git(repo_path, "status", "--porcelain", "--untracked-files=all").stdout == ""
    in_head = {lab.repo(trial.repo).analysis(u).record_id for u in analyses_in(files)}
    assert in_head == set(sims) - discarded
    assert [m for m in lab.run_journal.markers() if m.repository == trial.repo] == []
    indexed = [r.record_id for r in Lab.open(lab.root).find(repo=[trial.repo])]
    assert sorted(indexed) == sorted(in_head)


def _dispose(
    lab: Lab, persister: Persister, lost: list[RunMarker], sims: dict[str, SimulatedRun],
    *, discard: bool,
) -> set[str]:  # fmt: skip
    """Record the lost runs again, or discard them with the CLI; the discarded run IDs."""
    if not discard:
        for m in lost:
            result = persist_run(persister, sims[m.record_id])
            assert result.index_error(60) is None
            assert lab.repo(m.repository).analysis(result.uuid).record_id == m.record_id
        return set()
    for m in lost:
        out = CliRunner().invoke(main, ["--root", str(lab.root), "runs", "discard", m.record_id])
        assert out.exit_code == 0, out.output
        assert f"discarded {m.record_id} ({m.uuid})" in out.output
    return {m.record_id for m in lost}


# --- the tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sims() -> dict[str, SimulatedRun]:
    runs = crash_runs()
    assert len(runs) == CHILD_RUNS + 1
    return {r.record_id: r for r in runs}


def test_random_kills_during_acquisition(lab: Lab, sims: dict[str, SimulatedRun]) -> None:
    rng = random.Random(20240415)
    lab.create_repository("Undisturbed")
    span = recording_span(lab, "Undisturbed")
    outcomes = []
    for i in range(RANDOM_TRIALS):
        repo = f"Crash{i}"
        lab.create_repository(repo)
        trial = kill_at_random(lab, repo, rng.uniform(0.0, span))
        markers = [m for m in lab.run_journal.markers() if m.repository == repo]
        outcomes.append((trial.done, len(trial.committed), len(markers)))
        recover(lab, trial, sims, discard=i % 2 == 1)
    killed = [o for o in outcomes if not o[0]]
    # most kills land while runs are in flight, leaving a marker to recover from
    assert len(killed) >= RANDOM_TRIALS // 2, outcomes
    assert sum(1 for o in killed if o[2] > 0) >= RANDOM_TRIALS // 2, outcomes


@pytest.mark.parametrize(
    "mode",
    ["before-branch-move", "after-branch-move", "mid-worktree", "index-locked",
     "before-marker-removed"],
)  # fmt: skip
def test_kill_at_each_moment_of_a_save(lab: Lab, sims: dict[str, SimulatedRun], mode: str) -> None:
    lab.create_repository("Crash")
    trial = die_at(lab, "Crash", mode, kill_at=3)
    markers = lab.run_journal.markers()
    in_git = analyses_in(head_tree(lab.workspace.repository_dir("Crash")))
    reported = set(trial.committed)  # the saves before the fatal one reported theirs
    # (runs that ended while a save committed are committed together: a series holds one
    # run or more)
    if mode == "before-branch-move":  # the third series' objects were written, not the branch
        assert in_git == reported and len(in_git) >= 2
        assert any(m.uuid not in in_git for m in markers)
    else:  # the third series is on the branch, unreported, its markers still there
        assert in_git > reported and len(in_git) >= 3
        assert any(m.uuid in in_git for m in markers)
    recover(lab, trial, sims, discard=mode == "mid-worktree")


def test_run_killed_mid_measurement_is_reported(lab: Lab, sims: dict[str, SimulatedRun]) -> None:
    lab.create_repository("Crash")
    proc = _spawn(lab, "Crash", "begin-only")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err
    (marker,) = lab.run_journal.markers()
    assert out.split() == ["begun", marker.record_id] and marker.stage == "recording"
    assert marker.pid != os.getpid() and not marker.alive
    recover(lab, Trial("Crash", proc.returncode), sims, discard=False)


# --- the index server goes down ----------------------------------------------------------------


def test_index_down_commits_stand_and_sync_catches_up(
    lab: Lab, postgres_server: PostgresServer
) -> None:
    """A real PostgreSQL index halted during acquisition: the run is committed and readable,
    its result says the index was not updated, nothing raises; once the server is back,
    ``ardvc index sync`` brings the index to git."""
    name = f"ardvc_{uuid4().hex[:16]}"
    url = postgres_server.create_database(name)
    password = str(make_url(url).password)
    cli = ["--root", str(lab.root), "-c", f"index.url={url}"]
    runs = crash_runs()[:3]
    try:
        pg_lab = Lab.open(lab.root, overrides={"index.url": url})
        with pg_lab.persister("SimLab", remote="") as persister:
            first = persist_run(persister, runs[0])
            assert first.index_error(60) is None
            assert [r.record_id for r in pg_lab.find(repo=["SimLab"])] == [runs[0].record_id]
            postgres_server.halt()
            try:
                second = persist_run(persister, runs[1])  # the save does not wait for the index
                error = second.index_error(60)
                assert error is not None and "cannot reach the SQL index" in error
                assert password not in error
                third = persist_run(persister, runs[2])
                assert third.index_error(60) is not None
                repo = pg_lab.repo("SimLab")
                assert repo.git.branch_head("master") == third.head
                for result, sim in ((second, runs[1]), (third, runs[2])):
                    analysis = repo.analysis(result.uuid, third.head)
                    assert analysis.record_id == sim.record_id
                    analysis.load_all()
                down = CliRunner().invoke(main, [*cli, "index", "sync"])
                assert down.exit_code != 0 and "cannot reach the SQL index" in down.output
                assert password not in down.output and "Traceback" not in down.output
            finally:
                postgres_server.resume()
        assert [e.commit for e in pg_lab.outbox.entries()] == [first.head, second.head, third.head]
        assert pg_lab.run_journal.markers() == []
        # back up: the index still lacks what was committed while it was down ...
        fresh = Lab.open(lab.root, overrides={"index.url": url})
        assert [r.record_id for r in fresh.find(repo=["SimLab"])] == [runs[0].record_id]
        # ... until a sync, which finds every run at the head commit
        up = CliRunner().invoke(main, [*cli, "index", "sync"])
        assert up.exit_code == 0, up.output
        records = {r.record_id: r for r in fresh.find(repo=["SimLab"])}
        assert set(records) == {r.record_id for r in runs}
        assert records[runs[2].record_id].commit == third.head
        assert fresh.analysis_at(records[runs[1].record_id]).uuid == second.uuid
    finally:
        postgres_server.drop_database(name)
