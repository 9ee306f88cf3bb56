"""The lab-wide operations: push, pull and share (push with retries, pulling first where
the remote moved on).

Each returns a :class:`~ardvc.sync.steps.SyncReport`; nothing here prints. While the lab
is offline (``ardvc offline prepare``) they refuse: ``ardvc offline finish`` is the way
back, so a half-connected workstation never half-syncs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ardvc.gitstore.network import TRANSIENT, FailureKind
from ardvc.sync.context import SyncLab
from ardvc.sync.offline_state import LabOfflineError, OfflineState
from ardvc.sync.pull import IndexSyncStep, pull_steps
from ardvc.sync.push import PushStep
from ardvc.sync.steps import LabStep, Progress, RepoOutcome, RepoStep, SyncReport, run_plan


def _refuse_offline(lab: SyncLab, what: str) -> None:
    state = OfflineState.load(lab.workspace)
    if state.active:
        raise LabOfflineError(
            f"this lab is offline since {state.since} ({what} would need the remote)",
            hint="ardvc offline finish (pulls, pushes and re-syncs the index)",
        )


def push_lab(
    lab: SyncLab,
    remote: str | None = None,
    names: Sequence[str] = (),
    *,
    progress: Progress | None = None,
    create_missing: bool = True,
    offline_ok: bool = False,
) -> SyncReport:
    """Push every repository (or those named) to ``remote`` (default ``persist.remote``)."""
    if not offline_ok:
        _refuse_offline(lab, "push")
    name = lab.remote_name(remote)
    steps: list[RepoStep] = [PushStep(create_missing), *lab.push_steps]
    return run_plan(lab, "push", lab.targets(names), name, steps, progress=progress)


def pull_lab(
    lab: SyncLab,
    remote: str | None = None,
    names: Sequence[str] = (),
    *,
    progress: Progress | None = None,
    allow_deletions: bool = False,
    sync_index: bool = True,
    offline_ok: bool = False,
) -> SyncReport:
    """Fetch and integrate every repository, then bring the index up to git."""
    if not offline_ok:
        _refuse_offline(lab, "pull")
    name = lab.remote_name(remote)
    steps: list[RepoStep] = [*pull_steps(allow_deletions), *lab.pull_steps]
    lab_steps: list[LabStep] = [IndexSyncStep()] if sync_index else []
    return run_plan(lab, "pull", lab.targets(names), name, steps, lab_steps, progress=progress)


@dataclass
class ShareReport:
    """``ardvc share``: the final state of every repository's push, and the rounds."""

    push: SyncReport
    rounds: list[dict[str, str]] = field(default_factory=list)
    """Per round: repository → what happened (``pushed``, ``pulled``, the error kind)."""
    pulls: list[SyncReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.push.ok and all(p.ok for p in self.pulls)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "push": self.push.as_dict(), "rounds": self.rounds,
                "pulls": [p.as_dict() for p in self.pulls]}  # fmt: skip


def _failure_kind(outcome: RepoOutcome) -> str | None:
    bad = next((r for r in outcome.results if r.status == "failed"), None)
    return None if bad is None else bad.kind


def share(
    lab: SyncLab,
    remote: str | None = None,
    names: Sequence[str] = (),
    *,
    attempts: int = 4,
    backoff_s: float = 2.0,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
    offline_ok: bool = False,
) -> ShareReport:
    """Push everything pending. A repository whose push was rejected (the remote moved
    on) is pulled — merged — and pushed again; one whose remote could not be reached is
    retried after ``backoff_s``, doubling, up to ``attempts`` rounds. Nothing is lost on
    the way: what is not pushed stays in the outbox."""
    report = push_lab(lab, remote, names, progress=progress, offline_ok=offline_ok)
    result = ShareReport(report)
    outcomes = {o.target.name: o for o in report.repos}
    delay = backoff_s
    kinds = {n: _failure_kind(o) for n, o in outcomes.items()}
    result.rounds.append({n: k or "ok" for n, k in kinds.items()})
    for _ in range(1, max(attempts, 1)):
        rejected = [n for n, k in kinds.items() if k == FailureKind.REJECTED]
        transient = [n for n, k in kinds.items() if k in {str(t) for t in TRANSIENT}]
        if not rejected and not transient:
            break
        if rejected:
            pulled = pull_lab(lab, remote, rejected, progress=progress, offline_ok=offline_ok)
            result.pulls.append(pulled)
            rejected = [o.target.name for o in pulled.repos if o.ok]
        if transient:
            sleep(delay)
            delay *= 2
        again = push_lab(lab, remote, [*rejected, *transient], progress=progress,
                         offline_ok=offline_ok)  # fmt: skip
        outcomes.update({o.target.name: o for o in again.repos})
        kinds = {o.target.name: _failure_kind(o) for o in again.repos}
        result.rounds.append({n: k or "ok" for n, k in kinds.items()})
        kinds = {n: _failure_kind(o) for n, o in outcomes.items()}
    result.push = SyncReport("share", report.remote, list(outcomes.values()), report.lab)
    return result
