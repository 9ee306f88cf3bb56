"""``ardvc status``: the sync state of the MetaRepo and every data repository.

Computed from git (branches and the remote-tracking branches of the last fetch; no
network unless asked to fetch first), the outbox and the sync records. Each repository
gets one explicit :class:`State` — the most urgent that applies — and the remedy for it.
Other features add sections (``sections=``) without touching this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pygit2

from ardvc.gitstore import GitRepo
from ardvc.gitstore.merge import ahead_behind
from ardvc.gitstore.network import FailureKind, classify
from ardvc.index.sync import COLLECTION
from ardvc.persist.outbox import OutboxEntry
from ardvc.sync.context import SyncLab, Target
from ardvc.sync.pull import FetchStep
from ardvc.sync.push import branches_to_push, remedy_for, tracking_tip
from ardvc.sync.state import SyncRecord
from ardvc.sync.steps import Progress, run_plan


class State(StrEnum):
    IN_SYNC = "in-sync"
    AHEAD = "ahead"
    BEHIND = "behind"
    DIVERGED = "diverged"
    UNPUBLISHED = "unpublished"
    COLLECTION_UNMERGED = "collection-unmerged"
    PUSH_FAILING = "push-failing"
    FETCH_FAILING = "fetch-failing"
    CONFLICT = "conflict"
    NO_REMOTE = "no-remote"
    EMPTY = "empty"
    DETACHED = "detached"


@dataclass(frozen=True)
class BranchStatus:
    branch: str
    head: str
    remote_head: str | None
    ahead: int | None
    behind: int | None


@dataclass(frozen=True)
class RepoStatus:
    """One row of ``ardvc status``."""

    name: str
    kind: str
    path: str
    branch: str | None
    head: str | None
    remote: str
    url: str
    state: State
    remedy: str
    ahead: int | None = None
    behind: int | None = None
    branches: tuple[BranchStatus, ...] = ()
    outbox: int = 0
    collection_unmerged: int | None = None
    """Commits of ``<remote>/data_collection`` not in the checked-out branch."""
    last_fetch: str | None = None
    last_push: str | None = None
    last_error: str | None = None
    files: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["state"] = str(self.state)
        out["branches"] = [vars(b) for b in self.branches]
        out["files"] = list(self.files)
        return out


@dataclass(frozen=True)
class StatusSection:
    """Extra rows another feature contributes (e.g. a cache remote)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass
class LabStatus:
    remote: str
    repos: list[RepoStatus]
    sections: list[StatusSection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def in_sync(self) -> bool:
        return all(r.state is State.IN_SYNC for r in self.repos)

    def as_dict(self) -> dict[str, Any]:
        return {"remote": self.remote, "in_sync": self.in_sync,
                "repositories": [r.as_dict() for r in self.repos],
                "sections": [vars(s) for s in self.sections], "notes": self.notes}  # fmt: skip


def _branch_states(git: GitRepo, remote: str, tips: dict[str, str]) -> list[BranchStatus]:
    out = []
    for branch, tip in tips.items():
        theirs = tracking_tip(git, remote, branch)
        ahead = behind = None
        if theirs is not None:
            ahead, behind = ahead_behind(git, tip, theirs)
        out.append(BranchStatus(branch, tip, theirs, ahead, behind))
    return out


def _collection_unmerged(git: GitRepo, remote: str, branch: str | None, head: str) -> int | None:
    theirs = tracking_tip(git, remote, COLLECTION)
    if branch == COLLECTION or theirs is None:
        return None
    return ahead_behind(git, theirs, head)[0]


def _judge(row: dict[str, Any], record: SyncRecord, entries: list[OutboxEntry]) -> None:
    """Fill ``state``, ``remedy``, ``last_error`` and ``files`` (most urgent first)."""
    branches: list[BranchStatus] = row["branches"]
    errors = record.errors
    merge_error = errors.get("merge") or errors.get("collection") or errors.get("collection-local")
    push_error = errors.get("push")
    fetch_error = errors.get("fetch")
    # a rejection is answered by a pull (merge); diverged branches are caught below anyway
    failing = [e for e in entries
               if e.last_error and classify(e.last_error) is not FailureKind.REJECTED]  # fmt: skip
    n = len(entries)
    queued = f" ({n} commits wait in the outbox)" if n else ""

    def put(state: State, remedy: str, error: str | None = None) -> None:
        row.update(state=state, remedy=remedy, last_error=error)

    if merge_error is not None:
        put(State.CONFLICT, "the last pull stopped: resolve by hand (see the files), commit, "
            "then ardvc push; ardvc changed nothing", merge_error.message)  # fmt: skip
        row["files"] = tuple(merge_error.files)
    elif row["url"] == "-":
        put(State.NO_REMOTE, f"ardvc remote add {row['remote']} URL")
    elif (push_error is not None and push_error.kind == "rejected") or any(
        (b.ahead or 0) > 0 and (b.behind or 0) > 0 for b in branches
    ):
        error = push_error.message if push_error is not None else None
        put(State.DIVERGED, "ardvc pull (merges the remote's commits), then ardvc push", error)
    elif push_error is not None or failing:
        kind = push_error.kind if push_error is not None else None
        message = push_error.message if push_error is not None else failing[-1].last_error
        put(State.PUSH_FAILING, remedy_for(kind, row["remote"]) + queued, message)
    elif fetch_error is not None and fetch_error.kind == "missing-repo":
        put(State.UNPUBLISHED, "ardvc push (creates the repository on the remote)" + queued)
    elif fetch_error is not None:
        remedy = remedy_for(fetch_error.kind, row["remote"])
        put(State.FETCH_FAILING, f"{remedy}; the counts are as of the last successful fetch",
            fetch_error.message)  # fmt: skip
    elif any(b.remote_head is None for b in branches):
        put(State.UNPUBLISHED, "ardvc push" + queued)
    elif any((b.ahead or 0) > 0 for b in branches) or n:
        put(State.AHEAD, "ardvc push" + queued)
    elif any((b.behind or 0) > 0 for b in branches):
        put(State.BEHIND, "ardvc pull")
    elif row["collection_unmerged"]:
        put(State.COLLECTION_UNMERGED, f"ardvc pull (merges {row['remote']}/{COLLECTION})")
    else:
        put(State.IN_SYNC, "")


def repo_status(lab: SyncLab, target: Target, remote: str) -> RepoStatus:
    git = GitRepo(target.path)
    raw = git.raw
    branch = git.current_branch()
    head = git.head_id() if branch is None or git.branch_head(branch) else None
    url = str(raw.remotes[remote].url) if remote in raw.remotes.names() else None
    spec = lab.spec(remote)
    if url is None and spec is not None:
        url = spec.repo_url(target.name)
    entries = lab.outbox.entries(target.rel)
    record = lab.states.load(target.rel)
    tips = branches_to_push(git, entries)
    branches = _branch_states(git, remote, tips)
    current = next((b for b in branches if b.branch == branch), None)
    row: dict[str, Any] = {
        "name": target.name, "kind": target.kind, "path": target.rel, "branch": branch,
        "head": head, "remote": remote, "url": lab.shown_url(url), "state": State.IN_SYNC,
        "remedy": "", "ahead": current.ahead if current else None,
        "behind": current.behind if current else None, "branches": branches,
        "outbox": len(entries), "collection_unmerged": None,
        "last_fetch": record.last_fetch, "last_push": record.last_push,
    }  # fmt: skip
    if branch is None:
        row.update(state=State.DETACHED, remedy=f"check out a branch: git -C {target.path} "
                   "checkout master")  # fmt: skip
    elif head is None:
        has_remote = tracking_tip(git, remote, branch) is not None
        row.update(state=State.BEHIND if has_remote else State.EMPTY,
                   remedy="ardvc pull" if has_remote else "nothing committed yet")  # fmt: skip
    else:
        row["collection_unmerged"] = _collection_unmerged(git, remote, branch, head)
        _judge(row, record, entries)
    row["branches"] = tuple(branches)
    return RepoStatus(**row)


Section = Callable[[SyncLab, str], StatusSection]


def lab_status(
    lab: SyncLab,
    remote: str | None = None,
    *,
    names: Sequence[str] = (),
    fetch: bool = False,
    sections: Sequence[Section] = (),
    progress: Progress | None = None,
) -> LabStatus:
    """The status of every repository (``fetch`` first updates the remote-tracking
    branches over the network, in parallel)."""
    name = lab.remote_name(remote)
    targets = lab.targets(names)
    status = LabStatus(name, [])
    if fetch:
        report = run_plan(lab, "fetch", targets, name, [FetchStep()], progress=progress)
        status.notes += [f"{repo}: {r.summary}" for repo, r in report.failures()]
    for target in targets:
        try:
            status.repos.append(repo_status(lab, target, name))
        except (pygit2.GitError, KeyError) as exc:
            status.notes.append(f"{target.name}: cannot read its state: {exc}")
    status.sections = [section(lab, name) for section in sections]
    return status
