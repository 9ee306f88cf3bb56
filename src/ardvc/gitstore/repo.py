"""A thin layer over a pygit2 repository: open, init, resolve revisions, read files.

Reads go through git objects (tree lookups by path, blobs by oid), never through the working
tree: what ardvc sees is exactly what is committed, so a half-written working-tree file can
never be read as data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pygit2

from ardvc.errors import (
    BranchNotFoundError,
    FileNotInRepoError,
    GitStoreError,
    RepositoryNotFoundError,
)
from ardvc.gitstore.objects import lookup, name_of, tree_at

DEFAULT_MAX_DELETIONS = 10
TREE_CACHE_LIMIT = 4 << 20
"""libgit2 caches only trees under 4 KiB by default; a shard folder of a data repository is
larger (400 entries, ~20 KiB) and was parsed again on every path lookup (150 µs instead of
0.2 µs), which made history walks slow. Process-wide, within libgit2's total cache budget."""
pygit2.settings.cache_object_limit(pygit2.enums.ObjectType.TREE, TREE_CACHE_LIMIT)
DEFAULT_BRANCH = "master"
"""Pychron's repositories use ``master``; ardvc detects the real default of each repo."""


@dataclass(frozen=True, slots=True)
class CommitPolicy:
    """How commits to one repository behave (from the lab's configuration).

    ``branch``: branch to commit on (``None`` = the checked-out one); ``max_deletions``:
    the mass-deletion limit; ``update_worktree``: keep working tree and index in step.
    """

    branch: str | None = None
    max_deletions: int = DEFAULT_MAX_DELETIONS
    update_worktree: bool = True
    on_commit: Callable[[GitRepo, Sequence[str]], None] | None = None
    """Called after every successful commit with the paths it changed (the lab keeps its
    index in sync with it)."""


@dataclass(frozen=True, slots=True)
class TreeFile:
    """One file of a tree: its path, blob id and git file mode."""

    path: str
    oid: str
    mode: int


class GitRepo:
    """One git repository (a data repo or the MetaRepo)."""

    def __init__(self, path: Path | str, policy: CommitPolicy | None = None) -> None:
        self.path = Path(path)
        self.policy = policy or CommitPolicy()
        try:
            self._repo = pygit2.Repository(str(self.path))
        except (pygit2.GitError, KeyError) as exc:
            raise RepositoryNotFoundError(f"no git repository at {self.path}") from exc

    # --- construction -------------------------------------------------------------------

    @classmethod
    def init(
        cls, path: Path | str, *, branch: str = DEFAULT_BRANCH, policy: CommitPolicy | None = None
    ) -> GitRepo:
        """Create a repository with a working tree whose unborn HEAD points at ``branch``."""
        Path(path).mkdir(parents=True, exist_ok=True)
        pygit2.init_repository(str(path), initial_head=branch)
        return cls(path, policy)

    @staticmethod
    def is_repo(path: Path | str) -> bool:
        return pygit2.discover_repository(str(path)) is not None and (Path(path) / ".git").exists()

    @property
    def raw(self) -> pygit2.Repository:
        """The underlying pygit2 repository, for the other gitstore modules."""
        return self._repo

    @property
    def name(self) -> str:
        """The folder name, without the ``.git`` of a bare repository."""
        return self.path.name.removesuffix(".git")

    @property
    def git_dir(self) -> Path:
        return Path(self._repo.path)

    @property
    def has_worktree(self) -> bool:
        return not self._repo.is_bare

    # --- branches -----------------------------------------------------------------------

    def current_branch(self) -> str | None:
        """The branch HEAD points at (also when unborn); ``None`` when detached."""
        if self._repo.head_is_detached:
            return None
        target = self._repo.references["HEAD"].target
        assert isinstance(target, str)
        return target.removeprefix("refs/heads/")

    def target_branch(self, branch: str | None = None) -> str | None:
        """The branch a commit goes to: ``branch``, else the configured one, else HEAD's."""
        return branch or self.policy.branch or self.current_branch()

    def branches(self) -> list[str]:
        return sorted(self._repo.branches.local)

    def remote_branches(self) -> list[str]:
        return sorted(self._repo.branches.remote)

    def branch_head(self, branch: str) -> str | None:
        """Commit id of a local branch, ``None`` if the branch does not exist (or is unborn)."""
        ref = self._repo.references.get(f"refs/heads/{branch}")
        return None if ref is None else str(ref.target)

    def create_branch(self, branch: str, start: str | None = None) -> str:
        """Create ``branch`` at ``start`` (default: ``origin/<branch>`` if it exists, else HEAD)."""
        if self.branch_head(branch) is not None:
            raise GitStoreError(f"branch {branch!r} already exists in {self.name}")
        if start is None:
            start = f"origin/{branch}" if f"origin/{branch}" in self.remote_branches() else "HEAD"
        commit = self.resolve(start)
        self._repo.branches.local.create(branch, commit)
        return str(commit.id)

    # --- revisions and files ------------------------------------------------------------

    def resolve(self, rev: str | None = None) -> pygit2.Commit:
        """A commit from a branch, tag, ``origin/x``, ``HEAD`` or (abbreviated) sha."""
        spec = rev or "HEAD"
        try:
            obj = self._repo.revparse_single(spec)
            commit = obj.peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError) as exc:
            if spec == "HEAD":
                raise BranchNotFoundError(f"{self.name} has no commits yet") from exc
            raise BranchNotFoundError(f"unknown revision {spec!r} in {self.name}") from exc
        return commit

    def head_id(self, rev: str | None = None) -> str | None:
        """Commit id of ``rev`` (default HEAD); ``None`` for an empty repository."""
        if rev is None and self._repo.head_is_unborn:
            return None
        return str(self.resolve(rev).id)

    def tree(self, rev: str | None = None) -> pygit2.Tree:
        return self.resolve(rev).tree

    def read(self, path: str, rev: str | None = None) -> bytes:
        """Bytes of ``path`` at ``rev``; :class:`FileNotInRepoError` when absent."""
        commit = self.resolve(rev)
        obj = lookup(commit.tree, path)
        if not isinstance(obj, pygit2.Blob):
            raise FileNotInRepoError(path, repo=self.name, rev=rev or "HEAD")
        return obj.data

    def read_blob(self, oid: str) -> bytes:
        """Bytes of a blob by its id, whatever commit it belongs to."""
        try:
            obj = self._repo[oid]
        except (KeyError, ValueError) as exc:
            raise FileNotInRepoError(f"blob {oid}", repo=self.name) from exc
        if not isinstance(obj, pygit2.Blob):
            raise GitStoreError(f"{oid} in {self.name} is not a blob")
        return obj.data

    def blob_id(self, path: str, rev: str | None = None) -> str | None:
        """Blob id of ``path`` at ``rev``, ``None`` when absent (cheap existence test)."""
        obj = lookup(self.resolve(rev).tree, path)
        return str(obj.id) if isinstance(obj, pygit2.Blob) else None

    def exists(self, path: str, rev: str | None = None) -> bool:
        return lookup(self.resolve(rev).tree, path) is not None

    def files(self, rev: str | None = None, prefix: str = "") -> Iterator[TreeFile]:
        """Every file (recursively) under ``prefix`` at ``rev``."""
        folder = prefix.rstrip("/")
        tree = lookup(self.resolve(rev).tree, folder)
        if isinstance(tree, pygit2.Tree):
            yield from walk_tree(self._repo, tree, folder + "/" if folder else "")


def walk_tree(repo: pygit2.Repository, tree: pygit2.Tree, prefix: str = "") -> Iterator[TreeFile]:
    for entry in tree:
        path = prefix + name_of(entry)
        if entry.type_str == "tree":
            yield from walk_tree(repo, tree_at(repo, entry.id), path + "/")
        elif entry.type_str == "blob":
            yield TreeFile(path, str(entry.id), entry.filemode)
