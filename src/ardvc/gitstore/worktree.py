"""Keep a checked-out working tree and git index in step with a commit ardvc just made.

Pychron reads analyses from the working tree and commits whatever its index holds; if ardvc
moved the branch without updating both, Pychron's next commit would silently revert ardvc's
files. So after each commit on the checked-out branch, exactly the committed paths are
written (temp file + rename) and their index entries updated. A file the user edited
without committing is never overwritten: it is reported instead.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pygit2

from ardvc.gitstore.repo import GitRepo


@dataclass(slots=True)
class WorktreeSync:
    """Outcome of a working-tree update. ``ok`` is false when something was left stale."""

    updated: list[str] = field(default_factory=list)
    kept_local_edits: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.kept_local_edits


def _replace_file(path: Path, data: bytes) -> None:
    # No fsync: the working tree is a view of the commit, which git already holds.
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _locally_edited(raw: pygit2.Repository, file: Path, before: str | None, after: str) -> bool:
    """True when the working-tree file differs from both the old and the new commit."""
    if not file.exists():
        return before is not None
    current = str(pygit2.hashfile(str(file)))
    return current not in {before, after}


def sync_worktree(
    repo: GitRepo,
    parent: str | None,
    written: dict[str, str],
    deleted: tuple[str, ...],
) -> WorktreeSync:
    raw = repo.raw
    root = repo.path
    parent_tree = raw[parent].peel(pygit2.Commit).tree if parent else None
    result = WorktreeSync()

    def old_id(path: str) -> str | None:
        if parent_tree is None:
            return None
        try:
            return str((parent_tree / path).id)
        except KeyError:
            return None

    index = raw.index
    try:
        index.read(False)
        for path, oid in written.items():
            file = root / path
            if _locally_edited(raw, file, old_id(path), oid):
                result.kept_local_edits.append(path)
                continue
            _replace_file(file, raw[oid].data)
            index.add(path)
            result.updated.append(path)
        for path in deleted:
            file = root / path
            before = old_id(path)
            if file.exists() and str(pygit2.hashfile(str(file))) != before:
                result.kept_local_edits.append(path)
                continue
            file.unlink(missing_ok=True)
            _prune_empty_dirs(file.parent, root)
            if path in index:
                index.remove(path)
            result.updated.append(path)
        index.write()
    except (OSError, pygit2.GitError) as exc:
        result.error = f"working tree of {repo.name} not updated: {exc}"
    return result


def _prune_empty_dirs(folder: Path, root: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
