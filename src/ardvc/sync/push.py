"""``ardvc push``: every repository's branches to the remote, the outbox drained.

Per repository the branches pushed are the checked-out one, a local ``data_collection``
and every branch the outbox holds commits of, each at the commit it had when the push
started. A missing remote repository is created where that is possible (see
:mod:`ardvc.sync.provision`) and the push retried once. Outbox entries leave only when the
remote is known to hold their commit; a failure keeps them with the error, and a
non-fast-forward rejection is recorded as such (status: diverged, remedy: pull).
"""

from __future__ import annotations

from collections.abc import Sequence

import pygit2

from ardvc.gitstore import GitRepo
from ardvc.gitstore.merge import contains
from ardvc.gitstore.network import FailureKind, NetworkError, RefUpdate, classify
from ardvc.gitstore.network import push as git_push
from ardvc.index.sync import COLLECTION
from ardvc.persist.outbox import OutboxEntry
from ardvc.persist.push import settle
from ardvc.sync.context import SyncLab, Target
from ardvc.sync.hosting import HostingError
from ardvc.sync.provision import ProvisionError, create_remote_repo
from ardvc.sync.state import OpError, now
from ardvc.sync.steps import PushedRef, RepoJob, StepResult, StepStatus, failed

REMEDIES = {
    FailureKind.UNREACHABLE: "the remote cannot be reached; nothing is lost (commits stay "
                             "queued): ardvc push again when it is back",
    FailureKind.TIMEOUT: "the remote did not answer in time; ardvc push again "
                         "(sync.timeout sets the limit)",
    FailureKind.AUTH: "the remote refused the credentials: store a token with `ardvc "
                      "remote token {remote}`, or check the SSH key (remote.{remote}.ssh_command)",
    FailureKind.MISSING_REPO: "the repository does not exist on the remote: create it there, "
                              "or configure a remote ardvc can create it on",
    FailureKind.REJECTED: "the remote has commits this repository does not have (diverged): "
                          "ardvc pull, then ardvc push",
    FailureKind.REMOTE_LOCKED: "a ref on the remote is locked (a push killed on the server "
                               "leaves <ref>.lock): if no push is running, remove it there",
    FailureKind.OTHER: "read the error; ardvc push retries what failed",
}  # fmt: skip


def remedy_for(kind: str | None, remote: str = "origin") -> str:
    try:
        text = REMEDIES[FailureKind(kind or "other")]
    except ValueError:
        text = REMEDIES[FailureKind.OTHER]
    return text.replace("{remote}", remote)


def branches_to_push(git: GitRepo, entries: Sequence[OutboxEntry]) -> dict[str, str]:
    """``branch → tip``: the checked-out branch, a local ``data_collection`` and every
    branch with queued commits (branches that exist)."""
    wanted = [git.current_branch(), COLLECTION, *(e.branch for e in entries)]
    tips: dict[str, str] = {}
    for branch in wanted:
        if branch and branch not in tips and (head := git.branch_head(branch)) is not None:
            tips[branch] = head
    return tips


def tracking_tip(git: GitRepo, remote: str, branch: str) -> str | None:
    ref = git.raw.references.get(f"refs/remotes/{remote}/{branch}")
    return None if ref is None else str(ref.target)


def new_commits(git: GitRepo, remote: str, tip: str) -> int:
    """Commits of ``tip`` that no branch of ``remote`` known here holds."""
    walker = git.raw.walk(tip, pygit2.enums.SortMode.NONE)
    prefix = f"refs/remotes/{remote}/"
    for name in git.raw.references:
        if name.startswith(prefix) and not name.endswith("/HEAD"):
            walker.hide(git.raw.references[name].target)
    return sum(1 for _ in walker)


class PushStep:
    """Push one repository (see the module docstring)."""

    name = "push"

    def __init__(self, create_missing: bool = True) -> None:
        self.create_missing = create_missing

    def run(self, job: RepoJob) -> StepResult:
        lab, target, remote = job.lab, job.target, job.remote
        url = lab.ensure_git_remote(target, remote)
        if url is None:
            return StepResult(
                self.name, StepStatus.SKIPPED, f"no remote {remote!r}", "no-remote",
                f"ardvc remote add {remote} URL",
            )  # fmt: skip
        git = GitRepo(target.path)
        entries = lab.outbox.entries(target.rel)
        tips = branches_to_push(git, entries)
        if not tips:
            return StepResult(self.name, StepStatus.NOTHING, "no commits to push")
        before = {b: tracking_tip(git, remote, b) for b in tips}
        send = {b: t for b, t in tips.items() if not _has(git, before[b], t)}
        counts = {b: new_commits(git, remote, t) for b, t in send.items()}
        notes: list[str] = []
        try:
            updates = self._push(lab, target, remote, send, git, notes) if send else {}
        except (NetworkError, HostingError, ProvisionError) as exc:
            return self._failed(lab, target, entries, exc, remote)
        refs, cleared, rejected = [], 0, []
        for branch, tip in tips.items():
            mine = [e for e in entries if e.branch == branch]
            update = updates.get(branch)
            if update is not None and not update.ok:
                rejected.append(f"{branch} {update.summary.strip()}")
                lab.outbox.record_failure(mine, f"push of {branch} rejected: {update.summary}")
                continue
            removed, _ = settle(lab.outbox, target.path, mine, tip, branch)
            cleared += removed
            if update is not None:
                refs.append(PushedRef(branch, lab.shown_url(url), before[branch], tip,
                                      counts[branch], removed))  # fmt: skip
        if rejected:
            # non-fast-forward, or refused by the server itself ([remote rejected]: a hook,
            # a checked-out branch), which a pull does not answer
            diverged = all(classify(r) is FailureKind.REJECTED for r in rejected)
            kind = FailureKind.REJECTED if diverged else FailureKind.OTHER
            message = f"rejected by {remote}: {', '.join(rejected)}"
            lab.states.failed(target.rel, "push", OpError(kind=kind, message=message, at=now()))
            return failed(self.name, message, kind, remedy_for(kind, remote), refs=tuple(refs))
        lab.states.succeeded(target.rel, "push")
        lab.states.clear(target.rel, "fetch")  # the remote is there and holds the repository
        if not refs:
            summary = "up to date" + (f"; {cleared} outbox entries cleared" if cleared else "")
            return StepResult(self.name, StepStatus.NOTHING, summary)
        parts = [f"{r.branch} {_short(r.old)}..{r.new[:10]} ({r.commits} commits)" for r in refs]
        summary = "; ".join([*notes, *parts]) + f"; {cleared} outbox entries cleared"
        return StepResult(self.name, StepStatus.OK, summary, refs=tuple(refs))

    def _push(self, lab: SyncLab, target: Target, remote: str, send: dict[str, str],
              git: GitRepo, notes: list[str]) -> dict[str, RefUpdate]:  # fmt: skip
        net = lab.network(remote)
        try:
            return git_push(net, target.path, remote, send)
        except NetworkError as exc:
            spec = lab.spec(remote)
            own_url = spec is not None and spec.repo_url(target.name) == lab.ensure_git_remote(
                target, remote
            )
            if exc.kind is not FailureKind.MISSING_REPO or not self.create_missing or not own_url:
                raise
            assert spec is not None
            branch = git.current_branch() or next(iter(send))
            notes.append(create_remote_repo(spec, target.name, branch, lab.secret(remote),
                                            lab.timeout))  # fmt: skip
            return git_push(net, target.path, remote, send)

    def _failed(self, lab: SyncLab, target: Target, entries: Sequence[OutboxEntry],
                exc: Exception, remote: str) -> StepResult:  # fmt: skip
        kind = getattr(exc, "kind", FailureKind.OTHER)
        message = str(exc)
        lab.outbox.record_failure(entries, message)
        lab.states.failed(target.rel, "push", OpError(kind=str(kind), message=message, at=now()))
        hint = getattr(exc, "hint", None)
        queued = f" ({len(entries)} commits stay in the outbox)" if entries else ""
        return failed(self.name, message + queued, str(kind), hint or remedy_for(str(kind), remote))


def _has(git: GitRepo, remote_tip: str | None, tip: str) -> bool:
    return remote_tip is not None and contains(git, remote_tip, tip)


def _short(commit: str | None) -> str:
    return commit[:10] if commit else "(new)"
