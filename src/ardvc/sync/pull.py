"""``ardvc pull``: fetch every repository, bring its branch up to the remote, merge the
remote ``data_collection`` as Pychron does, then sync the index.

Merges are built in memory (:mod:`ardvc.gitstore.merge`): a conflict changes nothing and
is reported with its files and what to do; nothing is resolved by taking one side or by
deleting data, and a merge that would delete more than ``core.max_deletions`` files is
refused. The ``data_collection`` merge (``Merge remote-tracking branch
'origin/data_collection'``, Pychron's message) fails loudly where Pychron logged at debug
level and went on.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from ardvc.errors import ArdvcError
from ardvc.gitstore import GitRepo
from ardvc.gitstore.merge import Integration, Outcome, integrate
from ardvc.gitstore.network import FailureKind, NetworkError, fetch
from ardvc.index.sync import COLLECTION
from ardvc.sync.context import SyncLab
from ardvc.sync.push import remedy_for
from ardvc.sync.state import OpError, now
from ardvc.sync.steps import RepoJob, RepoOutcome, StepResult, StepStatus, failed


class FetchStep:
    """``git fetch --prune <remote>``: the remote-tracking branches, nothing else."""

    name = "fetch"

    def run(self, job: RepoJob) -> StepResult:
        lab, target, remote = job.lab, job.target, job.remote
        url = lab.ensure_git_remote(target, remote)
        if url is None:
            return StepResult(self.name, StepStatus.SKIPPED, f"no remote {remote!r}",
                              "no-remote", f"ardvc remote add {remote} URL")  # fmt: skip
        try:
            fetch(lab.network(remote), target.path, remote)
        except NetworkError as exc:
            lab.states.failed(
                target.rel, "fetch", OpError(kind=str(exc.kind), message=str(exc), at=now())
            )
            if exc.kind is FailureKind.MISSING_REPO:
                return StepResult(self.name, StepStatus.SKIPPED,
                                  f"not on {remote} yet ({lab.shown_url(url)})",
                                  str(exc.kind), "ardvc push creates it")  # fmt: skip
            return failed(
                self.name, str(exc), str(exc.kind), exc.hint or remedy_for(exc.kind, remote)
            )
        lab.states.succeeded(target.rel, "fetch")
        return StepResult(self.name, StepStatus.OK, f"fetched {lab.shown_url(url)}")


def _merge_message(remote: str, branch: str) -> str:
    return f"Merge remote-tracking branch '{remote}/{branch}'"


class _Integrating:
    """Shared by the merge steps: run :func:`integrate` and report its outcome."""

    name = "merge"
    allow_deletions = False

    def _integrate(
        self, job: RepoJob, branch: str, theirs: str, op: str, no_ff: bool = False
    ) -> StepResult:
        lab, target = job.lab, job.target
        git = GitRepo(target.path)
        if git.raw.references.get(f"refs/remotes/{theirs}") is None:
            return StepResult(self.name, StepStatus.NOTHING, f"{theirs} does not exist")
        result = integrate(
            git, branch, theirs, lab.author(), message=_merge_message(*theirs.split("/", 1)),
            max_deletions=int(lab.config.get("core.max_deletions")),
            force_deletions=self.allow_deletions,
            no_fast_forward=no_ff,
        )  # fmt: skip
        return self._report(lab, target.rel, result, theirs, op, str(target.path))

    def _report(self, lab: SyncLab, rel: str, result: Integration, theirs: str, op: str,
                path: str) -> StepResult:  # fmt: skip
        branch = result.branch
        if result.outcome is Outcome.CONFLICT:
            message = (f"{theirs} and {branch} conflict in {len(result.conflicts)} files; "
                       "nothing was changed")  # fmt: skip
            remedy = (f"merge by hand: git -C {path} merge {theirs}, resolve the files, "
                      "commit, then ardvc push (ardvc never drops a side)")  # fmt: skip
            return self._stopped(lab, rel, op, branch, "conflict", message, remedy,
                                 result.conflicts)  # fmt: skip
        if result.outcome is Outcome.REFUSED:
            message = (f"merging {theirs} would delete {len(result.deleted)} files from "
                       f"{branch} (more than core.max_deletions); nothing was changed")  # fmt: skip
            remedy = (f"look at what {theirs} deletes (git -C {path} diff --stat {branch} "
                      f"{theirs}); ardvc pull --allow-deletions if it is intended")  # fmt: skip
            return self._stopped(lab, rel, op, branch, "deletions", message, remedy,
                                 result.deleted)  # fmt: skip
        lab.states.succeeded(rel, op)
        if op == "merge":  # a push rejected for divergence is answered by this merge
            lab.states.clear(rel, "push", FailureKind.REJECTED)
        if not result.changed:
            return StepResult(self.name, StepStatus.NOTHING, f"{branch} has {theirs}")
        summary = f"{branch} {result.outcome} {str(result.old)[:10]}..{str(result.new)[:10]}"
        worktree = result.worktree
        if worktree is not None and not worktree.ok:
            kept = ", ".join(worktree.kept_local_edits[:5])
            summary += f"; working tree not updated: {worktree.error or 'local edits in ' + kept}"
        return StepResult(self.name, StepStatus.OK, summary, changed=True)

    def _stopped(self, lab: SyncLab, rel: str, op: str, branch: str, kind: str, message: str,
                 remedy: str, files: tuple[str, ...]) -> StepResult:  # fmt: skip
        """A merge that did not happen: recorded for status, reported with its files."""
        error = OpError(kind=kind, message=message, at=now(), branch=branch, files=list(files))
        lab.states.failed(rel, op, error)
        return failed(self.name, message, kind, remedy, files=files)


class MergeStep(_Integrating):
    """Bring the checked-out branch up to ``<remote>/<branch>``."""

    name = "merge"

    def __init__(self, allow_deletions: bool = False) -> None:
        self.allow_deletions = allow_deletions

    def run(self, job: RepoJob) -> StepResult:
        branch = GitRepo(job.target.path).current_branch()
        if branch is None:
            return failed(self.name, "detached HEAD: there is no branch to bring up to date",
                          "detached", "check out a branch (git checkout master)")  # fmt: skip
        return self._integrate(job, branch, f"{job.remote}/{branch}", "merge")


class CollectionStep(_Integrating):
    """Pychron's ``data_collection`` rule: merge ``<remote>/data_collection`` into the
    checked-out branch (unless it is ``data_collection``), and bring a local
    ``data_collection`` up to its remote."""

    name = "data_collection"

    def __init__(self, allow_deletions: bool = False) -> None:
        self.allow_deletions = allow_deletions

    def run(self, job: RepoJob) -> StepResult:
        git = GitRepo(job.target.path)
        current = git.current_branch()
        theirs = f"{job.remote}/{COLLECTION}"
        results = []
        if git.branch_head(COLLECTION) is not None and current != COLLECTION:
            results.append(self._integrate(job, COLLECTION, theirs, "collection-local"))
        if current is not None and current != COLLECTION:
            # Pychron: git merge --no-ff origin/data_collection (a merge commit, always)
            results.append(self._integrate(job, current, theirs, "collection", no_ff=True))
        if not results:
            return StepResult(self.name, StepStatus.NOTHING, "on data_collection already")
        for result in results:
            if result.status is StepStatus.FAILED:
                return result
        changed = [r for r in results if r.changed]
        if not changed:
            return results[-1]
        return StepResult(self.name, StepStatus.OK, "; ".join(r.summary for r in changed),
                          changed=True)  # fmt: skip


class IndexSyncStep:
    """After a pull: the index follows git (every repository, incrementally)."""

    name = "index"

    def run(self, lab: SyncLab, outcomes: Sequence[RepoOutcome]) -> StepResult:
        try:
            reports = lab.catalog().sync()
        except (ArdvcError, SQLAlchemyError) as exc:  # the commits stand: git is the truth
            return failed(self.name, f"the index was not updated: {type(exc).__name__}: {exc}",
                          "index", "the commits are in git; ardvc index sync when the index "
                          "is reachable")  # fmt: skip
        moved = [r for r in reports if r.mode != "unchanged"]
        analyses = sum(r.analyses for r in moved)
        if not moved:
            return StepResult(self.name, StepStatus.NOTHING, "index up to date")
        return StepResult(self.name, StepStatus.OK,
                          f"index: {len(moved)} repository branches synced, "
                          f"{analyses} analyses updated", changed=True)  # fmt: skip


def pull_steps(allow_deletions: bool = False) -> list[FetchStep | MergeStep | CollectionStep]:
    return [FetchStep(), MergeStep(allow_deletions), CollectionStep(allow_deletions)]
