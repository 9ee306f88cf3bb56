"""Push, pull and status as plans: per-repository steps run in parallel, then lab steps.

A plan is a list of :class:`RepoStep` run in order for each repository (repositories in
a bounded thread pool, ``sync.jobs``), then a list of :class:`LabStep` run once (the
index sync after a pull). Other features add their own steps (a cache transfer, say)
without touching these modules. Every step returns a :class:`StepResult` — a value the
CLI renders, scripts read as JSON and tests assert on — and a failure stops the later
steps of that repository only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import pygit2

from ardvc.errors import ArdvcError
from ardvc.gitstore.network import mask_urls
from ardvc.sync.context import SyncLab, Target


class StepStatus(StrEnum):
    OK = "ok"
    """Did something."""
    NOTHING = "nothing"
    """Nothing to do."""
    SKIPPED = "skipped"
    """Could not apply (no remote, not on the remote yet); later steps are skipped."""
    FAILED = "failed"


@dataclass(frozen=True)
class PushedRef:
    """One branch that went to a remote."""

    branch: str
    url: str
    old: str | None
    new: str
    commits: int
    """Commits the remote did not have (as far as this repository knew)."""
    outbox_cleared: int


@dataclass(frozen=True)
class StepResult:
    step: str
    status: StepStatus
    summary: str
    kind: str | None = None
    """Failure kind (:class:`ardvc.gitstore.network.FailureKind` or a sync kind)."""
    remedy: str = ""
    files: tuple[str, ...] = ()
    refs: tuple[PushedRef, ...] = ()
    changed: bool = False
    """The repository's branches moved (the index needs a sync)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step, "status": str(self.status), "summary": self.summary,
            "kind": self.kind, "remedy": self.remedy, "files": list(self.files),
            "refs": [vars(r) for r in self.refs], "changed": self.changed,
        }  # fmt: skip


def failed(step: str, message: str, kind: str, remedy: str = "", **extra: Any) -> StepResult:
    return StepResult(step, StepStatus.FAILED, mask_urls(message), kind, remedy, **extra)


@dataclass
class RepoJob:
    lab: SyncLab
    target: Target
    remote: str
    results: list[StepResult] = field(default_factory=list)


@dataclass
class RepoOutcome:
    target: Target
    results: list[StepResult]

    @property
    def ok(self) -> bool:
        return all(r.status is not StepStatus.FAILED for r in self.results)

    @property
    def changed(self) -> bool:
        return any(r.changed for r in self.results)

    def result(self, step: str) -> StepResult | None:
        return next((r for r in self.results if r.step == step), None)

    def as_dict(self) -> dict[str, Any]:
        return {"repository": self.target.name, "kind": self.target.kind, "ok": self.ok,
                "steps": [r.as_dict() for r in self.results]}  # fmt: skip


class RepoStep(Protocol):
    name: str

    def run(self, job: RepoJob) -> StepResult: ...


class LabStep(Protocol):
    name: str

    def run(self, lab: SyncLab, outcomes: Sequence[RepoOutcome]) -> StepResult: ...


@dataclass
class SyncReport:
    """What a plan did, repository by repository, then lab-wide."""

    operation: str
    remote: str
    repos: list[RepoOutcome]
    lab: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.repos) and all(
            r.status is not StepStatus.FAILED for r in self.lab
        )

    def failures(self) -> list[tuple[str, StepResult]]:
        out = [(o.target.name, r) for o in self.repos for r in o.results
               if r.status is StepStatus.FAILED]  # fmt: skip
        return out + [("lab", r) for r in self.lab if r.status is StepStatus.FAILED]

    def as_dict(self) -> dict[str, Any]:
        return {"operation": self.operation, "remote": self.remote, "ok": self.ok,
                "repositories": [o.as_dict() for o in self.repos],
                "lab": [r.as_dict() for r in self.lab]}  # fmt: skip


Progress = Callable[[str, str, int, int], None]
"""Called with (repository, step just finished, repositories done, total)."""

_EXPECTED = (ArdvcError, pygit2.GitError, OSError, KeyError)


class _Done:
    """Repositories finished so far (shared by the worker threads)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def add(self) -> int:
        with self._lock:
            self.count += 1
            return self.count


def _run_repo(job: RepoJob, steps: Sequence[RepoStep], progress: Progress | None,
              done: _Done, total: int) -> RepoOutcome:  # fmt: skip
    for step in steps:
        try:
            result = step.run(job)
        except _EXPECTED as exc:  # reported as this repository's failure, never dropped
            hint = getattr(exc, "hint", None) or ""
            result = failed(step.name, f"{type(exc).__name__}: {exc}", "error", hint)
        job.results.append(result)
        if progress is not None:
            progress(job.target.name, step.name, done.count, total)
        if result.status in (StepStatus.FAILED, StepStatus.SKIPPED):
            break
    finished = done.add()
    if progress is not None:
        progress(job.target.name, "done", finished, total)
    return RepoOutcome(job.target, job.results)


def run_plan(
    lab: SyncLab,
    operation: str,
    targets: Sequence[Target],
    remote: str,
    repo_steps: Sequence[RepoStep],
    lab_steps: Sequence[LabStep] = (),
    *,
    progress: Progress | None = None,
) -> SyncReport:
    """Run ``repo_steps`` for every target (``sync.jobs`` at a time), then ``lab_steps``."""
    done = _Done()
    jobs = [RepoJob(lab, t, remote) for t in targets]
    with ThreadPoolExecutor(max_workers=min(lab.jobs, max(len(jobs), 1))) as pool:
        futures = [pool.submit(_run_repo, j, repo_steps, progress, done, len(jobs)) for j in jobs]
        outcomes = [f.result() for f in futures]
    report = SyncReport(operation, remote, outcomes)
    for step in lab_steps:
        try:
            report.lab.append(step.run(lab, outcomes))
        except _EXPECTED as exc:
            hint = getattr(exc, "hint", None) or ""
            report.lab.append(failed(step.name, f"{type(exc).__name__}: {exc}", "error", hint))
    return report
