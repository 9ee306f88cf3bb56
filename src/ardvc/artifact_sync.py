"""Artifacts travel with ``ardvc push`` and ``ardvc pull``.

dvc users push twice (``git push``, then ``dvc push``) and learn from a colleague's failed
checkout that they forgot the second. Here the cache transfer is a step of the same sync
plan: after a repository's git push, the cache objects its branch heads reference go to
the cache remote; after a pull, the objects the new heads reference come into the cache
and the artifacts are checked out (work not in the cache is never overwritten). A
repository with artifacts but no cache remote configured is reported as skipped, with
the remedy — never as done.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ardvc.errors import ArdvcError, TransferError
from ardvc.gitstore import GitRepo
from ardvc.labcache import LabCache
from ardvc.persist import artifacts
from ardvc.sync.steps import RepoJob, StepResult, StepStatus, failed

if TYPE_CHECKING:
    from ardvc.api import Lab
    from ardvc.cache.transfer import TransferReport

NO_REMOTE_REMEDY = (
    "ardvc config cache_remote.NAME.url URL && ardvc config cache.remote NAME, "
    "then ardvc cache push"
)


class _CacheStep:
    """Shared by both directions: one cache transfer at a time in this process (the
    cache's own locks guard against other processes)."""

    name = "cache"
    _lock = threading.Lock()

    def __init__(self, lab: Lab, remote: str | None = None) -> None:
        self.lab = lab
        self.remote = remote

    def _heads(self, git: GitRepo) -> list[str]:
        raise NotImplementedError

    def _wanted(self, job: RepoJob) -> set[str]:
        git = GitRepo(job.target.path)
        return artifacts.referenced(git, self._heads(git))

    def _remote_name(self) -> str:
        return self.remote or str(self.lab.config.get("cache.remote") or "")

    def run(self, job: RepoJob) -> StepResult:
        wanted = self._wanted(job)
        if not wanted:
            return StepResult(self.name, StepStatus.NOTHING, "no artifacts")
        if not self._remote_name():
            return StepResult(
                self.name, StepStatus.SKIPPED,
                f"{len(wanted)} artifact objects not moved: no cache remote configured",
                "no-cache-remote", NO_REMOTE_REMEDY,
            )  # fmt: skip
        with self._lock:
            lab_cache = self.lab.cache()
            try:
                report = self._transfer(lab_cache, job, wanted)
            except TransferError as exc:
                return failed(
                    self.name, f"{len(exc.failed)} cache objects failed: {exc}", "cache",
                    exc.hint or "ardvc cache status -c; retry ardvc push / ardvc pull",
                    files=tuple(sorted(exc.failed)[:20]),
                )  # fmt: skip
            except ArdvcError as exc:
                return failed(self.name, str(exc), "cache", exc.hint or "ardvc doctor")
            finally:
                lab_cache.close()
        moved = len(report.moved)
        status = StepStatus.OK if moved else StepStatus.NOTHING
        verb = "sent to" if report.direction == "push" else "fetched from"
        return StepResult(
            self.name, status,
            f"{moved} cache objects {verb} {report.remote} ({report.already} already there)",
        )  # fmt: skip

    def _transfer(self, lab_cache: LabCache, job: RepoJob, wanted: set[str]) -> TransferReport:
        raise NotImplementedError


class CachePushStep(_CacheStep):
    """After a repository's git push: the objects its local branch heads reference."""

    name = "cache-push"

    def _heads(self, git: GitRepo) -> list[str]:
        return sorted({h for b in git.branches() if (h := git.head_id(b)) is not None})

    def _transfer(self, lab_cache: LabCache, job: RepoJob, wanted: set[str]) -> TransferReport:
        return lab_cache.push(self._remote_name(), oids=wanted)


class CacheFetchStep(_CacheStep):
    """After a repository's pull: the objects every branch head (local and fetched)
    references, then a checkout of the checked-out branch's artifacts."""

    name = "cache-fetch"

    def _heads(self, git: GitRepo) -> list[str]:
        return artifacts.branch_heads(git)

    def _transfer(self, lab_cache: LabCache, job: RepoJob, wanted: set[str]) -> TransferReport:
        report = lab_cache.fetch(self._remote_name(), oids=wanted)
        artifacts.checkout_all(lab_cache.cache, GitRepo(job.target.path))
        return report
