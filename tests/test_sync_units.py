"""The pieces of sync on their own: remote URLs, the credential helper (through real
``git credential fill``), failure classification of real git messages, and in-memory
merges (fast-forward, merge, conflict, deletion guard) on small repositories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ardvc import Lab
from ardvc.config import Config, Level
from ardvc.errors import SecretInSharedConfigError, UsageError
from ardvc.gitstore import Author, GitRepo, commit_files
from ardvc.gitstore.merge import Outcome, integrate
from ardvc.gitstore.network import FailureKind, classify, mask_urls
from ardvc.sync.credential import answer
from ardvc.sync.remotes import Host, RemoteSetup, Transport, helper_command, transport_of
from sync_helpers import git

AUTHOR = Author("Test Analyst", "analyst@lab.example")


@pytest.mark.parametrize(
    ("url", "transport"),
    [("/srv/git/lab", Transport.LOCAL), ("file:///srv/git", Transport.LOCAL),
     ("ssh://git@host:2222/srv/lab", Transport.SSH), ("git@github.com:NMGRLData", Transport.SSH),
     ("git://127.0.0.1:9418/lab", Transport.GIT), ("https://github.com/NMGRLData", Transport.HTTP),
     ("relative/folder", Transport.LOCAL)],
)  # fmt: skip
def test_transports(url: str, transport: Transport) -> None:
    assert transport_of(url) is transport


def test_per_repository_urls_and_hosted_conveniences() -> None:
    setup = RemoteSetup.from_options("origin", None, github="NMGRLData")
    assert (setup.url, setup.owner, setup.api_url) == (
        "https://github.com/NMGRLData",
        "NMGRLData",
        "https://api.github.com",
    )
    gitlab = RemoteSetup.from_options("lab", None, gitlab="gitlab.example.org/geo/argon")
    assert (gitlab.url, gitlab.owner, gitlab.api_url) == (
        "https://gitlab.example.org/geo/argon",
        "geo/argon",
        "https://gitlab.example.org/api/v4",
    )
    ssh = RemoteSetup.from_options("origin", "git@github.com:NMGRLData", github="NMGRLData")
    assert ssh.url == "git@github.com:NMGRLData" and ssh.host is Host.GITHUB  # fmt: skip
    with pytest.raises(UsageError):
        RemoteSetup.from_options("origin", None)
    with pytest.raises(UsageError):
        RemoteSetup.from_options("origin", None, gitlab="gitlab.com")


def test_remote_config_keeps_secrets_local(tmp_path: Path) -> None:
    Lab.init(tmp_path / "lab")
    lab = Lab.open(tmp_path / "lab")
    spec = RemoteSetup("origin", "http://example.org/git/lab", token="s3cret").write(lab.config)
    assert spec.repo_url("Cornudas") == "http://example.org/git/lab/Cornudas.git"
    assert "s3cret" not in (lab.workspace.config_file).read_text()
    assert "s3cret" in lab.workspace.config_local_file.read_text()
    assert lab.workspace.config_local_file.stat().st_mode & 0o777 == 0o600
    with pytest.raises(SecretInSharedConfigError):
        lab.config.set("remote.origin.token", "x", Level.LAB)
    with pytest.raises(UsageError, match="password"):
        RemoteSetup("x", "https://u:pw@example.org/lab").write(lab.config)
    # a remote added first becomes the default when persist.remote names none
    RemoteSetup("lab2", "/srv/elsewhere").write(lab.config)
    assert lab.config.get("persist.remote") == "origin"
    fresh = Lab.open(tmp_path / "lab")
    assert fresh.config.get("remote.origin.token") == "s3cret"


def test_credential_answers_only_the_matching_remote(tmp_path: Path) -> None:
    Lab.init(tmp_path / "lab")
    config = Config(tmp_path / "lab" / ".ardvc")
    RemoteSetup("origin", "http://127.0.0.1:8080/git/lab", user="alice", token="tok").write(config)
    RemoteSetup("public", "http://127.0.0.1:8080/git/pub").write(config)  # no secret
    hit = {"protocol": "http", "host": "127.0.0.1:8080", "path": "git/lab/SimLab.git"}
    assert answer(config, hit) == {"username": "alice", "password": "tok"}
    assert answer(config, {**hit, "path": "git/pub/SimLab.git"}) is None
    assert answer(config, {**hit, "host": "127.0.0.1:9090"}) is None
    assert answer(config, {**hit, "protocol": "https"}) is None
    # the real protocol: git asks the helper and gets the token through the pipe only
    command = helper_command(tmp_path / "lab")
    assert "tok" not in command
    done = subprocess.run(
        ["git", "-c", "credential.helper=", "-c", f"credential.helper={command}", "-c",
         "credential.useHttpPath=true", "credential", "fill"],
        input="protocol=http\nhost=127.0.0.1:8080\npath=git/lab/Foo.git\n\n",
        capture_output=True, text=True, check=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
    )  # fmt: skip
    assert "username=alice" in done.stdout and "password=tok" in done.stdout


@pytest.mark.parametrize(
    ("message", "kind"),
    [(" ! [rejected]        master -> master (fetch first)", FailureKind.REJECTED),
     ("fatal: '/srv/x.git' does not appear to be a git repository", FailureKind.MISSING_REPO),
     ("fatal: remote error: access denied or repository not exported: /x.git",
      FailureKind.MISSING_REPO),
     ("fatal: Authentication failed for 'http://127.0.0.1/git/x.git/'", FailureKind.AUTH),
     ("root@127.0.0.1: Permission denied (publickey).", FailureKind.AUTH),
     ("fatal: unable to connect to 127.0.0.1:\n127.0.0.1[0: 127.0.0.1]: errno=Connection "
      "refused", FailureKind.UNREACHABLE),
     ("error: RPC failed; curl 52 Empty reply from server", FailureKind.UNREACHABLE),
     ("remote: error: Unable to create '/srv/x.git/refs/heads/master.lock': File exists.",
      FailureKind.REMOTE_LOCKED),
     ("fatal: Could not read from remote repository.", FailureKind.UNREACHABLE),
     ("git was killed by signal SIGPIPE (the connection broke)", FailureKind.UNREACHABLE),
     ("something new", FailureKind.OTHER)],
)  # fmt: skip
def test_failure_kinds(message: str, kind: FailureKind) -> None:
    assert classify(message) is kind


def test_urls_with_passwords_are_masked() -> None:
    text = "fatal: unable to access 'https://bob:hunter2@host/x.git/': 403"
    assert "hunter2" not in mask_urls(text) and "bob:***@" in mask_urls(text)


def _pair(tmp_path: Path) -> tuple[GitRepo, Path]:
    """A repository and a clone of it (origin/master known to the clone)."""
    origin = GitRepo.init(tmp_path / "origin")
    commit_files(origin, {f"f{i}.txt": b"base %d\n" % i for i in range(15)}, "base", AUTHOR)
    git(tmp_path, "clone", "--quiet", str(origin.path), "clone")
    return origin, tmp_path / "clone"


def test_integrate_fast_forward_merge_and_conflict(tmp_path: Path) -> None:
    origin, path = _pair(tmp_path)
    local = GitRepo(path)
    # fast-forward: the working tree follows, nothing else is touched
    commit_files(origin, {"new.txt": b"from origin\n"}, "origin adds", AUTHOR)
    git(path, "fetch", "--quiet")
    result = integrate(local, "master", "origin/master", AUTHOR, message="m")
    assert result.outcome is Outcome.FAST_FORWARD and result.new == origin.head_id()
    assert (path / "new.txt").read_bytes() == b"from origin\n"
    assert git(path, "status", "--porcelain") == ""
    # diverged, different files: a merge commit with both parents
    commit_files(origin, {"a.txt": b"origin\n"}, "origin a", AUTHOR)
    commit_files(local, {"b.txt": b"local\n"}, "local b", AUTHOR)
    git(path, "fetch", "--quiet")
    merged = integrate(local, "master", "origin/master", AUTHOR,
                       message="Merge remote-tracking branch 'origin/master'")  # fmt: skip
    assert merged.outcome is Outcome.MERGED
    parents = git(path, "log", "-1", "--format=%P").split()
    assert parents == [str(merged.old), str(origin.head_id())]
    assert (path / "a.txt").exists() and (path / "b.txt").exists()
    assert git(path, "status", "--porcelain") == ""
    # the same file changed on both sides: reported, nothing changed
    commit_files(origin, {"f1.txt": b"origin edit\n"}, "origin f1", AUTHOR)
    commit_files(local, {"f1.txt": b"local edit\n"}, "local f1", AUTHOR)
    git(path, "fetch", "--quiet")
    before = local.head_id()
    conflict = integrate(local, "master", "origin/master", AUTHOR, message="m")
    assert conflict.outcome is Outcome.CONFLICT and conflict.conflicts == ("f1.txt",)
    assert local.head_id() == before and (path / "f1.txt").read_bytes() == b"local edit\n"
    assert git(path, "status", "--porcelain") == ""
    assert not (path / ".git" / "MERGE_HEAD").exists()


def test_integrate_refuses_mass_deletions(tmp_path: Path) -> None:
    origin, path = _pair(tmp_path)
    local = GitRepo(path)
    commit_files(origin, {f"f{i}.txt": None for i in range(12)}, "wipe", AUTHOR,
                 force_deletions=True)  # fmt: skip
    git(path, "fetch", "--quiet")
    before = local.head_id()
    refused = integrate(local, "master", "origin/master", AUTHOR, message="m", max_deletions=10)
    assert refused.outcome is Outcome.REFUSED and len(refused.deleted) == 12
    assert local.head_id() == before and (path / "f3.txt").exists()
    allowed = integrate(local, "master", "origin/master", AUTHOR, message="m",
                        max_deletions=10, force_deletions=True)  # fmt: skip
    assert allowed.outcome is Outcome.FAST_FORWARD and not (path / "f3.txt").exists()
