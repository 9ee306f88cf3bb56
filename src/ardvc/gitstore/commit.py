"""Atomic, index-free commits of explicit file lists.

One call = one commit: blobs and trees are written first (invisible until referenced), then
the branch moves with a compare-and-swap on its old tip (libgit2 refuses the update if the
branch moved meanwhile). A process killed at any point leaves the branch at the previous
commit or at the new one, never in between.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import pygit2
from filelock import FileLock

from ardvc.errors import (
    BranchNotFoundError,
    ConcurrentUpdateError,
    GitStoreError,
    MassDeletionError,
)
from ardvc.gitstore.repo import GitRepo
from ardvc.gitstore.tree import Content, build_tree
from ardvc.gitstore.worktree import WorktreeSync, sync_worktree

LOCK_NAME = "ardvc-commit.lock"


@dataclass(frozen=True, slots=True)
class Author:
    """Who commits: from ``user.name``/``user.email`` in the lab config."""

    name: str
    email: str

    def signature(self, when: datetime | None = None) -> pygit2.Signature:
        if when is None:
            return pygit2.Signature(self.name, self.email)
        offset = when.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else 0
        return pygit2.Signature(self.name, self.email, int(when.timestamp()), minutes)


@dataclass(frozen=True, slots=True)
class CommitResult:
    """What a commit did. ``commit`` is ``None`` when nothing changed and none was made."""

    commit: str | None
    branch: str
    parent: str | None
    written: dict[str, str] = field(default_factory=dict)
    deleted: tuple[str, ...] = ()
    worktree: WorktreeSync | None = None


def commit_files(
    repo: GitRepo,
    changes: Mapping[str, Content],
    message: str,
    author: Author,
    *,
    branch: str | None = None,
    max_deletions: int | None = None,
    force_deletions: bool = False,
    allow_empty: bool = False,
    expected_parent: str | None = None,
    when: datetime | None = None,
    update_worktree: bool | None = None,
) -> CommitResult:
    """Commit exactly ``changes`` (path → bytes, or ``None`` to delete) on ``branch``.

    ``branch``, ``max_deletions`` and ``update_worktree`` default to the repository's
    :class:`~ardvc.gitstore.repo.CommitPolicy` (the configured branch, else the current
    one). ``expected_parent`` lets a caller that read data at some commit refuse to commit
    on top of anything else.
    Returns without committing when the changes leave the tree as it was, unless
    ``allow_empty`` (Pychron's 2017 collection made empty commits; ardvc can replay them).
    """
    raw = repo.raw
    policy = repo.policy
    target = repo.target_branch(branch)
    limit = policy.max_deletions if max_deletions is None else max_deletions
    sync = policy.update_worktree if update_worktree is None else update_worktree
    if target is None:
        raise BranchNotFoundError(
            f"{repo.name} has a detached HEAD: name the branch to commit on",
            hint="pass --branch or check out a branch",
        )
    ref_name = f"refs/heads/{target}"
    with FileLock(str(repo.git_dir / LOCK_NAME)):
        parent = repo.branch_head(target)
        if expected_parent is not None and parent != expected_parent:
            raise ConcurrentUpdateError(
                f"{repo.name}:{target} moved to {str(parent)[:12]} "
                f"(expected {expected_parent[:12]}); nothing was committed",
                hint="reload and try again",
            )
        if parent is None and target != repo.current_branch() and raw.branches.local:
            raise BranchNotFoundError(
                f"branch {target!r} does not exist in {repo.name}",
                hint=f"create it first (ardvc starts {target!r} from origin/{target} or HEAD)",
            )
        base = raw[parent].peel(pygit2.Commit).tree if parent else None
        tree_id, edit = build_tree(raw, base, changes)
        if len(edit.deleted) > limit and not force_deletions:
            raise MassDeletionError(
                f"refusing to commit to {repo.name}:{target}: it would delete "
                f"{len(edit.deleted)} files (limit core.max_deletions = {limit})",
                hint="check what is being deleted; pass force to delete on purpose",
            )
        if base is not None and tree_id == base.id and not allow_empty:
            return CommitResult(None, target, parent)
        signature = author.signature(when)
        parents = [pygit2.Oid(hex=parent)] if parent else []
        try:
            commit_id = raw.create_commit(ref_name, signature, signature, message, tree_id, parents)
        except pygit2.GitError as exc:
            if "current tip is not the first parent" in str(exc):
                raise ConcurrentUpdateError(
                    f"{repo.name}:{target} was moved by another process during the commit; "
                    "nothing was committed",
                    hint="try again",
                ) from exc
            raise GitStoreError(f"commit to {repo.name}:{target} failed: {exc}") from exc
        worktree = None
        if sync and repo.has_worktree and repo.current_branch() == target:
            worktree = sync_worktree(
                repo, parent, str(commit_id), edit.written, tuple(edit.deleted)
            )
    if policy.on_commit is not None:
        policy.on_commit(repo)
    return CommitResult(
        str(commit_id), target, parent, dict(edit.written), tuple(edit.deleted), worktree
    )
