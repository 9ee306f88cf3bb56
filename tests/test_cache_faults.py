"""Faults: SIGKILL during add and push, 8 concurrent adds, a bit flip in the cache."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ardvc import Lab
from ardvc.cache import manifest as manifests
from ardvc.cache import status as st
from ardvc.cache.hashing import hash_file, is_oid
from ardvc.cache.pointer import decode
from ardvc.cli.main import main
from ardvc.errors import CorruptObjectError

ARDVC = [str(Path(sys.executable).with_name("ardvc"))]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout  # fmt: skip


def ardvc(lab: Lab, *args: str, **kw: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*ARDVC, "--root", str(lab.root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)  # type: ignore[call-overload]  # fmt: skip


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    Lab.init(tmp_path / "lab")
    lab = Lab.open(tmp_path / "lab")
    lab.create_repository("Art")
    return lab


def _fill(folder: Path, files: int, size: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (folder / f"f{i:03d}.bin").write_bytes(os.urandom(size))


def _kill_when(proc: subprocess.Popen[bytes], ready: callable, limit: float = 30.0) -> bool:  # type: ignore[valid-type]
    """SIGKILL ``proc`` as soon as ``ready()``; False if it finished first."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.002)
    proc.kill()
    raise AssertionError("the process neither finished nor reached the kill point")


def _objects_intact(lab: Lab) -> int:
    """Every visible object hashes to its name; returns how many there are."""
    lc = lab.cache()
    report = lc.verify()
    assert report.ok, report.corrupt
    return report.checked


def test_sigkill_during_add_leaves_no_partial_object(lab: Lab) -> None:
    repo = lab.repo("Art").git.path
    folder = repo / "dumps"
    _fill(folder, 24, 300_000)
    _fill(folder / "large", 3, 6 << 20)  # large files: copied, hashed, renamed one by one
    tmp = lab.workspace.cache_dir / "tmp"
    killed = 0
    for _attempt in range(3):
        proc = ardvc(lab, "add", str(folder))
        if _kill_when(proc, lambda: tmp.is_dir() and any(tmp.iterdir())):
            killed += 1
        _objects_intact(lab)
        head_has_pointer = "dumps.ardvc" in git(repo, "ls-tree", "--name-only", "HEAD")
        if head_has_pointer:  # committed only after every object was in place
            ptr = decode(git(repo, "show", "HEAD:dumps.ardvc").encode(), "x")
            assert lab.cache().cache.odb.exists(ptr.oid)
            break
    assert killed >= 1
    lc = lab.cache()
    (report,) = lc.add([folder])  # a clean run finishes the job
    assert report.staged[0].pointer.nfiles == 27
    assert [r.state for r in lc.status()] == [st.OK]
    removed = lc.gc()
    assert not removed.removed  # nothing referenced was lost
    assert not [p for p in tmp.iterdir()]  # abandoned temps are gone
    assert not lc.cache.rwlock.entries().write  # the killed holders' locks were dropped
    _objects_intact(lab)


def test_sigkill_during_push_leaves_no_partial_object_on_the_remote(
    lab: Lab, tmp_path: Path
) -> None:
    remote = tmp_path / "remote-cache"
    lab.config.set("cache_remote.lab.url", str(remote))
    lab.config.set("cache.remote", "lab")
    repo = lab.repo("Art").git.path
    folder = repo / "dumps"
    _fill(folder, 60, 200_000)
    _fill(folder / "large", 2, 8 << 20)
    lab.cache().add([folder])
    files_dir = remote / "files" / "blake3"
    proc = ardvc(lab, "cache", "push", env={**os.environ, "ARDVC_CACHE_JOBS": "2"})
    assert _kill_when(
        proc, lambda: files_dir.is_dir() and sum(1 for _ in files_dir.rglob("*")) > 20
    )
    visible = {}
    for path in files_dir.rglob("*"):
        oid = path.parent.name + path.name
        if path.is_file() and is_oid(oid):
            visible[oid] = path
    assert visible  # the kill landed mid-push
    for oid, path in visible.items():  # what is visible under an object name is whole
        assert hash_file(path) == oid.removesuffix(".dir")
    for oid, path in visible.items():  # a manifest on the remote implies all its files
        if oid.endswith(".dir"):
            entries = manifests.decode(path.read_bytes(), oid).entries
            assert all(e.hash in visible for e in entries)
    lc = lab.cache()
    lc.push()  # the next push completes the remote
    from ardvc.cache.gc import expand
    from ardvc.cache.transfer import cloud_status

    status = cloud_status(lc.cache, lc.remote(), expand(lc.cache, lc.referenced()), refresh=True)
    assert not status.local_only and not status.missing and len(status.both) == 63


def test_eight_concurrent_adds_all_succeed_and_nothing_is_corrupted(lab: Lab) -> None:
    repo = lab.repo("Art").git.path
    folders = []
    for i in range(7):
        folder = repo / f"run{i}"
        _fill(folder, 30, 2000 + i)
        (folder / "shared.bin").write_bytes(b"the same bytes in every folder" * 100)
        folders.append(folder)
    paths = [*folders, folders[0]]  # the eighth adds the same folder as the first: it waits
    procs = [ardvc(lab, "add", str(p), "--wait") for p in paths]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()
    tree = git(repo, "ls-tree", "--name-only", "HEAD").split()
    assert {f"run{i}.ardvc" for i in range(7)} <= set(tree)
    ignore = git(repo, "show", "HEAD:.gitignore").splitlines()
    assert sorted(ignore) == sorted(f"/run{i}" for i in range(7))
    assert len(git(repo, "log", "--format=%s", "--grep=<ARTIFACT>").splitlines()) == 7
    subprocess.run(["git", "fsck", "--strict"], cwd=repo, check=True, capture_output=True)
    lc = lab.cache()
    assert {r.state for r in lc.status()} == {st.OK}
    assert _objects_intact(lab) == 7 * 30 + 1 + 7  # files, one shared object, manifests
    assert lc.cache.rwlock.entries().read == {} or not any(lc.cache.rwlock.entries().read.values())


def test_bit_flip_found_by_cache_verify_and_repaired(lab: Lab) -> None:
    repo = lab.repo("Art").git.path
    f = repo / "snapshot.png"
    f.write_bytes(os.urandom(20_000))
    lab.config.set("cache.type", "copy")  # the workspace keeps its own copy
    lc = lab.cache()
    lc.add([f])
    ptr = decode((repo / "snapshot.png.ardvc").read_bytes(), "x")
    obj = lc.cache.odb.path(ptr.oid)
    obj.chmod(0o644)
    data = bytearray(obj.read_bytes())
    data[12345] ^= 0x10
    obj.write_bytes(bytes(data))
    runner = CliRunner()
    root = ["--root", str(lab.root)]
    out = runner.invoke(main, [*root, "cache", "verify"])
    assert out.exit_code == 1 and ptr.oid in out.output and "1 corrupt" in out.output
    with pytest.raises(CorruptObjectError):  # and on read
        lc.cache.odb.read_bytes(ptr.oid)
    out = runner.invoke(main, [*root, "cache", "verify", "--repair"])
    assert out.exit_code == 1 and "1 removed" in out.output
    assert not lc.cache.odb.exists(ptr.oid)
    assert runner.invoke(main, [*root, "cache", "verify"]).exit_code == 0
    assert [r.state for r in lc.status()] == [st.NOT_IN_CACHE]
    lc.add([f])  # the intact workspace copy restores the object
    assert lc.cache.odb.read_bytes(ptr.oid) == f.read_bytes()
