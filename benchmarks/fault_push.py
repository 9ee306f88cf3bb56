"""Fault injection: kill the git server at random moments during ``ardvc push`` and check
that no committed analysis is ever lost.

    python benchmarks/fault_push.py --cycles 1000 [--seed 0] [--workdir DIR]

One lab with a data repository, its remote a folder of bare repositories served at once
by ``git daemon`` and by a smart-HTTP server (``git http-backend`` with basic auth, so the
credential helper is in the path). Each cycle:

1. commits 1–3 analyses (8 files each, ~120 kB of raw data) and queues each commit in the
   outbox, as the acquisition persister does;
2. starts ``ardvc push`` (``push_lab``) over one of the two servers (alternating) and,
   after a random delay — uniform over 0–1.2× the median of the last ten recovery
   pushes over that server, so most kills land inside a push —
   SIGKILLs that server's whole process group (the server and its ``git-receive-pack``);
3. checks that every analysis committed so far is on the remote (read from the bare
   repository on disk) or still covered by an outbox entry — otherwise it is *lost*;
4. recovers as an administrator would: removes ref locks no process holds any more
   (counted), restarts the server, pushes again, and checks the remote equals the local
   branch and the outbox is empty.

The server repository has ``receive.autogc`` off: git's automatic gc after a push detaches
into its own session, so killing the server would leave it running (and holding locks).

At the end both repositories pass ``git fsck``. The figures (kills that hit a push, the
failure kinds seen, lost commits — must be 0) go to ``benchmarks/results/fault_push.json``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pygit2

from ardvc import Lab
from ardvc.gitstore import GitRepo, commit_files
from ardvc.gitstore.merge import contains
from ardvc.sync.remotes import RemoteSetup
from ardvc.sync.steps import SyncReport
from common import analysis_files, write_result
from git_servers import LoopbackServer, daemon_url, git_daemon, http_git

REPO = "Faults"
TOKEN = "fault-injection-token"


@dataclass
class FaultReport:
    cycles: int = 0
    commits: int = 0
    kills_during_push: int = 0
    """The push failed: the kill hit it (or came before it connected)."""
    kills_after_push: int = 0
    failure_kinds: Counter[str] = field(default_factory=Counter)
    unclassified: list[str] = field(default_factory=list)
    """Messages of failures classified ``other`` (the first ten distinct)."""
    lost: int = 0
    lost_commits: list[str] = field(default_factory=list)
    recovery_failures: list[str] = field(default_factory=list)
    stale_locks_removed: int = 0
    pushed_but_reported_failed: int = 0
    """The server took the push but died before answering: the entries stayed queued."""
    fsck_ok: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out = dict(vars(self))
        out["failure_kinds"] = dict(self.failure_kinds)
        return out


class Servers:
    """The same bare repositories behind git daemon and smart HTTP (same ports on restart)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.daemon = git_daemon(root)
        self.http = http_git(root, "lab", TOKEN)

    def server(self, name: str) -> LoopbackServer:
        return self.daemon if name == "daemon" else self.http.server

    def urls(self) -> dict[str, str]:
        return {"daemon": daemon_url(self.daemon) + "/lab", "http": self.http.git_url + "/lab"}

    def stop(self) -> None:
        self.daemon.kill()
        self.http.server.kill()


def _bare_head(bare: Path) -> str | None:
    try:
        repo = pygit2.Repository(str(bare))
    except pygit2.GitError:
        return None
    ref = repo.references.get("refs/heads/master")
    return None if ref is None else str(ref.target)


def _remove_stale_locks(bare: Path) -> int:
    """Ref and repository lock files a killed ``git-receive-pack`` left (the server's
    whole process group is dead, and automatic gc is off: no git process runs)."""
    found = [p for p in (*bare.glob("*.lock"), *(bare / "refs").rglob("*.lock")) if p.is_file()]
    for lock in found:
        lock.unlink()
    return len(found)


def _lost(lab: Lab, bare: Path, commits: list[str]) -> list[str]:
    """Commits neither on the remote nor covered by an outbox entry."""
    local = lab.repo(REPO).git
    remote = GitRepo(bare)
    remote_tip = _bare_head(bare)
    queued = [e.commit for e in lab.outbox.entries()]
    return [
        commit
        for commit in commits
        if not (remote_tip is not None and contains(remote, remote_tip, commit))
        and not any(contains(local, q, commit) for q in queued)
    ]


def _setup(workdir: Path) -> tuple[Lab, Servers, Path]:
    Lab.init(workdir / "lab")
    lab = Lab.open(workdir / "lab")
    lab.config.set("user.name", "Fault Injector")
    lab.config.set("user.email", "faults@lab.example")
    lab.create_repository(REPO)
    (workdir / "srv" / "lab").mkdir(parents=True)
    servers = Servers(workdir / "srv")
    urls = servers.urls()
    # one lab remote per transport, both onto the same bare repositories
    lab.add_remote(RemoteSetup("daemon", urls["daemon"]))
    lab.add_remote(RemoteSetup("http", urls["http"], user="lab", token=TOKEN))
    bare = workdir / "srv" / "lab" / f"{REPO}.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=master", str(bare)],
                   check=True)  # fmt: skip
    # receive-pack's automatic gc detaches into its own session, out of reach of the kill:
    # off, so that after a kill no git process is left on the server
    subprocess.run(["git", "-C", str(bare), "config", "receive.autogc", "false"], check=True)
    return lab, servers, bare


def _commit_analyses(lab: Lab, rng: np.random.Generator, count: int) -> list[str]:
    repo = lab.repo(REPO)
    made = []
    for _ in range(count):
        result = commit_files(repo.git, analysis_files(rng), "<COLLECTION>", lab.author())
        assert result.commit is not None
        lab.outbox.add(f"repositories/{REPO}", result.branch, result.commit, "fault cycle")
        made.append(result.commit)
    return made


def _push_into(lab: Lab, remote: str, out: list[SyncReport]) -> None:
    out.append(lab.push(remote, [REPO]))


def _timed_push(lab: Lab, remote: str) -> tuple[SyncReport, float]:
    start = time.perf_counter()
    report = lab.push(remote, [REPO])
    return report, time.perf_counter() - start


def run_faults(
    cycles: int, seed: int, workdir: Path, progress: Callable[[FaultReport], None] | None = None
) -> FaultReport:
    """Run ``cycles`` kill-and-recover cycles in ``workdir`` (see the module docstring)."""
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    lab, servers, bare = _setup(workdir)
    report = FaultReport()
    commits: list[str] = []
    try:
        typical: dict[str, float] = {}
        recent: dict[str, list[float]] = {"daemon": [], "http": []}
        for name in ("daemon", "http"):  # warm up: the time a push takes undisturbed
            commits += _commit_analyses(lab, rng, 2)
            push, seconds = _timed_push(lab, name)
            assert push.ok, push.as_dict()
            typical[name] = seconds
        for cycle in range(cycles):
            transport = ("daemon", "http")[cycle % 2]
            commits += _commit_analyses(lab, rng, int(rng.integers(1, 4)))
            outcome: list[SyncReport] = []
            pusher = threading.Thread(target=_push_into, args=(lab, transport, outcome))
            pusher.start()
            time.sleep(pick.uniform(0.0, 1.2 * typical[transport]))
            servers.server(transport).kill()
            pusher.join()
            (push,) = outcome
            if push.ok:
                report.kills_after_push += 1
            else:
                report.kills_during_push += 1
                for _, step in push.failures():
                    report.failure_kinds[step.kind or "?"] += 1
                    seen = step.summary not in report.unclassified
                    if step.kind == "other" and seen and len(report.unclassified) < 10:
                        report.unclassified.append(step.summary)
                if _bare_head(bare) == lab.repo(REPO).git.branch_head("master"):
                    report.pushed_but_reported_failed += 1
            lost = _lost(lab, bare, commits)
            report.lost += len(lost)
            report.lost_commits += lost
            report.stale_locks_removed += _remove_stale_locks(bare)
            servers.server(transport).start()
            again, seconds = _timed_push(lab, transport)
            recent[transport] = [*recent[transport][-9:], seconds]
            typical[transport] = statistics.median(recent[transport])
            local_head = lab.repo(REPO).git.branch_head("master")
            if not again.ok or _bare_head(bare) != local_head or len(lab.outbox):
                report.recovery_failures.append(f"cycle {cycle}: {again.failures()}")
            report.cycles += 1
            if progress is not None and report.cycles % 50 == 0:
                progress(report)
        report.commits = len(commits)
        report.lost += len(_lost(lab, bare, commits))
        fsck = [subprocess.run(["git", "-C", str(path), "fsck", "--no-progress"],
                               capture_output=True, check=False).returncode
                for path in (bare, lab.repo(REPO).git.path)]  # fmt: skip
        report.fsck_ok = fsck == [0, 0]
    finally:
        servers.stop()
    report.seconds = time.perf_counter() - started
    return report


def _progress(report: FaultReport) -> None:
    print(f"  {report.cycles} cycles: {report.kills_during_push} kills hit a push, "
          f"lost {report.lost}", file=sys.stderr, flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, help="default: a temporary folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ardvc-faults-") as tmp:
        workdir = args.workdir or Path(tmp)
        report = run_faults(args.cycles, args.seed, workdir, progress=_progress)
    payload = report.as_dict()
    payload["seconds_per_cycle"] = report.seconds / max(report.cycles, 1)
    path = write_result("fault_push", payload)
    print(f"{report.cycles} cycles, {report.commits} commits, "
          f"{report.kills_during_push} kills hit a push ({dict(report.failure_kinds)}), "
          f"{report.kills_after_push} came after it; pushed but reported failed: "
          f"{report.pushed_but_reported_failed}; stale remote locks removed: "
          f"{report.stale_locks_removed}; recovery failures: {len(report.recovery_failures)}; "
          f"fsck {'clean' if report.fsck_ok else 'FAILED'}; LOST: {report.lost} "
          f"({report.seconds:.0f} s) → {path}")  # fmt: skip
    return 0 if report.lost == 0 and report.fsck_ok and not report.recovery_failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
