"""Cache remotes: a local folder, a real S3-compatible server (moto) and a real OpenSSH
server (SFTP), all on loopback; the remote index; run records; failures."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import fsspec
import pytest

from ardvc import Lab
from ardvc.cache import status as st
from ardvc.cache.gc import expand
from ardvc.cache.pointer import decode
from ardvc.cache.remote import CacheRemote
from ardvc.cache.runcache import stage_key
from ardvc.cache.transfer import cloud_status
from ardvc.config import Level
from ardvc.errors import TransferError


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout  # fmt: skip


def _configure(lab: Lab, settings: dict[str, str], secrets: dict[str, str]) -> None:
    for key, value in settings.items():
        lab.config.set(f"cache_remote.lab.{key}", value)
    for key, value in secrets.items():
        lab.config.set(f"cache_remote.lab.{key}", value, Level.LOCAL)
    lab.config.set("cache.remote", "lab")


def _remote_settings(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> tuple[
    dict[str, str], dict[str, str]
]:  # fmt: skip
    if kind == "local":
        return {"url": str(tmp_path / "remote-cache")}, {}
    if kind == "s3":
        server = request.getfixturevalue("s3_server")
        bucket = f"ardvc-{uuid.uuid4().hex[:12]}"
        fs = fsspec.filesystem("s3", key=server.access_key, secret=server.secret_key,
                               endpoint_url=server.endpoint, skip_instance_cache=True)  # fmt: skip
        fs.mkdir(bucket)
        return (
            {"url": f"s3://{bucket}/cache", "endpoint_url": server.endpoint,
             "access_key_id": server.access_key},
            {"secret_access_key": server.secret_key},
        )  # fmt: skip
    server = request.getfixturevalue("sshd_server")
    folder = tmp_path / "ssh-remote"
    folder.mkdir()
    return (
        {"url": server.url(str(folder)), "keyfile": str(server.keyfile),
         "known_hosts": str(server.known_hosts)},
        {},
    )  # fmt: skip


def _two_labs(tmp_path: Path, settings: dict[str, str], secrets: dict[str, str]) -> tuple[Lab, Lab]:
    Lab.init(tmp_path / "a")
    a = Lab.open(tmp_path / "a")
    a.create_repository("Art")
    Lab.init(tmp_path / "b")
    b = Lab.open(tmp_path / "b")
    origin = a.repo("Art").git.path
    subprocess.run(["git", "clone", "-q", str(origin), str(b.workspace.repository_dir("Art"))],
                   check=True)  # fmt: skip
    for lab in (a, b):
        _configure(lab, settings, secrets)
    return a, b


def _artifacts(repo: Path) -> list[Path]:
    folder = repo / "snapshots"
    folder.mkdir()
    for i in range(80):  # more than one existence request each: the remote is listed
        (folder / f"s{i:02d}.png").write_bytes(os.urandom(300 + i))
    big = repo / "video.bin"
    big.write_bytes(os.urandom(5 << 20))
    return [folder, big]


@pytest.mark.parametrize("kind", ["local", "s3", "ssh"])
def test_push_fetch_checkout_round_trip(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings, secrets = _remote_settings(kind, request, tmp_path)
    a, b = _two_labs(tmp_path, settings, secrets)
    repo_a = a.repo("Art").git.path
    paths = _artifacts(repo_a)
    ca = a.cache()
    ca.add(paths)
    key = stage_key("reduce", "test", {"x": "1" * 40}, {"p": 1})
    ca.cache.runs.put(key, {"age": 28.201})
    before = cloud_status(ca.cache, ca.remote(), expand(ca.cache, ca.referenced()))
    assert not before.both and len(before.local_only) == 80 + 2
    pushed = ca.push()
    assert len(pushed.moved) == 82 and pushed.runs == 1 and pushed.ok
    again = ca.push()
    assert again.moved == [] and again.runs == 0 and again.already == 82
    # lab B pulls the repository with git, then the artifacts from the cache remote
    repo_b = b.repo("Art").git.path
    git(repo_b, "pull", "-q")
    cb = b.cache()
    assert {r.state for r in cb.status()} == {st.NOT_IN_CACHE}
    fetched = cb.fetch()
    assert len(fetched.moved) == 82 and fetched.runs == 1
    assert cb.cache.runs.get(key) == {"age": 28.201}
    cb.checkout()
    assert {r.state for r in cb.status()} == {st.OK}
    for p in paths:
        other = repo_b / p.name
        if p.is_dir():
            assert sorted(f.name for f in other.iterdir()) == sorted(f.name for f in p.iterdir())
            assert all((other / f.name).read_bytes() == f.read_bytes() for f in p.iterdir())
        else:
            assert other.read_bytes() == p.read_bytes()
    after = cloud_status(cb.cache, cb.remote(), expand(cb.cache, cb.referenced()))
    assert len(after.both) == 82 and not after.local_only and not after.missing


def test_remote_index_spares_listings_and_notices_a_lost_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = {"url": str(tmp_path / "remote-cache")}, {}
    a, _b = _two_labs(tmp_path, settings, {})
    ca = a.cache()
    ca.add(_artifacts(a.repo("Art").git.path))
    ca.push()
    calls: list[str] = []
    for name in ("exists", "all_objects"):
        original = getattr(CacheRemote, name)

        def counted(self: CacheRemote, *args: Any, _o: Any = original, _n: str = name) -> Any:
            calls.append(_n)
            return _o(self, *args)

        monkeypatch.setattr(CacheRemote, name, counted)
    wanted = expand(ca.cache, ca.referenced())
    status = cloud_status(ca.cache, ca.remote(), wanted)
    assert len(status.both) == 82
    assert calls == ["exists"]  # one request: the indexed manifest is still there
    manifest = next(o for o in wanted if o.endswith(".dir"))
    remote = ca.remote()
    remote.remove(manifest)
    calls.clear()
    status = cloud_status(ca.cache, remote, wanted)
    assert "all_objects" in calls  # the index was dropped and the remote listed
    assert status.local_only == {manifest}
    assert ca.push().moved == [manifest]


def test_push_reports_each_failed_object_and_never_sends_an_incomplete_manifest(
    tmp_path: Path,
) -> None:
    a, _b = _two_labs(tmp_path, {"url": str(tmp_path / "remote-cache")}, {})
    ca = a.cache()
    repo = a.repo("Art").git.path
    folder = repo / "snapshots"
    folder.mkdir()
    for i in range(5):
        (folder / f"s{i}.png").write_bytes(os.urandom(100))
    ca.add([folder])
    entry = next(f for f in folder.iterdir())
    obj = ca.cache.odb.path(ca.cache.state.files([f"repositories/Art/snapshots/{entry.name}"])[
        f"repositories/Art/snapshots/{entry.name}"].hash)  # fmt: skip
    obj.chmod(0o644)
    obj.write_bytes(b"bit rot")
    with pytest.raises(TransferError) as err:
        ca.push()
    failed = err.value.failed
    assert len(failed) == 2  # the corrupt file and, because of it, its manifest
    assert any("corrupt" in reason for reason in failed.values())
    assert any("not sent" in reason for reason in failed.values())
    remote_files = [p for p in (tmp_path / "remote-cache").rglob("*") if p.is_file()]
    assert len(remote_files) == 4 and not any(p.name.endswith(".dir") for p in remote_files)


def test_push_and_fetch_referenced_move_what_commits_name(tmp_path: Path) -> None:
    a, b = _two_labs(tmp_path, {"url": str(tmp_path / "remote-cache")}, {})
    ca = a.cache()
    repo_a = a.repo("Art").git.path
    first, second = repo_a / "one.bin", repo_a / "two.bin"
    first.write_bytes(b"1" * 1000)
    c1 = ca.add([first])[0].commit
    second.write_bytes(b"2" * 1000)
    c2 = ca.add([second])[0].commit
    assert c1 and c2 and c1.commit and c2.commit
    report = ca.push_referenced("Art", [c1.commit])
    assert len(report.moved) == 1  # only what the first commit names
    report = ca.push_referenced("Art", [c2.commit])
    assert len(report.moved) == 1 and report.already == 1
    repo_b = b.repo("Art").git.path
    git(repo_b, "pull", "-q")
    cb = b.cache()
    head = git(repo_b, "rev-parse", "HEAD").strip()
    assert len(cb.fetch_referenced("Art", [head]).moved) == 2
    cb.checkout()
    assert (repo_b / "two.bin").read_bytes() == b"2" * 1000


def test_secret_never_appears_in_errors(tmp_path: Path, s3_server: Any) -> None:
    Lab.init(tmp_path / "lab")
    lab = Lab.open(tmp_path / "lab")
    secret = "s3cr3t-" + uuid.uuid4().hex
    bucket = f"missing-{uuid.uuid4().hex[:12]}"  # never created: every upload fails
    _configure(lab, {"url": f"s3://{bucket}/cache", "endpoint_url": s3_server.endpoint,
                     "access_key_id": "wrong"}, {"secret_access_key": secret})  # fmt: skip
    assert "secret_access_key" not in (tmp_path / "lab" / ".ardvc" / "config").read_text()
    lc = lab.cache()
    with pytest.raises(TransferError) as err:
        lc.push(oids={lc.cache.odb.add_bytes(b"x")})
    assert secret not in str(err.value) and secret not in str(err.value.failed)


def test_pointer_of_a_fetched_folder_matches(tmp_path: Path) -> None:
    a, _ = _two_labs(tmp_path, {"url": str(tmp_path / "remote-cache")}, {})
    ca = a.cache()
    (report,) = ca.add(_artifacts(a.repo("Art").git.path))
    ptr = decode((a.repo("Art").git.path / "snapshots.ardvc").read_bytes(), "x")
    assert ptr == report.staged[0].pointer
