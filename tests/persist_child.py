"""An acquisition process for the crash tests: records simulated runs through a lab's
Persister, saying what it does on stdout, until it is killed.

    python tests/persist_child.py LAB_ROOT REPO MODE [KILL_AT]

Every run prints ``ending <run ID>`` just before ``end_run`` and ``committed <run ID>
<uuid>`` when its save has finished; ``done`` after the last. The runs are
:func:`crash_runs` — the parent regenerates the same runs to record them again.

``MODE`` chooses the moment of death (the process SIGKILLs itself, so nothing is flushed,
no ``finally`` runs):

* ``free`` — none; the parent kills the process at a moment of its choosing;
The moments inside a commit are patched in this process, so for them the persister commits
in this process (``persist.commit_process`` false) rather than in its commit process.

* ``before-branch-move`` / ``after-branch-move`` — around the branch move of the
  ``KILL_AT``-th commit series (its objects are written / the branch has moved, the working
  tree not yet updated);
* ``mid-worktree`` — in the working-tree update of the ``KILL_AT``-th commit, after the
  files were written and before the git index is;
* ``index-locked`` — while writing the git index of the ``KILL_AT``-th commit's working-
  tree update, ``index.lock`` half written;
* ``before-marker-removed`` — when the ``KILL_AT``-th committed run's journal marker would be
  removed (the commit is on the branch and in the outbox);
* ``begin-only`` — after ``begin_run`` of the first run (a run interrupted mid-measurement).
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from ardvc import Lab
from ardvc.persist.drive import record_run
from ardvc.persist.metadata import RunMetadata
from ardvc.persist.sim_schedule import Schedule, Slot
from ardvc.persist.simulator import SimulatedRun, Simulator

CRASH_SLOTS = [
    Slot("blank_unknown"), Slot("air"), Slot("monitor", 1), Slot("step", 2, 0),
    Slot("step", 2, 1), Slot("step", 2, 2), Slot("step", 2, 3), Slot("blank_unknown"),
    Slot("step", 2, 4),
]  # fmt: skip
CHILD_RUNS = len(CRASH_SLOTS) - 1
"""The child records all but the last run; the parent records the last after a crash."""


def crash_runs() -> list[SimulatedRun]:
    return list(Schedule(Simulator(seed=7), datetime(2024, 4, 15, 8), slots=CRASH_SLOTS))


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _on_nth_call(owner: Any, name: str, n: int, *, after: bool) -> None:
    """Replace ``owner.name`` with a wrapper that dies before/after its n-th call."""
    original = getattr(owner, name)
    calls = [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == n and not after:
            die()
        out = original(*args, **kwargs)
        if calls[0] == n and after:
            die()
        return out

    setattr(owner, name, wrapper)


def _die_writing_git_index(updater: Any, n: int) -> None:
    """At the n-th git index write, die as libgit2 would mid-write: ``index.lock`` holds
    part of the new index."""
    original = updater.write
    calls = [0]

    def wrapper(self: Any) -> None:
        calls[0] += 1
        if calls[0] == n:
            (self.repo.git_dir / "index.lock").write_bytes(b"DIRC\x00\x00")
            die()
        original(self)

    updater.write = wrapper


def inject(mode: str, kill_at: int) -> None:
    from ardvc.gitstore import commit, worktree
    from ardvc.persist.journal import RunJournal

    if mode == "before-branch-move":
        _on_nth_call(commit, "_move_branch", kill_at, after=False)
    elif mode == "after-branch-move":
        _on_nth_call(commit, "_move_branch", kill_at, after=True)
    elif mode == "mid-worktree":
        _on_nth_call(worktree._Updater, "write", kill_at, after=False)
    elif mode == "index-locked":
        _die_writing_git_index(worktree._Updater, kill_at)
    elif mode == "before-marker-removed":
        _on_nth_call(RunJournal, "finish", kill_at, after=False)
    elif mode not in ("free", "begin-only"):
        raise SystemExit(f"unknown mode {mode}")


def main() -> None:
    root, repo, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    kill_at = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    runs = crash_runs()[:CHILD_RUNS]
    # the moments inside a commit are patched in this process, so its commits are made here;
    # free kills exercise the commit process (killed with this one)
    in_commit = mode in ("before-branch-move", "after-branch-move", "mid-worktree", "index-locked")
    overrides = {"persist.commit_process": "false"} if in_commit else None
    lab = Lab.open(Path(root), overrides=overrides)
    inject(mode, kill_at)
    persister = lab.persister(repo, remote="")
    if mode == "begin-only":
        persister.begin_run(RunMetadata(**runs[0].metadata()))
        say(f"begun {runs[0].record_id}")
        die()
    say("ready")
    futures = []
    for run in runs:
        say(f"ending {run.record_id}")
        future = record_run(persister, run)

        def report(f: Any, rid: str = run.record_id) -> None:
            if f.exception() is None:
                say(f"committed {rid} {f.result().uuid}")

        future.add_done_callback(report)
        futures.append(future)
    for future in futures:
        future.result()
    persister.close()
    say("done")


if __name__ == "__main__":
    main()
