"""Atomic, index-free commits of explicit file lists.

One call moves the branch once: blobs, trees and commits are written first (invisible until
referenced), then the branch moves in a libgit2 reference transaction that locks the ref
and checks its old tip (a compare-and-swap against any git writer, ardvc or not). A process
killed at any point leaves the branch at the previous tip or at the new one, never in
between. :func:`commit_series` chains several commits (Pychron's four collection commits of
one analysis) and still moves the branch only once, so an analysis appears whole or not at
all.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson
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
from ardvc.gitstore.worktree import (
    WorktreeSync,
    abandon_sync,
    finish_interrupted_sync,
    prepare_sync,
    sync_worktree,
)
from ardvc.logs import get_logger
from ardvc.processes import pid_alive

LOCK_NAME = "ardvc-commit.lock"
REF_MOVE_NOTE = "ardvc-ref-move.json"
"""Written while ardvc holds git's ``<ref>.lock``: a process killed inside libgit2's ref
transaction leaves that lock behind, and the note says whose it was."""


def clear_stale_ref_lock(repo: GitRepo) -> str | None:
    """Remove the ``<ref>.lock`` a killed ardvc process (same host, pid gone) left while
    moving a branch; a lock without such a note belongs to someone else and is kept.
    Returns the path removed."""
    note = repo.git_dir / REF_MOVE_NOTE
    try:
        entry = orjson.loads(note.read_bytes())
    except FileNotFoundError:
        return None
    except orjson.JSONDecodeError:
        note.unlink(missing_ok=True)  # torn by the kill: written before the lock was taken
        return None
    if entry.get("host") != socket.gethostname() or pid_alive(int(entry.get("pid", 0))):
        return None
    removed = None
    lock = repo.git_dir / f"{entry['ref']}.lock"
    if lock.is_file():
        lock.unlink()
        removed = str(lock)
        get_logger("gitstore").warning(
            "removed %s, left by ardvc process %s that was killed while moving %s",
            lock, entry.get("pid"), entry["ref"],
        )  # fmt: skip
    note.unlink(missing_ok=True)
    return removed


def recover_after_crash(repo: GitRepo) -> WorktreeSync:
    """Undo what a killed ardvc writer left in ``repo``: the ref lock of a branch move, and
    a half-done working-tree sync — finished now, not at the next commit, so the working
    tree and git index are whole as soon as ardvc starts again."""
    with FileLock(str(repo.git_dir / LOCK_NAME)):
        clear_stale_ref_lock(repo)
        return finish_interrupted_sync(repo)


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
class CommitStep:
    """One commit of a series: exactly these changes, with this message."""

    changes: Mapping[str, Content]
    message: str
    allow_empty: bool = False


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
    (result,) = commit_series(
        repo,
        [CommitStep(changes, message, allow_empty)],
        author,
        branch=branch,
        max_deletions=max_deletions,
        force_deletions=force_deletions,
        expected_parent=expected_parent,
        when=when,
        update_worktree=update_worktree,
    )
    return result


def commit_series(
    repo: GitRepo,
    steps: Sequence[CommitStep],
    author: Author,
    *,
    branch: str | None = None,
    max_deletions: int | None = None,
    force_deletions: bool = False,
    expected_parent: str | None = None,
    when: datetime | None = None,
    update_worktree: bool | None = None,
) -> list[CommitResult]:
    """Chain one commit per step on ``branch`` and move the branch once, to the last.

    A step whose changes leave the tree as it is makes no commit (its result's ``commit``
    is ``None``) unless it allows empty commits. The mass-deletion limit applies to the
    deletions of the whole series. Arguments as for :func:`commit_files`.
    """
    if not steps:
        raise GitStoreError("commit_series needs at least one step")
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
    with FileLock(str(repo.git_dir / LOCK_NAME)):
        parent = repo.branch_head(target)
        _check_parent(repo, target, parent, expected_parent)
        if parent is None and target != repo.current_branch() and raw.branches.local:
            raise BranchNotFoundError(
                f"branch {target!r} does not exist in {repo.name}",
                hint=f"create it first (ardvc starts {target!r} from origin/{target} or HEAD)",
            )
        signature = author.signature(when)
        tip = parent
        base = raw[parent].peel(pygit2.Commit).tree if parent else None
        made: list[tuple[str | None, str | None, dict[str, str], list[str]]] = []
        deletions = 0
        for step in steps:
            tree_id, edit = build_tree(raw, base, step.changes)
            deletions += len(edit.deleted)
            if deletions > limit and not force_deletions:
                raise MassDeletionError(
                    f"refusing to commit to {repo.name}:{target}: it would delete "
                    f"{deletions} files (limit core.max_deletions = {limit})",
                    hint="check what is being deleted; pass force to delete on purpose",
                )
            if base is not None and tree_id == base.id and not step.allow_empty:
                made.append((None, tip, {}, []))
                continue
            parents = [pygit2.Oid(hex=tip)] if tip else []
            commit_id = raw.create_commit(
                None, signature, signature, step.message, tree_id, parents
            )
            made.append((str(commit_id), tip, dict(edit.written), list(edit.deleted)))
            tip = str(commit_id)
            base = raw[tree_id].peel(pygit2.Tree)
        if tip == parent:
            return [CommitResult(None, target, parent) for _ in steps]
        assert tip is not None
        written = {p: o for _, _, w, _ in made for p, o in w.items()}
        deleted = tuple(p for _, _, w, d in made for p in d if p not in written)
        summary = steps[-1].message.splitlines()[0] if steps[-1].message else ""
        reflog = f"commit{' (initial)' if parent is None else ''}: {summary}"
        final = {p: b for step in steps for p, b in step.changes.items() if p in written}
        contents = {p: b for p, b in final.items() if b is not None}  # a later step deleted
        worktree = publish(
            repo, target, parent, tip, signature, reflog, written, deleted, sync, contents
        )
    if policy.on_commit is not None:
        policy.on_commit(repo, [*written, *deleted])
    results = [
        CommitResult(commit, target, before, written, tuple(deleted))
        for commit, before, written, deleted in made
    ]
    last = max(i for i, r in enumerate(results) if r.commit is not None)
    results[last] = CommitResult(
        results[last].commit, target, results[last].parent, results[last].written,
        results[last].deleted, worktree,
    )  # fmt: skip
    return results


def _check_parent(repo: GitRepo, target: str, parent: str | None, expected: str | None) -> None:
    if expected is not None and parent != expected:
        raise ConcurrentUpdateError(
            f"{repo.name}:{target} moved to {str(parent)[:12]} "
            f"(expected {expected[:12]}); nothing was committed",
            hint="reload and try again",
        )


def publish(
    repo: GitRepo,
    branch: str,
    parent: str | None,
    tip: str,
    signature: pygit2.Signature,
    reflog: str,
    written: Mapping[str, str],
    deleted: tuple[str, ...],
    sync: bool = True,
    contents: Mapping[str, bytes] | None = None,
) -> WorktreeSync | None:
    """Move ``branch`` from ``parent`` to ``tip`` (compare-and-swap) and, when it is checked
    out, bring exactly ``written`` (path → blob id) and ``deleted`` paths of the working
    tree and git index along (``contents``: bytes of written paths the caller holds, so
    they are not read back from the object store). Must run under the commit lock
    (:data:`LOCK_NAME`)."""
    prepared = None
    if sync and repo.has_worktree and repo.current_branch() == branch:
        # journaled before the move: a crash right after it is finished by the next commit
        prepared = prepare_sync(repo, branch, parent, tip, dict(written), deleted)
    try:
        _move_branch(repo, f"refs/heads/{branch}", parent, tip, signature, reflog)
    except BaseException:
        if prepared is not None:
            abandon_sync(repo)
        raise
    if prepared is None:
        return None
    return sync_worktree(repo, parent, tip, dict(written), deleted, prepared, contents)


def _move_branch(
    repo: GitRepo,
    ref_name: str,
    parent: str | None,
    tip: str,
    signature: pygit2.Signature,
    reflog: str,
) -> None:
    """Compare-and-swap ``ref_name`` from ``parent`` to ``tip`` under git's own ref lock."""
    clear_stale_ref_lock(repo)
    note = repo.git_dir / REF_MOVE_NOTE
    note.write_bytes(
        orjson.dumps({"pid": os.getpid(), "host": socket.gethostname(), "ref": ref_name})
    )
    try:
        repo.raw.set_ident(signature.name, signature.email)  # the reflog's identity
        with repo.raw.transaction() as txn:
            txn.lock_ref(ref_name)
            current = repo.branch_head(ref_name.removeprefix("refs/heads/"))
            if current != parent:
                raise ConcurrentUpdateError(
                    f"{repo.name}:{ref_name.removeprefix('refs/heads/')} was moved by another "
                    "process during the commit; nothing was committed",
                    hint="try again",
                )
            txn.set_target(ref_name, tip, message=reflog)
    except pygit2.GitError as exc:
        if "lock" in str(exc).lower():
            raise ConcurrentUpdateError(
                f"{ref_name} of {repo.name} is locked by another git process; "
                "nothing was committed",
                hint="try again",
            ) from exc
        raise GitStoreError(f"moving {ref_name} of {repo.name} failed: {exc}") from exc
    finally:
        note.unlink(missing_ok=True)
