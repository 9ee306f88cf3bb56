"""Keep a checked-out working tree and git index in step with a commit ardvc just made.

Pychron reads analyses from the working tree and commits whatever its index holds; if ardvc
moved the branch without updating both, Pychron's next commit would silently revert ardvc's
files. So after each commit on the checked-out branch, exactly the committed paths are
written (temp file + rename) and their index entries updated. A file the user edited
without committing is never overwritten: it is reported instead.

A sync interrupted by a crash is journaled (``.git/ardvc-worktree-sync.json``): the next
commit finishes it first, so half-updated files are not mistaken for the user's edits. The
journal is written before the branch moves (:func:`prepare_sync`), so a crash between the
move and the sync is finished too; a journal whose commit never reached the branch is
dropped.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pygit2

from ardvc.formats.jsonio import atomic_write_bytes
from ardvc.gitstore.indexentry import stage_file
from ardvc.gitstore.objects import blob_at, commit_at, lookup
from ardvc.gitstore.repo import GitRepo
from ardvc.processes import pid_alive

JOURNAL = "ardvc-worktree-sync.json"
SCRATCH = "ardvc-tmp"
NEW_FILE_MODE = 0o644
"""Mode of a new file (before the umask, as git checks files out)."""


@dataclass(slots=True)
class WorktreeSync:
    """Outcome of a working-tree update. ``ok`` is false when something was left stale."""

    updated: list[str] = field(default_factory=list)
    kept_local_edits: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.kept_local_edits


def _replace_file(path: Path, data: bytes, mode: int, scratch: Path, folders: set[Path]) -> None:
    """Write via a temp file in ``.git/ardvc-tmp`` (invisible to ``git status`` if a crash
    leaves it behind), renamed into place. No fsync: git already holds the content.
    ``folders`` are known to exist (``scratch`` among them once made): a failing
    ``mkdir`` of an existing folder costs more than the write itself. Every system call
    here lets the interpreter switch threads, and getting it back can take longer than
    the call, so there are as few as the job allows (open, write, close, rename)."""
    for folder in (scratch, path.parent):
        if folder not in folders:
            if not folder.is_dir():
                folder.mkdir(parents=True, exist_ok=True)
            folders.add(folder)
    # one writer at a time (the commit lock) and leftovers are cleared under it: the name
    # needs no randomness, O_TRUNC covers a leftover of a killed process with our pid
    tmp = scratch / f"wt-{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        try:
            tmp.replace(path)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            shutil.move(tmp, path)  # working tree on another file system than .git
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _prune_empty_dirs(folder: Path, root: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _file_state(file: Path) -> tuple[str | None, int, os.stat_result | None]:
    """The blob id of a regular file (``None``: no file), the mode to keep for it, and its
    stat data."""
    try:
        st = file.stat()
    except FileNotFoundError:
        return None, NEW_FILE_MODE, None
    if not stat.S_ISREG(st.st_mode):
        return None, NEW_FILE_MODE, None
    return str(pygit2.hashfile(str(file))), st.st_mode & 0o7777, st


class _Updater:
    """Moves single paths of the working tree and index from one blob to another."""

    def __init__(self, repo: GitRepo, result: WorktreeSync) -> None:
        self.repo = repo
        self.raw = repo.raw
        self.index = repo.raw.index
        self.index.read(False)
        self.result = result
        self.folders: set[Path] = set()

    def blob_in(self, commit: str | None, path: str) -> str | None:
        if commit is None:
            return None
        obj = lookup(commit_at(self.raw, commit).tree, path)
        return str(obj.id) if isinstance(obj, pygit2.Blob) else None

    def move(
        self, path: str, before: str | None, after: str | None, data: bytes | None = None
    ) -> bool:
        """Set ``path`` to blob ``after`` (``None`` = delete; ``data``: its content when the
        caller has it) if it still holds ``before`` (or already ``after``); otherwise leave
        the user's file alone."""
        file = self.repo.path / path
        current, mode, st = _file_state(file)
        if current not in {before, after}:
            self.result.kept_local_edits.append(path)
            return False
        if after is None:
            file.unlink(missing_ok=True)
            _prune_empty_dirs(file.parent, self.repo.path)
            if path in self.index:
                self.index.remove(path)
        else:
            if current != after or st is None:
                if data is None:
                    data = blob_at(self.raw, after).data
                _replace_file(file, data, mode, self.repo.git_dir / SCRATCH, self.folders)
                st = file.stat()
            stage_file(self.index, path, after, st)
        return True

    def write(self) -> None:
        self.index.write()


def _reached_branch(repo: GitRepo, entry: dict[str, object]) -> bool:
    """Is the journaled commit on its branch (journals without a branch were written
    after the move)?"""
    branch = entry.get("branch")
    if not isinstance(branch, str):
        return True
    head, commit = repo.branch_head(branch), str(entry["commit"])
    if head is None:
        return False
    return head == commit or bool(
        repo.raw.descendant_of(pygit2.Oid(hex=head), pygit2.Oid(hex=commit))
    )


def _recover(repo: GitRepo, result: WorktreeSync) -> None:
    """Finish a sync that a crashed ardvc process left half done."""
    scratch = repo.git_dir / SCRATCH
    if scratch.is_dir():  # temp files of a killed writer (we hold the commit lock)
        for leftover in scratch.iterdir():
            leftover.unlink()
    journal = repo.git_dir / JOURNAL
    if not journal.exists():
        return
    try:
        entry = orjson.loads(journal.read_bytes())
    except orjson.JSONDecodeError:
        # torn by a kill while an older ardvc wrote it in place: commits wrote it in
        # prepare_sync, before the branch moved, so its commit never reached the branch
        journal.unlink()
        return
    if not _reached_branch(repo, entry):
        journal.unlink()  # killed before its branch moved: nothing to bring into the tree
        return
    index_lock = repo.git_dir / "index.lock"
    ours = entry.get("host") == socket.gethostname() and not pid_alive(int(entry["pid"]))
    if index_lock.exists():
        if not (ours and index_lock.stat().st_mtime >= journal.stat().st_mtime):
            raise OSError(f"{index_lock} is held by another program; not touching it")
        index_lock.unlink()  # left by the crashed ardvc process named in the journal
        result.recovered.append(".git/index.lock")
    updater = _Updater(repo, result)
    for path in entry["paths"]:
        before = updater.blob_in(entry["parent"], path)
        after = updater.blob_in(entry["commit"], path)
        if updater.move(path, before, after):
            result.recovered.append(path)
    updater.write()
    journal.unlink()


def finish_interrupted_sync(repo: GitRepo) -> WorktreeSync:
    """Finish the working-tree sync a killed ardvc process left half done (and its
    ``index.lock``). Must run under the commit lock."""
    result = WorktreeSync()
    try:
        _recover(repo, result)
    except (OSError, pygit2.GitError) as exc:
        result.error = f"working tree of {repo.name} not recovered: {exc}"
    return result


def _write_journal(journal: Path, entry: bytes) -> None:
    """Whole or absent: a kill mid-write must not leave a journal recovery cannot read.
    No fsync, like the working-tree files it guards (git's objects are not fsync'd
    either)."""
    atomic_write_bytes(journal, entry, fsync=False)


def _journal_entry(parent: str | None, commit: str, paths: list[str], branch: str | None) -> bytes:
    entry: dict[str, object] = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "parent": parent,
        "commit": commit,
        "paths": paths,
    }
    if branch is not None:
        entry["branch"] = branch
    return orjson.dumps(entry)


def prepare_sync(
    repo: GitRepo,
    branch: str,
    parent: str | None,
    commit: str,
    written: dict[str, str],
    deleted: tuple[str, ...],
) -> WorktreeSync:
    """Before ``branch`` moves to ``commit``: finish a crashed sync, then journal this one.

    Must run under the commit lock. Pass the result to :func:`sync_worktree` after the
    move, or call :func:`abandon_sync` if the move fails.
    """
    result = WorktreeSync()
    try:
        _recover(repo, result)
        journal = repo.git_dir / JOURNAL
        _write_journal(journal, _journal_entry(parent, commit, [*written, *deleted], branch))
    except (OSError, pygit2.GitError) as exc:
        result.error = f"working tree of {repo.name} not updated: {exc}"
    return result


def abandon_sync(repo: GitRepo) -> None:
    """Forget the journal of a sync whose branch did not move."""
    (repo.git_dir / JOURNAL).unlink(missing_ok=True)


def sync_worktree(
    repo: GitRepo,
    parent: str | None,
    commit: str,
    written: dict[str, str],
    deleted: tuple[str, ...],
    prepared: WorktreeSync | None = None,
    contents: Mapping[str, bytes] | None = None,
) -> WorktreeSync:
    """Bring the working tree and index from ``parent`` to ``commit`` for the given paths
    (journaled already when ``prepared`` comes from :func:`prepare_sync`). ``contents``:
    the bytes of written paths, when the caller has them (saves reading the blobs back).

    Must run under the commit lock (as :func:`ardvc.gitstore.commit_files` does).
    """
    result = prepared or WorktreeSync()
    if result.error is not None:
        return result
    journal = repo.git_dir / JOURNAL
    try:
        if prepared is None:
            _recover(repo, result)
            _write_journal(journal, _journal_entry(parent, commit, [*written, *deleted], None))
        updater = _Updater(repo, result)
        known = contents or {}
        for path, oid in written.items():
            if updater.move(path, updater.blob_in(parent, path), oid, known.get(path)):
                result.updated.append(path)
        for path in deleted:
            if updater.move(path, updater.blob_in(parent, path), None):
                result.updated.append(path)
        updater.write()
        journal.unlink()
    except (OSError, pygit2.GitError) as exc:
        result.error = f"working tree of {repo.name} not updated: {exc}"
    return result
