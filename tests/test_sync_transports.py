"""Push, clone-lab and pull over every transport a lab uses — a folder of bare
repositories, ``git daemon``, smart HTTP with basic auth (credential helper), OpenSSH —
and missing remote repositories created on a path, over SSH, and through the GitHub and
GitLab REST APIs (a local server implementing the documented endpoints). Credentials
never reach a command line, a log, the shared config or an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from ardvc import Lab
from ardvc.config import Level
from ardvc.gitstore import commit_files
from ardvc.sync.remotes import RemoteSetup
from ardvc.sync.status import State
from ardvc.sync.steps import StepStatus
from git_servers import HttpGit, LoopbackServer, Sshd, daemon_url
from sync_helpers import (
    HTTP_TOKEN,
    HTTP_USER,
    SLOTS,
    analysis_count,
    bare_repos,
    daemon,
    git,
    heads,
    http,
    index_dump,
    new_lab,
    record,
    srv,
    ssh,
)

__all__ = ["daemon", "http", "srv", "ssh"]  # fixtures


def _exchange(tmp_path: Path, setup: RemoteSetup, listable: bool) -> tuple[Lab, Lab]:
    """A pushes a lab, B clones it, A adds a run, B pulls it."""
    a = new_lab(tmp_path / "A")
    record(a, 0, slots=None)
    a.add_remote(setup)
    pushed = a.push()
    assert pushed.ok, pushed.failures()
    assert [o.target.name for o in pushed.repos] == ["MetaData", "SimLab"]
    assert all(s.state is State.IN_SYNC for s in a.status(fetch=True).repos)
    assert len(a.outbox) == 0
    b, cloned = Lab.clone_lab(tmp_path / "B", setup, None if listable else ["SimLab"])
    assert cloned.ok, cloned.failures()
    for name in ("MetaData", "repositories/SimLab"):
        assert heads(b.root / name)["master"] == heads(a.root / name)["master"]
    assert {r.uuid for r in b.find()} == {r.uuid for r in a.find()}
    (new,) = record(a, 7, slots=SLOTS[:1], day=1)
    assert a.push(repos=["SimLab"]).ok
    pulled = b.pull()
    assert pulled.ok, pulled.failures()
    merge = pulled.repos[1].result("merge")
    assert merge is not None and merge.status is StepStatus.OK and "fast-forward" in merge.summary
    assert new.uuid in {r.uuid for r in b.find()}
    assert index_dump(a) == index_dump(b)
    return a, b


def test_folder_of_bare_repositories_is_created_and_listed(tmp_path: Path) -> None:
    remote = tmp_path / "remote"
    _exchange(tmp_path, RemoteSetup("origin", str(remote)), listable=True)
    assert sorted(p.name for p in remote.iterdir()) == ["MetaData.git", "SimLab.git"]
    assert analysis_count(remote / "SimLab.git") == 4


def test_git_daemon(tmp_path: Path, srv: Path, daemon: LoopbackServer) -> None:
    bare_repos(srv / "lab", "MetaData", "SimLab")
    _exchange(tmp_path, RemoteSetup("origin", daemon_url(daemon) + "/lab"), listable=False)


def test_git_daemon_cannot_create_a_repository_and_says_what_to_do(
    tmp_path: Path, srv: Path, daemon: LoopbackServer
) -> None:
    bare_repos(srv / "lab", "MetaData")
    a = new_lab(tmp_path / "A")
    results = record(a, 0)
    a.add_remote(RemoteSetup("origin", daemon_url(daemon) + "/lab"))
    report = a.push()
    assert not report.ok
    ((repo, failure),) = report.failures()
    assert repo == "SimLab" and "cannot create repositories" in failure.summary
    assert "git init --bare SimLab.git" in failure.remedy
    assert {e.commit for e in a.outbox.entries()} == {r.head for r in results}
    row = {r.name: r for r in a.status().repos}["SimLab"]
    assert row.state is State.PUSH_FAILING and row.outbox == len(results)


def test_smart_http_with_basic_auth_keeps_the_token_secret(
    tmp_path: Path, srv: Path, http: HttpGit, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace = tmp_path / "git-trace.txt"
    monkeypatch.setenv("GIT_TRACE", str(trace))  # every command git runs, with its argv
    bare_repos(srv / "lab", "MetaData", "SimLab")
    setup = RemoteSetup("origin", http.git_url + "/lab", user=HTTP_USER, token=HTTP_TOKEN)
    a, b = _exchange(tmp_path, setup, listable=False)
    assert "ardvc.sync.credential" in trace.read_text()  # git asked ardvc's helper
    # a wrong token: refused, reported without any token, commits kept
    b.config.set("remote.origin.token", "wrong-token-value", Level.LOCAL)
    results = record(b, 3, slots=SLOTS[:1], day=2)
    report = b.push(repos=["SimLab"])
    ((_, failure),) = report.failures()
    assert failure.kind == "auth" and "ardvc remote token origin" in failure.remedy
    assert [e.commit for e in b.outbox.entries()] == [results[0].head]
    status = {r.name: r for r in b.status().repos}["SimLab"]
    assert status.state is State.PUSH_FAILING and status.last_error
    exposed = [trace.read_text(), failure.summary, status.last_error or ""]
    for lab in (a, b):
        exposed += [lab.workspace.log_file.read_text() if lab.workspace.log_file.exists() else "",
                    lab.workspace.config_file.read_text()]  # fmt: skip
        exposed += [p.read_text() for p in (lab.workspace.tmp_dir / "sync").glob("*.json")]
        exposed += [p.read_text() for p in lab.workspace.outbox_dir.glob("*.json")]
    for text in exposed:
        assert HTTP_TOKEN not in text and "wrong-token-value" not in text


def test_openssh_server_creates_and_lists_repositories(tmp_path: Path, ssh: Sshd) -> None:
    remote = tmp_path / "srv-ssh" / "lab"
    setup = RemoteSetup("origin", ssh.url(remote), ssh_command=ssh.ssh_command)
    _exchange(tmp_path, setup, listable=True)
    assert sorted(p.name for p in remote.iterdir()) == ["MetaData.git", "SimLab.git"]


@pytest.mark.parametrize("service", ["github", "gitlab"])
def test_hosted_repositories_are_created_through_the_api(
    tmp_path: Path, srv: Path, http: HttpGit, service: str
) -> None:
    owner = "nmgrl-lab" if service == "github" else "geo/argon"
    api = http.github_api if service == "github" else http.gitlab_api
    kwargs = {service: owner if service == "github" else f"gitlab.example.org/{owner}"}
    setup = RemoteSetup.from_options(
        "origin", f"{http.git_url}/{owner}", api_url=api, user=HTTP_USER, token=HTTP_TOKEN,
        **kwargs,
    )  # fmt: skip
    assert setup.owner == owner
    _exchange(tmp_path, setup, listable=True)  # listing through the API too
    assert sorted(p.name for p in (srv / owner).iterdir()) == ["MetaData.git", "SimLab.git"]
    # without a token: refused by the server, a clear error, nothing created or lost
    c = new_lab(tmp_path / "C", irradiation=False)
    c.create_repository("Other")
    c.add_remote(RemoteSetup.from_options("origin", f"{http.git_url}/{owner}", api_url=api,
                                          user=HTTP_USER, **kwargs))  # fmt: skip
    report = c.push(repos=["Other"])
    ((_, failure),) = report.failures()
    assert failure.kind == "auth" and "ardvc remote token origin" in failure.remedy
    assert not (srv / owner / "Other.git").exists()


def test_a_refusal_by_the_server_is_not_called_divergence(tmp_path: Path) -> None:
    a = new_lab(tmp_path / "A", irradiation=False)
    a.create_repository("SimLab")
    remote = tmp_path / "remote"
    bare_repos(remote.parent, "remote/MetaData")
    # a working copy, not a bare repository: git refuses to move its checked-out branch
    git(
        tmp_path,
        "clone",
        "--quiet",
        str(a.root / "repositories/SimLab"),
        str(remote / "SimLab.git"),
    )
    commit_files(a.repo("SimLab").git, {"notes.txt": b"new\n"}, "a note", a.author())
    a.add_remote(RemoteSetup("origin", str(remote)))
    report = a.push()
    ((repo, failure),) = report.failures()
    assert repo == "SimLab" and "remote rejected" in failure.summary
    assert failure.kind == "other" and "ardvc pull" not in failure.remedy
    row = {r.name: r for r in a.status().repos}["SimLab"]
    assert row.state is State.PUSH_FAILING
