"""Bringing a local branch up to another commit (a fetched remote branch): fast-forward,
or a merge built in memory, without a working-tree merge.

The merge result is computed by libgit2 from the two commits; only when it has no
conflicts is a merge commit written and the branch moved — with the same compare-and-swap
and working-tree update as every ardvc commit. A conflict therefore leaves the repository
exactly as it was (there is nothing to abort) and is reported with its files. Nothing is
ever resolved by taking one side or deleting a file, and a result that would delete more
files than ``core.max_deletions`` allows is refused (the guard Pychron meant to have).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pygit2
from filelock import FileLock

from ardvc.errors import BranchNotFoundError
from ardvc.gitstore.commit import LOCK_NAME, Author, publish
from ardvc.gitstore.repo import GitRepo
from ardvc.gitstore.worktree import WorktreeSync


class Outcome(StrEnum):
    UP_TO_DATE = "up-to-date"
    FAST_FORWARD = "fast-forward"
    MERGED = "merged"
    CONFLICT = "conflict"
    REFUSED = "refused"
    """The result would delete more files than allowed; nothing changed."""


@dataclass(frozen=True)
class Integration:
    """What :func:`integrate` did to one branch."""

    outcome: Outcome
    branch: str
    theirs: str
    old: str | None
    new: str | None
    conflicts: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    worktree: WorktreeSync | None = None

    @property
    def changed(self) -> bool:
        return self.outcome in (Outcome.FAST_FORWARD, Outcome.MERGED)


def ahead_behind(repo: GitRepo, local: str, upstream: str) -> tuple[int, int]:
    """Commits of ``local`` not in ``upstream``, and the reverse."""
    ahead, behind = repo.raw.ahead_behind(local, upstream)
    return int(ahead), int(behind)


def contains(repo: GitRepo, tip: str, commit: str) -> bool:
    """Is ``commit`` ``tip`` or one of its ancestors (known locally)?"""
    if tip == commit:
        return True
    try:
        return bool(repo.raw.descendant_of(tip, commit))
    except (KeyError, ValueError, pygit2.GitError):
        return False


def _tree_changes(
    old: pygit2.Tree | None, new: pygit2.Tree
) -> tuple[dict[str, str], tuple[str, ...]]:
    """(path → new blob id for added/changed files, deleted paths) from ``old`` to ``new``."""
    diff = old.diff_to_tree(new) if old is not None else new.diff_to_tree(swap=True)
    written: dict[str, str] = {}
    deleted: list[str] = []
    for delta in diff.deltas:
        if delta.status == pygit2.enums.DeltaStatus.DELETED:
            deleted.append(delta.old_file.path)
        else:
            written[delta.new_file.path] = str(delta.new_file.id)
    return written, tuple(deleted)


def conflicted_paths(index: pygit2.Index) -> tuple[str, ...]:
    if index.conflicts is None:
        return ()
    paths = set()
    for ancestor, ours, theirs in index.conflicts:
        for entry in (ancestor, ours, theirs):
            if entry is not None:
                paths.add(entry.path)
    return tuple(sorted(paths))


def integrate(
    repo: GitRepo,
    branch: str,
    theirs_rev: str,
    author: Author,
    *,
    message: str,
    max_deletions: int | None = None,
    force_deletions: bool = False,
    fast_forward_only: bool = False,
    no_fast_forward: bool = False,
) -> Integration:
    """Bring ``branch`` up to ``theirs_rev``: nothing to do, fast-forward, or a merge commit
    (``message``) with both as parents. With ``fast_forward_only`` a diverged branch is
    reported as a conflict with no files instead of merged; with ``no_fast_forward`` a
    merge commit is made even where a fast-forward would do (``git merge --no-ff``)."""
    raw = repo.raw
    limit = repo.policy.max_deletions if max_deletions is None else max_deletions
    theirs = str(repo.resolve(theirs_rev).id)
    with FileLock(str(repo.git_dir / LOCK_NAME)):
        ours = repo.branch_head(branch)
        if ours is None and branch != repo.current_branch():
            raise BranchNotFoundError(f"branch {branch!r} does not exist in {repo.name}")
        if ours is not None and contains(repo, ours, theirs):
            return Integration(Outcome.UP_TO_DATE, branch, theirs, ours, ours)
        old_tree = raw[ours].peel(pygit2.Commit).tree if ours else None
        signature = author.signature()
        if ours is None or (contains(repo, theirs, ours) and not no_fast_forward):
            outcome, tip = Outcome.FAST_FORWARD, theirs
            reflog = f"pull: fast-forward to {theirs_rev}"
        elif fast_forward_only:
            return Integration(Outcome.CONFLICT, branch, theirs, ours, ours)
        else:
            index = raw.merge_commits(ours, theirs)
            conflicts = conflicted_paths(index)
            if conflicts:
                return Integration(Outcome.CONFLICT, branch, theirs, ours, ours, conflicts)
            tree = index.write_tree(raw)
            parents = [pygit2.Oid(hex=ours), pygit2.Oid(hex=theirs)]
            tip = str(raw.create_commit(None, signature, signature, message, tree, parents))
            outcome, reflog = Outcome.MERGED, f"merge {theirs_rev}: {message}"
        written, deleted = _tree_changes(old_tree, raw[tip].peel(pygit2.Commit).tree)
        if len(deleted) > limit and not force_deletions:
            return Integration(Outcome.REFUSED, branch, theirs, ours, ours, deleted=deleted)
        worktree = publish(repo, branch, ours, tip, signature, reflog, written, deleted,
                           repo.policy.update_worktree)  # fmt: skip
    return Integration(outcome, branch, theirs, ours, tip, deleted=deleted, worktree=worktree)
