"""The acquisition persister end to end: simulated runs in, committed, indexed, pushed and
re-derivable analyses out; bad input, aborted runs, a blocked save and an unreachable index.
"""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import Future
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

import minimal_reader
from ardvc import Lab
from ardvc.errors import UsageError
from ardvc.gitstore.commit import LOCK_NAME
from ardvc.persist.drive import persist_run, record_run
from ardvc.persist.metadata import RunMetadata
from ardvc.persist.persister import Persister, PersistResult, SaveTimeoutError
from ardvc.persist.recording import Recording
from ardvc.persist.sim_schedule import Schedule, Slot
from ardvc.persist.simulator import SimulatedRun, Simulator
from ardvc.reduction.refit import refit_many

START = datetime(2024, 4, 15, 8, 0)
SLOTS = [Slot("blank_unknown"), Slot("air"), Slot("monitor", 1), Slot("step", 2, 0),
         Slot("step", 2, 1), Slot("blank_unknown")]  # fmt: skip


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def lab(sim_lab: Lab) -> Lab:
    return sim_lab


@pytest.fixture
def persister(sim_persister: Persister) -> Persister:
    return sim_persister


def runs(seed: int = 0, slots: list[Slot] = SLOTS) -> list[SimulatedRun]:
    return list(Schedule(Simulator(seed=seed), START, slots=slots))


def test_runs_become_whole_analyses(lab: Lab, persister: Persister) -> None:
    sims = runs()
    results = [persist_run(persister, r) for r in sims]
    repo = lab.repo("SimLab")
    path = repo.git.path
    # one branch move per analysis, four Pychron collection commits each
    subjects = git(path, "log", "--format=%s").splitlines()
    assert subjects[:4] == [
        "<ICFactor> default",
        f"<BLANKS> preceding {sims[-1].defaults.previous_blank}",
        "<ISOEVO> default collection fits",
        "<COLLECTION>",
    ]
    assert len(subjects) == 4 * len(sims) + 1  # + "Initial commit"
    reflog = git(path, "reflog", "show", "--format=%gs", "master").splitlines()
    assert len(reflog) == len(sims) + 1
    assert git(path, "status", "--porcelain") == ""  # working tree and git index follow
    for sim, result in zip(sims, results, strict=True):
        assert result.record_id == sim.record_id and len(result.commits) == 4
        assert result.index_error(30) is None
        a = repo.analysis(result.uuid)
        assert a.record_id == sim.record_id and a.main.analysis_type == sim.analysis_type
        t, y = a.raw_data.signal("Ar40")
        want_t, want_y = sim.signals[("Ar40", "H2")]
        np.testing.assert_array_equal(t, want_t.astype(np.float32))
        np.testing.assert_array_equal(y, want_y.astype(np.float32))
        # an independent reader built from the format reference agrees
        plain = minimal_reader.read(path, "HEAD", result.uuid)
        assert plain is not None and plain["identifier"] == sim.identifier
        value, _ = minimal_reader.intercept(path, "HEAD", result.uuid, "Ar39")
        assert value == a.intercepts.get("Ar39").value  # type: ignore[union-attr]
    # the index knows every run, without an explicit sync
    found = {r.record_id for r in lab.find(repo=["SimLab"])}
    assert found == {s.record_id for s in sims}
    assert len(lab.outbox) == len(sims)
    assert lab.run_journal.markers() == []


def test_collection_fits_reproduce_exactly_from_the_stored_blobs(
    lab: Lab, persister: Persister
) -> None:
    """Pychron fits before packing as float32 (refits agree to ~1e-8); ardvc fits the
    float32 values it stores, so a refit reproduces every intercept and fn exactly."""
    for r in runs(seed=3):
        persist_run(persister, r)
    repo = lab.repo("SimLab")
    analyses = list(repo.analyses())
    rows = refit_many(analyses)
    assert len(rows) == len(analyses) * 10
    for row in rows:
        assert row.problem is None, row.problem
        assert row.rel_value <= 1e-12 and row.rel_error <= 1e-12, row
        assert row.stored_fn is None  # collection files carry Pychron's collection keys


def test_truth_is_recovered_through_git(lab: Lab, persister: Persister) -> None:
    """The stored intercepts agree with the simulator's truth within their errors."""
    sims = runs(seed=5)
    results = [persist_run(persister, r) for r in sims]
    z = []
    for sim, result in zip(sims, results, strict=True):
        a = lab.repo("SimLab").analysis(result.uuid)
        for iso, truth in sim.truth.intercepts.items():
            entry = a.intercepts.get(iso)  # type: ignore[union-attr]
            assert entry is not None
            z.append((entry.value - truth) / entry.error)
    assert np.abs(z).max() < 5 and abs(np.mean(z)) < 0.6


def test_bad_input_is_refused_before_anything_is_written(lab: Lab, persister: Persister) -> None:
    sim = runs()[2]
    meta = sim.metadata()
    with pytest.raises(UsageError, match="detectors the spectrometer does not have"):
        RunMetadata(**{**meta, "isotopes": {**meta["isotopes"], "Ar40": "NOPE"}})
    with pytest.raises(UsageError, match="analysis type"):
        RunMetadata(**{**meta, "analysis_type": "sample"})
    rec = persister.begin_run(RunMetadata(**meta))
    with pytest.raises(UsageError, match="NaN"):
        rec.add_signals("Ar40", "H2", [1.0, 2.0], [1.0, float("nan")])
    with pytest.raises(UsageError, match="measured on H2"):
        rec.add_signals("Ar40", "H1", [1.0], [1.0])
    rec.add_signals("Ar40", "H2", [1.0, 2.0], [3.0, 4.0])
    with pytest.raises(UsageError, match="starts before"):
        rec.add_signals("Ar40", "H2", [1.5], [3.0])
    with pytest.raises(UsageError, match="has no Ar39 signals"):
        persister.end_run(rec)
    head = lab.repo("SimLab").git.head_id()
    persister.abort(rec, "test")
    assert lab.repo("SimLab").git.head_id() == head
    assert lab.run_journal.markers() == []
    with pytest.raises(UsageError, match="aborted"):
        rec.add_signals("Ar40", "H2", [5.0], [1.0])


def test_a_run_aborted_by_an_exception_leaves_nothing(lab: Lab, persister: Persister) -> None:
    sim = runs()[3]
    head = lab.repo("SimLab").git.head_id()
    meta = RunMetadata(**sim.metadata())
    with pytest.raises(RuntimeError, match="laser"), persister.run(meta) as rec:
        rec.save_extraction(**sim.extraction())
        raise RuntimeError("laser interlock")
    assert lab.repo("SimLab").git.head_id() == head
    assert lab.run_journal.markers() == []
    result = persist_run(persister, sim)  # the same run can be recorded again
    assert lab.repo("SimLab").analysis(result.uuid).record_id == sim.record_id


def test_data_collection_branch(lab: Lab) -> None:
    lab.create_repository("SimLab")
    master = lab.repo("SimLab").git.branch_head("master")
    with lab.persister("SimLab", branch="data_collection", remote="") as p:
        results = [persist_run(p, r) for r in runs()[:3]]
    git_repo = lab.repo("SimLab").git
    assert git_repo.branch_head("master") == master
    assert git_repo.branch_head("data_collection") == results[-1].head
    assert {r.branch for r in results} == {"data_collection"}
    assert lab.find(repo=["SimLab"], branch="data_collection")


class _Capture:
    """Hands the persister's recordings to the test as the driver makes them."""

    def __init__(self, persister: Persister) -> None:
        self.persister = persister
        self.recordings: list[Recording] = []

    def begin_run(self, metadata: RunMetadata) -> Recording:
        rec = self.persister.begin_run(metadata)
        self.recordings.append(rec)
        return rec

    def end_run(self, rec: Recording) -> Future[PersistResult]:
        return self.persister.end_run(rec)


def test_runs_ended_during_a_save_are_committed_together_and_the_wait_is_bounded(
    lab: Lab,
) -> None:
    sims = runs()
    with lab.persister("SimLab", remote="", save_timeout=0.3, save_queue=3) as p:
        persist_run(p, sims[0])
        path = lab.repo("SimLab").git.path
        capture = _Capture(p)
        lock = FileLock(str(lab.repo("SimLab").git.git_dir / LOCK_NAME))
        with lock:  # another writer holds the repository: the save blocks
            first = record_run(capture, sims[1])  # returns while its save waits
            queued = [record_run(capture, s) for s in sims[2:4]]  # end while it waits
            assert not first.done() and not any(f.done() for f in queued)
            # three runs ended and not committed: the fourth waits, boundedly
            with pytest.raises(SaveTimeoutError, match=re.escape("not finished after 0.3 s")):
                record_run(capture, sims[4])
            assert not first.done()
        assert first.result(30).record_id == sims[1].record_id
        together = [f.result(30) for f in queued]
        # the refused run was kept in memory, unwritten: ending it again commits it
        kept = capture.recordings[-1]
        assert kept.state == "recording"
        assert p.end_run(kept).result(30).record_id == sims[4].record_id
    assert {r.record_id for r in lab.find(repo=["SimLab"])} == {s.record_id for s in sims[:5]}
    assert lab.run_journal.markers() == []
    # each analysis has its own four collection commits, chained in the order runs ended...
    subjects = git(path, "log", "--format=%s").splitlines()
    assert len(subjects) == 4 * 5 + 1
    assert together[0].commits[-1] == git(path, "rev-parse", f"{together[1].commits[0]}^").strip()
    for result in together:
        assert len(result.commits) == 4
        assert lab.repo("SimLab").analysis(result.uuid).record_id == result.record_id
    # ...but the runs that queued behind the blocked save shared branch moves
    reflog = git(path, "reflog", "show", "--format=%gs", "master").splitlines()
    assert len(reflog) - 1 < 5  # fewer moves than analyses (the first line: initial commit)
    assert git(path, "status", "--porcelain") == ""  # working tree and git index follow


def test_a_run_that_cannot_be_committed_does_not_fail_the_runs_queued_with_it(lab: Lab) -> None:
    sims = runs()
    with lab.persister("SimLab", remote="", save_queue=4) as p:
        done = persist_run(p, sims[0])

        def same_uuid(**meta: object) -> RunMetadata:
            return RunMetadata(**{**meta, "uuid": done.uuid})  # type: ignore[arg-type]

        lock = FileLock(str(lab.repo("SimLab").git.git_dir / LOCK_NAME))
        with lock:
            blocked = record_run(p, sims[1])
            again = record_run(p, sims[3], metadata_factory=same_uuid)  # refused at commit
            fine = record_run(p, sims[2])
        assert blocked.result(30).record_id == sims[1].record_id
        with pytest.raises(UsageError, match="already holds"):
            again.result(30)
        assert fine.result(30).record_id == sims[2].record_id
        assert [r.record_id for r in p.failed] == [sims[3].record_id]
    found = sorted(r.record_id for r in lab.find(repo=["SimLab"]))
    assert found == sorted(s.record_id for s in sims[:3])


def test_outbox_pushes_to_a_real_remote_and_keeps_failures(lab: Lab, tmp_path: Path) -> None:
    lab.create_repository("SimLab")
    path = lab.repo("SimLab").git.path
    bare = tmp_path / "remote" / "SimLab.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    git(path, "remote", "add", "origin", str(bare))
    with lab.persister("SimLab") as p:
        results = [persist_run(p, r) for r in runs()[:2]]
        assert p.worker is not None and p.worker.wait_idle(60)
    assert len(lab.outbox) == 0
    pushed = git(bare, "rev-parse", "refs/heads/master").strip()
    assert pushed == results[-1].head
    # the remote goes away: the commit stays queued with the error, nothing is lost
    bare.rename(bare.with_name("moved.git"))
    with lab.persister("SimLab") as p:
        result = persist_run(p, runs(seed=1)[0])
        assert p.worker is not None and p.worker.wait_idle(60)
    (entry,) = lab.outbox.entries()
    assert entry.commit == result.head and entry.attempts >= 1
    assert entry.last_error and "git push origin master failed" in entry.last_error


def _cdd_blanks(sim: SimulatedRun) -> dict[str, tuple[float, float]]:
    return dict(sim.defaults.blanks)


def test_timestamps_and_defaults_are_written_as_given(lab: Lab, persister: Persister) -> None:
    sim = runs()[3]
    result = persist_run(persister, sim)
    a = lab.repo("SimLab").analysis(result.uuid)
    assert a.main.timestamp == sim.timestamp.isoformat()
    blanks = a.blanks
    assert blanks is not None
    for iso, (value, error) in _cdd_blanks(sim).items():
        entry = blanks.get(iso)
        assert entry is not None and (entry.value, entry.error) == (value, error)
    ic = a.icfactors.by_detector()  # type: ignore[union-attr]
    for det, (value, error) in sim.defaults.icfactors.items():
        if det in sim.isotopes.values():
            assert (ic[det].value, ic[det].error) == (value, error)
    later = sim.timestamp + timedelta(hours=1)
    assert later > sim.timestamp


def test_push_worker_survives_an_unreadable_outbox(lab: Lab, tmp_path: Path) -> None:
    lab.create_repository("SimLab")
    path = lab.repo("SimLab").git.path
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    git(path, "remote", "add", "origin", str(bare))
    junk = lab.outbox.folder / "0000-junk.json"
    junk.parent.mkdir(parents=True, exist_ok=True)
    junk.write_bytes(b"{not json")
    with lab.persister("SimLab") as p:
        result = persist_run(p, runs()[0])
        worker = p.worker
        assert worker is not None and worker.wait_idle(60)
        assert worker.last is not None and "CorruptFileError" in worker.last.failed["outbox"]
        junk.unlink()  # the bad entry is dealt with: the next attempt pushes the commit
        worker.wake()
        assert worker.wait_idle(60)
        assert worker.last is not None and not worker.last.failed
    assert git(bare, "rev-parse", "refs/heads/master").strip() == result.head
    assert len(lab.outbox) == 0


def test_index_syncs_settle_into_one_and_waiting_flushes(lab: Lab) -> None:
    """Runs ending close together share one index sync; a caller waiting on a run's index
    outcome does not wait for the settling window (here far longer than the test timeout)."""
    from ardvc.persist.indexer import IndexWorker

    with lab.persister("SimLab", remote="", sync_index=False) as p:
        results = [persist_run(p, run) for run in runs()[:3]]
    catalog = lab.catalog
    assert lab.find(repo=["SimLab"]) == []
    calls: list[str] = []
    original = catalog.sync_path

    def counting(path: str) -> list[object]:
        calls.append(path)
        return list(original(path))

    catalog.sync_path = counting  # type: ignore[method-assign]
    worker = IndexWorker(catalog, settle_s=3600.0)
    try:
        path = str(lab.workspace.repository_dir("SimLab"))
        futures = [worker.request(path) for _ in results]
        assert futures[-1].result(timeout=60) is None  # flushed: no hour-long wait
        assert all(f.result(timeout=0) is None for f in futures)
        assert len(calls) == 1
    finally:
        worker.stop(60)
    indexed = sorted(r.record_id for r in lab.find(repo=["SimLab"]))
    assert indexed == sorted(r.record_id for r in results)
