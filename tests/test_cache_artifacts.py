"""Artifacts in data repositories: add, status, checkout, gc, the CLI and the persister."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ardvc import Lab
from ardvc.cache import status as st
from ardvc.cache.pointer import decode
from ardvc.cli.main import main
from ardvc.errors import ObjectMissingError, UsageError


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout  # fmt: skip


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    Lab.init(tmp_path / "lab")
    lab = Lab.open(tmp_path / "lab")
    lab.create_repository("Art")
    return lab


def _snaps(repo: Path, n: int = 30) -> Path:
    folder = repo / "snapshots"
    for i in range(n):
        sub = folder / ("laser" if i % 2 else "video")
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"run{i:03d}.png").write_bytes(os.urandom(200 + i))
    (folder / "empty.txt").write_bytes(b"")
    time.sleep(0.02)
    return folder


def test_add_commits_only_the_pointer_and_gitignore(lab: Lab) -> None:
    repo = lab.repo("Art").git.path
    snaps = _snaps(repo)
    (repo / "stray.txt").write_text("not ardvc's")  # must never be committed
    git(repo, "add", "stray.txt")  # even when staged in git's index
    lc = lab.cache()
    (report,) = lc.add([snaps])
    (staged,) = report.staged
    assert staged.pointer.kind == "dir" and staged.pointer.nfiles == 31 and staged.hashed == 31
    changed = git(repo, "show", "--name-only", "--format=%s", "HEAD").split()
    assert changed[0] == "<ARTIFACT>" and set(changed[3:]) == {".gitignore", "snapshots.ardvc"}
    assert "/snapshots" in git(repo, "show", "HEAD:.gitignore").splitlines()
    pointer = decode(git(repo, "show", "HEAD:snapshots.ardvc").encode(), "x")
    assert pointer == staged.pointer and pointer.algorithm == "blake3"
    assert (repo / "snapshots.ardvc").read_bytes() == pointer.encode()
    status = git(repo, "status", "--porcelain")
    assert "snapshots" not in status and "A  stray.txt" in status  # ignored; stray untouched
    # every file is in the cache and the workspace files are its objects (hardlinks here)
    odb = lc.cache.odb
    assert all(odb.exists(e.hash) for e in
               __import__("ardvc.cache.manifest", fromlist=["decode"]).decode(
                   odb.read_bytes(pointer.oid), pointer.oid).entries)  # fmt: skip
    again = lc.add([snaps])[0]
    assert again.staged[0].hashed == 0 and again.commit is None  # nothing changed


def test_status_rows_and_remedies(lab: Lab) -> None:
    repo = lab.repo("Art").git.path
    snaps = _snaps(repo, 10)
    video = repo / "video.bin"
    video.write_bytes(os.urandom(5000))
    lc = lab.cache()
    lc.add([snaps, video])
    rows = {r.path.rsplit("/", 1)[1]: r for r in lc.status()}
    assert {r.state for r in rows.values()} == {st.OK} and rows["video.bin"].remedy is None
    os.chmod(video, 0o644)
    video.unlink()
    video.write_bytes(b"new take")  # modified in the workspace
    (snaps / "laser" / "run001.png").unlink()
    rows = {r.path.rsplit("/", 1)[1]: r for r in lc.status()}
    assert rows["video.bin"].state == st.MODIFIED and "ardvc add" in str(rows["video.bin"].remedy)
    assert rows["snapshots"].state == st.MODIFIED
    lc.checkout(force=True)
    assert {r.state for r in lc.status()} == {st.OK}
    assert video.read_bytes() != b"new take"
    import shutil

    shutil.rmtree(snaps)
    rows = {r.path.rsplit("/", 1)[1]: r for r in lc.status()}
    assert rows["snapshots"].state == st.NOT_CHECKED_OUT
    assert rows["snapshots"].remedy == "ardvc checkout repositories/Art/snapshots"


def test_checkout_never_loses_uncached_work(lab: Lab) -> None:
    repo = lab.repo("Art").git.path
    f = repo / "export.csv"
    f.write_text("a,b\n1,2\n")
    lc = lab.cache()
    lc.add([f])
    os.chmod(f, 0o644)
    f.unlink()
    f.write_text("precious edit that was never added\n")
    (result,) = lc.checkout()
    assert result.refused == ["repositories/Art/export.csv"]
    assert f.read_text() == "precious edit that was never added\n"
    (forced,) = lc.checkout(force=True)
    assert forced.placed == 1 and f.read_text() == "a,b\n1,2\n"


def test_checkout_follows_git_and_verifies_objects(lab: Lab) -> None:
    repo = lab.repo("Art").git.path
    f = repo / "scan.dat"
    f.write_bytes(b"version one" * 50)
    lc = lab.cache()
    first = lc.add([f])[0].commit
    assert first is not None and first.commit
    os.chmod(f, 0o644)
    f.unlink()
    f.write_bytes(b"version two" * 50)
    lc.add([f])
    git(repo, "checkout", "-q", first.commit)  # the pointer of version one
    lc.checkout()
    assert f.read_bytes() == b"version one" * 50
    # corrupt the object of version two, go back: checkout refuses to place it
    git(repo, "checkout", "-q", "-")
    two = decode((repo / "scan.dat.ardvc").read_bytes(), "x")
    obj = lc.cache.odb.path(two.oid)
    obj.chmod(0o644)
    data = bytearray(obj.read_bytes())
    data[0] ^= 1
    obj.write_bytes(bytes(data))
    with pytest.raises(Exception, match="corrupt"):
        lc.checkout()
    assert f.read_bytes() == b"version one" * 50


def test_gc_keeps_every_branch_and_removes_the_rest(lab: Lab) -> None:
    repo = lab.repo("Art").git.path
    lc = lab.cache()
    f = repo / "a.bin"
    f.write_bytes(b"on master")
    lc.add([f])
    git(repo, "checkout", "-q", "-b", "experiment")
    os.chmod(f, 0o644)
    f.unlink()
    f.write_bytes(b"on experiment")
    lc.add([f])
    git(repo, "checkout", "-q", "-")
    orphan = lc.cache.odb.add_bytes(b"referenced by nothing")
    dry = lc.gc(dry_run=True)
    assert dry.removed == [orphan] and lc.cache.odb.exists(orphan)
    done = lc.gc()
    assert done.removed == [orphan] and not lc.cache.odb.exists(orphan)
    kept = {decode(git(repo, "show", f"{b}:a.bin.ardvc").encode(), b).oid
            for b in ("master", "experiment")}  # fmt: skip
    assert all(lc.cache.odb.exists(o) for o in kept) and len(kept) == 2
    git(repo, "branch", "-q", "-D", "experiment")
    assert len(lc.gc().removed) == 1  # the experiment's object went with its branch


def test_add_refuses_what_cannot_be_an_artifact(lab: Lab, tmp_path: Path) -> None:
    repo = lab.repo("Art").git.path
    lc = lab.cache()
    outside = tmp_path / "elsewhere.bin"
    outside.write_bytes(b"x")
    with pytest.raises(UsageError, match="not inside a data repository"):
        lc.add([outside])
    with pytest.raises(UsageError, match="committed to git"):
        lc.add([repo / "README.md"])
    with pytest.raises(UsageError, match="does not exist"):
        lc.add([repo / "nope"])


def test_missing_cache_object_says_pull(lab: Lab) -> None:
    repo = lab.repo("Art").git.path
    f = repo / "a.bin"
    f.write_bytes(b"content")
    lc = lab.cache()
    lc.add([f])
    ptr = decode((repo / "a.bin.ardvc").read_bytes(), "x")
    lc.cache.odb.path(ptr.oid).unlink()
    (row,) = lc.status()
    assert row.state == st.NOT_IN_CACHE and "ardvc add" in str(row.remedy)
    os.chmod(f, 0o644)
    f.unlink()
    (row,) = lc.status()
    assert row.state == st.NOT_IN_CACHE and "ardvc cache pull" in str(row.remedy)
    with pytest.raises(ObjectMissingError):
        lc.checkout()


def test_cli_add_status_gc_lock(lab: Lab) -> None:
    repo = lab.repo("Art").git.path
    snaps = _snaps(repo, 6)
    runner = CliRunner()
    root = ["--root", str(lab.root)]
    out = runner.invoke(main, [*root, "add", str(snaps), "--json"])
    assert out.exit_code == 0, out.output
    (row,) = json.loads(out.output)
    assert row["kind"] == "dir" and row["nfiles"] == 7 and row["commit"]
    out = runner.invoke(main, [*root, "cache", "status", "--json"])
    assert out.exit_code == 0, out.output
    assert [a["state"] for a in json.loads(out.output)["artifacts"]] == ["ok"]
    out = runner.invoke(main, [*root, "gc", "--dry-run", "--json"])
    assert out.exit_code == 0 and json.loads(out.output)["removed"] == []
    out = runner.invoke(main, [*root, "lock"])
    assert out.exit_code == 0 and "no locks held" in out.output
    out = runner.invoke(main, [*root, "cache", "verify"])
    assert out.exit_code == 0 and "0 corrupt" in out.output
    for cmd in (["add", "--help"], ["cache", "--help"], ["run-cache", "--help"], ["gc", "--help"]):
        assert runner.invoke(main, cmd).exit_code == 0


class _Attaching:
    """A persister that attaches artifacts to each run as acquisition would."""

    def __init__(self, persister: Any, artifacts: dict[str, bytes | Path]) -> None:
        self.persister, self.artifacts = persister, artifacts

    def begin_run(self, metadata: Any) -> Any:
        rec = self.persister.begin_run(metadata)
        for name, content in self.artifacts.items():
            rec.attach_artifact(name, content)
        with pytest.raises(UsageError):
            rec.attach_artifact("../escape", b"x")
        return rec

    def end_run(self, rec: Any) -> Any:
        return self.persister.end_run(rec)


def test_persister_attaches_a_laser_snapshot(tmp_path: Path) -> None:
    from datetime import datetime

    from ardvc.persist.drive import persist_run
    from ardvc.persist.sim_meta import install_irradiation
    from ardvc.persist.sim_schedule import Schedule, Slot
    from ardvc.persist.simulator import Simulator

    Lab.init(tmp_path / "lab")
    lab = Lab.open(tmp_path / "lab")
    install_irradiation(lab.meta, Simulator(seed=0).irradiation, lab.author())
    png = tmp_path / "snapshot.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(4000))
    (sim,) = list(Schedule(Simulator(seed=0), datetime(2024, 4, 15, 8), slots=[Slot("air")]))
    with lab.persister("SimLab", remote="") as persister:
        attaching = _Attaching(persister, {"laser.png": png, "notes.txt": b"beam centred"})
        result = persist_run(attaching, sim)
    repo = lab.repo("SimLab").git
    pointers = sorted(p for p in result.paths if p.endswith(".ardvc"))
    assert len(pointers) == 2 and all("/artifacts/" in p for p in pointers)
    first_commit = git(repo.path, "log", "--format=%s", "--", pointers[0]).splitlines()
    assert first_commit == ["<COLLECTION>"]  # committed with the analysis itself
    lc = lab.cache()
    rows = {r.path.rsplit(".", 1)[1]: r for r in lc.status()}
    assert set(rows) == {"png", "txt"} and rows["png"].state == st.NOT_CHECKED_OUT
    lc.checkout()
    assert (repo.path / pointers[0].removesuffix(".ardvc")).read_bytes() == png.read_bytes()
    assert (repo.path / pointers[1].removesuffix(".ardvc")).read_bytes() == b"beam centred"
    assert "artifacts" not in git(repo.path, "status", "--porcelain")
    assert [r.record_id for r in lab.find(repo=["SimLab"])] == [sim.record_id]


def test_pointer_commits_skip_the_index_sync_yet_leave_it_current(tmp_path: Path) -> None:
    """``ardvc add`` commits only a pointer: nothing the index holds changes, so the SQL
    layer is not even imported, and the index's health still calls the repository
    current; the next analysis commit syncs as always."""
    import sys
    from datetime import datetime

    from ardvc.persist.drive import persist_run
    from ardvc.persist.sim_meta import install_irradiation
    from ardvc.persist.sim_schedule import Schedule, Slot
    from ardvc.persist.simulator import Simulator

    Lab.init(tmp_path / "lab")
    lab = Lab.open(tmp_path / "lab")
    install_irradiation(lab.meta, Simulator(seed=0).irradiation, lab.author())
    first, second = Schedule(Simulator(seed=0), datetime(2024, 4, 15, 8),
                             slots=[Slot("air"), Slot("blank_unknown")])  # fmt: skip
    with lab.persister("SimLab", remote="") as persister:
        persist_run(persister, first)
    repo = lab.repo("SimLab").git
    (state,) = [s for s in lab.catalog.info().repos if s.name == "SimLab"]
    assert state.indexed == state.head and not state.stale
    export = repo.path / "exports" / "run.csv"
    export.parent.mkdir()
    export.write_text("t,intensity\n0,1.5\n")
    probe = (
        "import sys; from ardvc.cli.main import main\n"
        "main(sys.argv[1:], standalone_mode=False)\n"
        "print('sqlalchemy' in sys.modules)"
    )
    command = [sys.executable, "-c", probe, "--root", str(lab.root), "add", str(export.parent)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stdout + out.stderr
    pointer_commit = repo.head_id()
    (state,) = [s for s in Lab.open(lab.root).catalog.info().repos if s.name == "SimLab"]
    assert state.head == pointer_commit and state.indexed != pointer_commit  # not synced...
    assert state.behind == 0 and not state.stale  # ... and nothing is missing from it
    with lab.persister("SimLab", remote="") as persister:
        persist_run(persister, second)
    (state,) = [s for s in Lab.open(lab.root).catalog.info().repos if s.name == "SimLab"]
    assert state.indexed == state.head == repo.head_id()
    found = {r.record_id for r in Lab.open(lab.root).find(repo=["SimLab"])}
    assert found == {first.record_id, second.record_id}
