"""Shared by the sync tests: small labs with simulated analyses, real git servers on
loopback (``benchmarks/git_servers.py``), and comparisons of repositories and indexes."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pygit2
import pytest

from ardvc import Lab
from ardvc.persist.drive import persist_run
from ardvc.persist.persister import PersistResult
from ardvc.persist.sim_meta import install_irradiation
from ardvc.persist.sim_schedule import Schedule, Slot
from ardvc.persist.simulator import Simulator
from components import component_missing
from git_servers import HttpGit, LoopbackServer, ServerUnavailable, Sshd, git_daemon, http_git
from git_servers import sshd as start_sshd
from index_dump import dump

START = datetime(2024, 4, 15, 8, 0)
SLOTS = [Slot("blank_unknown"), Slot("air"), Slot("step", 2, 0)]
HTTP_USER, HTTP_TOKEN = "lab", "tok-3f9c1e7a-not-a-real-secret"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def new_lab(path: Path, *, irradiation: bool = True) -> Lab:
    Lab.init(path)
    lab = Lab.open(path)
    if irradiation:
        install_irradiation(lab.meta, Simulator(seed=0).irradiation, lab.author())
    return lab


def record(
    lab: Lab, seed: int, *, slots: list[Slot] | None = None, repo: str = "SimLab",
    branch: str | None = None, day: int = 0,
) -> list[PersistResult]:  # fmt: skip
    """Record simulated runs through the persister (no background push: sync pushes)."""
    start = START + timedelta(days=day)
    runs = Schedule(Simulator(seed=seed), start, slots=slots or SLOTS)
    with lab.persister(repo, remote="", branch=branch) as persister:
        return [persist_run(persister, run) for run in runs]


def bare_repos(root: Path, *names: str) -> None:
    """What a git server's administrator does before a daemon can receive pushes."""
    for name in names:
        git(root, "init", "--quiet", "--bare", "--initial-branch=master", f"{name}.git")


def heads(path: Path) -> dict[str, tuple[str, str]]:
    """Local branch → (commit, tree) of a repository."""
    repo = pygit2.Repository(str(path))
    out = {}
    for name in repo.branches.local:
        commit = repo.branches.local[name].peel(pygit2.Commit)
        out[name] = (str(commit.id), str(commit.tree.id))
    return out


def index_dump(lab: Lab) -> dict[str, Any]:
    return dump(lab.catalog.engine)


def rebuilt_dump(lab: Lab, tmp: Path) -> dict[str, Any]:
    """The index a rebuild from git gives (in a scratch SQLite database)."""
    tmp.mkdir(parents=True, exist_ok=True)
    catalog = lab.sync.catalog_at(f"sqlite:///{tmp / 'rebuilt.sqlite3'}")
    catalog.rebuild()
    return dump(catalog.engine)


def analysis_count(repo: Path, rev: str = "master") -> int:
    """Main analysis files at ``rev`` (read with the git CLI, independent of ardvc)."""
    names = git(repo, "ls-tree", "-r", "--name-only", rev).split()
    return sum(1 for n in names if n.count("/") == 1 and n.endswith(".json")
               and not n.startswith(("spectrometers/", "reduction/")))  # fmt: skip


@pytest.fixture
def srv(tmp_path: Path) -> Path:
    """The folder a git server serves: <srv>/lab/<Repo>.git."""
    root = tmp_path / "srv"
    (root / "lab").mkdir(parents=True)
    return root


@pytest.fixture
def daemon(srv: Path) -> Iterator[LoopbackServer]:
    server = git_daemon(srv)
    yield server
    server.kill()


@pytest.fixture
def http(srv: Path) -> Iterator[HttpGit]:
    server = http_git(srv, HTTP_USER, HTTP_TOKEN)
    yield server
    server.server.kill()


@pytest.fixture
def ssh(tmp_path: Path) -> Iterator[Sshd]:
    try:
        server = start_sshd(tmp_path / "sshd")
    except ServerUnavailable as exc:
        component_missing("OpenSSH's sshd", str(exc))
    yield server
    server.server.kill()
