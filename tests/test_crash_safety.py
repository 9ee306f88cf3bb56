"""A writer killed with SIGKILL in the middle of multi-file commits leaves the repository at
the previous commit or the next one, never in between."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from ardvc.gitstore import Author, GitRepo, commit_files

FILES_PER_COMMIT = 200
AUTHOR = Author("Crash Test", "crash@lab.example")

WRITER = """
import sys
from ardvc.gitstore import Author, GitRepo, commit_files
repo = GitRepo(sys.argv[1])
author = Author("Crash Test", "crash@lab.example")
start = int(sys.argv[2])
print("ready", flush=True)
for i in range(start, start + 100000):
    files = {
        f"{n % 7:02d}/f{n:04d}.json": (f'{{"iteration": {i}}}' + " " * (1000 + n)).encode()
        for n in range(int(sys.argv[3]))
    }
    commit_files(repo, files, f"iteration {i}", author)
"""


def _iterations(repo: GitRepo) -> set[int]:
    seen = set()
    for item in repo.files():
        if item.path.endswith(".json"):
            text = repo.read_blob(item.oid).decode()
            seen.add(int(text.split(":")[1].split("}")[0]))
    return seen


def test_sigkill_mid_commit_leaves_a_whole_commit(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "Repo")
    files = {
        f"{n % 7:02d}/f{n:04d}.json": b'{"iteration": 0}' + b" " * (1000 + n)
        for n in range(FILES_PER_COMMIT)
    }
    commit_files(repo, files, "iteration 0", AUTHOR)
    rng = random.Random(20261123)
    env = dict(os.environ)
    kills = 0
    advanced = 0
    last_iteration = 0
    recoveries = 0
    for round_ in range(6):
        start = 1 + round_ * 100000
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(repo.path), str(start), str(FILES_PER_COMMIT)],
            stdout=subprocess.PIPE,
            env=env,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.2, 2.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        kills += 1
        fresh = GitRepo(repo.path)
        head = fresh.resolve("master")
        # every file of the branch head comes from one single iteration ...
        seen = _iterations(fresh)
        assert len(seen) == 1, f"mixed commit after kill {kills}: {sorted(seen)[:5]}"
        # ... and that iteration is the one the head commit says it is
        iteration = seen.pop()
        if head.message == "probe removed":
            # killed before its first commit completed: still the previous round's state
            assert iteration == last_iteration
        else:
            assert head.message == f"iteration {iteration}" and iteration >= start
        advanced += iteration > start
        last_iteration = iteration
        assert sum(1 for _ in fresh.files()) == FILES_PER_COMMIT
        fsck = subprocess.run(
            ["git", "fsck", "--no-dangling"], cwd=repo.path, capture_output=True, text=True
        )
        assert fsck.returncode == 0, fsck.stdout + fsck.stderr
        # the next writer neither hangs on the killed one's locks nor mistakes its
        # half-updated working tree for local edits: it finishes that update first
        probe = commit_files(fresh, {"probe.txt": str(kills).encode()}, "probe", AUTHOR)
        assert probe.worktree is not None and probe.worktree.ok, probe.worktree
        recoveries += bool(probe.worktree.recovered)
        commit_files(fresh, {"probe.txt": None}, "probe removed", AUTHOR)
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=repo.path, capture_output=True, text=True
        )
        assert status.stdout == "", status.stdout[:500]
    assert kills == 6
    assert advanced >= 3, "the writer must have been killed while committing, not at start-up"
    # most of a commit's time is its working-tree update, so some kills land inside one
    assert recoveries >= 1
