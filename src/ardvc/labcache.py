"""The cache side of a lab, as the CLI and scripts use it: ``lab.cache()``.

>>> lc = lab.cache()
>>> lc.add(["repositories/NM-999/snapshots"])     # cache + commit the pointer
>>> [r.state for r in lc.status()]                # workspace vs pointer vs cache
>>> lc.push()                                     # cache objects → cache.remote

The cache commands open a :class:`CacheLab` instead of :class:`ardvc.api.Lab`: the same
workspace, configuration and repositories without importing the whole API, so ``ardvc
cache status`` starts in a fraction of the time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ardvc.cache.checkout import CheckoutResult
from ardvc.cache.gc import GcReport, collect_garbage, expand
from ardvc.cache.status import ArtifactStatus
from ardvc.cache.store import Cache, CacheSettings
from ardvc.cache.verify import VerifyReport, verify
from ardvc.config import Config
from ardvc.errors import RepositoryNotFoundError, UsageError
from ardvc.formats.names import check_safe_name
from ardvc.gitstore import Author, CommitPolicy, GitRepo
from ardvc.identity import resolve_author
from ardvc.index.scope import indexed_paths
from ardvc.persist import artifacts
from ardvc.persist.artifacts import AddReport
from ardvc.workspace import Workspace, find_root

if TYPE_CHECKING:
    from ardvc.cache.remote import CacheRemote
    from ardvc.cache.transfer import TransferReport
    from ardvc.index.catalog import Catalog

Progress = Callable[[int], None]


class _HasGit(Protocol):
    @property
    def git(self) -> GitRepo: ...


class LabLike(Protocol):
    """What the cache needs of a lab (:class:`ardvc.api.Lab` and :class:`CacheLab`)."""

    @property
    def workspace(self) -> Workspace: ...

    @property
    def config(self) -> Config: ...

    def repository_names(self) -> list[str]: ...

    def repo(self, name: str) -> _HasGit: ...

    def author(self) -> Author: ...


def repository_names(workspace: Workspace) -> list[str]:
    """The data repositories of a lab (folders of ``repositories/`` holding ``.git``)."""
    folder = workspace.repositories_dir
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / ".git").exists())


def repository_path(workspace: Workspace, name: str) -> Path:
    """The working tree of the data repository ``name``, which must exist."""
    check_safe_name(name, what="repository name")
    path = workspace.repository_dir(name)
    if not (path / ".git").exists():
        raise RepositoryNotFoundError(
            f"no data repository {name!r} in {workspace.repositories_dir}",
            hint="ardvc ls lists the repositories of this lab",
        )
    return path


def commit_policy(
    config: Config, on_commit: Callable[[GitRepo, Sequence[str]], None] | None
) -> CommitPolicy:
    """``core.branch``, ``core.max_deletions`` and ``core.worktree_sync`` for every
    repository a lab opens; ``on_commit`` runs after each commit."""
    return CommitPolicy(
        branch=config.get("core.branch") or None,
        max_deletions=int(config.get("core.max_deletions")),
        update_worktree=bool(config.get("core.worktree_sync")),
        on_commit=on_commit,
    )


@dataclass(frozen=True, slots=True)
class _Repo:
    git: GitRepo


class CacheLab:
    """A lab's workspace, configuration, repositories and author, as :class:`ardvc.api.Lab`
    opens them, without importing the API. Commits made through it update the index as
    ``Lab``'s do (the index machinery is imported then)."""

    def __init__(self, workspace: Workspace, config: Config) -> None:
        self.workspace = workspace
        self.config = config
        self._policy = commit_policy(config, self._index_after_commit)
        self._catalog: Catalog | None = None

    @classmethod
    def open(
        cls, root: Path | str | None = None, *, overrides: Mapping[str, str] | None = None
    ) -> CacheLab:
        """Like :meth:`ardvc.api.Lab.open`."""
        environ = dict(os.environ)
        workspace = find_root(root, env=environ)
        return cls(workspace, Config(workspace.ardvc_dir, env=environ, overrides=overrides))

    def repository_names(self) -> list[str]:
        return repository_names(self.workspace)

    def repo(self, name: str) -> _Repo:
        return _Repo(GitRepo(repository_path(self.workspace, name), self._policy))

    def author(self) -> Author:
        return resolve_author(self.config)

    def _index_after_commit(self, git: GitRepo, paths: Sequence[str]) -> None:
        if not indexed_paths(paths):
            return  # artifact pointers only: nothing to index, and no SQL to import
        from ardvc.labindex import open_catalog, sync_after_commit  # only after a commit

        if self._catalog is None:
            self._catalog = open_catalog(self.workspace, self.config)
        sync_after_commit(self._catalog, git)


class LabCache:
    """Cache operations over every repository of one lab."""

    def __init__(self, lab: LabLike, *, wait: bool = False) -> None:
        self.lab = lab
        self.cache = Cache(lab.workspace, CacheSettings.from_config(lab.config, wait=wait))

    def close(self) -> None:
        self.cache.close()

    # --- repositories ----------------------------------------------------------------------

    def git(self, name: str) -> GitRepo:
        return self.lab.repo(name).git

    def repos(self, names: Iterable[str] | None = None) -> list[GitRepo]:
        chosen = list(names) if names else self.lab.repository_names()
        return [self.git(n) for n in chosen]

    def repo_of(self, path: Path) -> GitRepo:
        """The data repository whose working tree holds ``path``."""
        absolute = Path(path).absolute()
        folder = self.lab.workspace.repositories_dir
        try:
            name = absolute.relative_to(folder).parts[0]
        except (ValueError, IndexError):
            raise UsageError(
                f"{path} is not inside a data repository of this lab ({folder})",
                hint="artifacts live in data repositories: repositories/<Repo>/…",
            ) from None
        try:
            return self.git(name)
        except RepositoryNotFoundError:
            raise UsageError(f"{path}: {name} is not a data repository") from None

    # --- artifacts -------------------------------------------------------------------------

    def add(
        self, paths: Sequence[Path | str], *, message: str | None = None,
        progress: Progress | None = None,
    ) -> list[AddReport]:  # fmt: skip
        """Cache files or folders and commit their pointers (one commit per repository)."""
        by_repo: dict[str, tuple[GitRepo, list[Path]]] = {}
        for p in paths:
            path = Path(p).absolute()
            if not path.exists() or path.is_symlink():
                raise UsageError(f"{p} does not exist")
            repo = self.repo_of(path)
            by_repo.setdefault(repo.name, (repo, []))[1].append(path)
        author = self.lab.author()
        return [
            artifacts.add(self.cache, repo, chosen, author, message=message, progress=progress)
            for repo, chosen in by_repo.values()
        ]

    def status(
        self, repos: Iterable[str] | None = None, *, progress: Progress | None = None
    ) -> list[ArtifactStatus]:
        """Workspace vs pointer vs cache for every artifact of the checked-out branches."""
        tick = (lambda: progress(1)) if progress else None
        return [row for git in self.repos(repos) for row in artifacts.status(self.cache, git, tick)]

    def checkout(
        self,
        paths: Sequence[Path | str] = (),
        *,
        repos: Iterable[str] | None = None,
        force: bool = False,
        progress: Progress | None = None,
    ) -> list[CheckoutResult]:
        tick = (lambda: progress(1)) if progress else None
        if paths:
            out = []
            for p in paths:
                path = Path(p).absolute()
                git = self.repo_of(path)
                rel = artifacts.repo_relative(git, path)
                out += artifacts.checkout_all(self.cache, git, [rel], force=force, on_file=tick)
            return out
        out = []
        for git in self.repos(repos):
            out += artifacts.checkout_all(self.cache, git, force=force, on_file=tick)
        return out

    # --- what the lab references -------------------------------------------------------------

    def referenced(self, *, all_branches: bool = True) -> set[str]:
        """Objects named by the pointers of every branch of every repository (and the
        MetaRepo), expanded through the manifests the cache holds."""
        gits = self.repos()
        meta_dir = self.lab.workspace.meta_repo_dir(str(self.lab.config.get("lab.meta_repo")))
        if (meta_dir / ".git").exists():
            gits.append(GitRepo(meta_dir))
        top: set[str] = set()
        for git in gits:
            revs = artifacts.branch_heads(git) if all_branches else [git.head_id() or ""]
            top |= artifacts.referenced(git, [r for r in revs if r])
            top |= {t.pointer.oid for t in artifacts.tracked(git) if not t.committed}
        return top

    def gc(self, *, dry_run: bool = False, progress: Progress | None = None) -> GcReport:
        """Remove objects no branch of any repository, no working tree and no run record
        references (manifests first); ``dry_run`` only reports."""
        with self.cache.writing_cache("gc"):
            keep = self.referenced() | self.cache.runs.referenced_objects()
            return collect_garbage(self.cache, keep, dry_run=dry_run, progress=progress)

    def verify(self, *, repair: bool = False, progress: Progress | None = None) -> VerifyReport:
        lock = self.cache.writing_cache if repair else self.cache.reading_cache
        with lock("cache verify"):
            return verify(self.cache, repair=repair, progress=progress)

    # --- remotes ---------------------------------------------------------------------------

    def remote(self, name: str | None = None) -> CacheRemote:
        from ardvc.cache.remote import open_remote  # fsspec: only for remotes

        return open_remote(self.lab.config, self.lab.workspace, name)

    def push(
        self, remote: str | None = None, *, oids: set[str] | None = None,
        progress: Progress | None = None,
    ) -> TransferReport:  # fmt: skip
        """Send the objects every branch references (or ``oids``) and new run records."""
        from ardvc.cache.transfer import push

        target = self.remote(remote)
        with self.cache.reading_cache("cache push"):
            wanted = self.referenced() if oids is None else set(oids)
            wanted |= self.cache.runs.referenced_objects()
            return push(self.cache, target, expand(self.cache, wanted), progress=progress)

    def fetch(
        self, remote: str | None = None, *, oids: set[str] | None = None,
        progress: Progress | None = None,
    ) -> TransferReport:  # fmt: skip
        """Bring the objects every branch references (or ``oids``) and the remote's run
        records into the cache."""
        from ardvc.cache.transfer import fetch

        source = self.remote(remote)
        with self.cache.reading_cache("cache fetch"):
            wanted = self.referenced() if oids is None else oids
            return fetch(self.cache, source, wanted, progress=progress)

    def push_referenced(
        self, repo: str, commits: Iterable[str], remote: str | None = None
    ) -> TransferReport:
        """The objects the pointers of ``commits`` of ``repo`` name — for ``ardvc push``,
        so a lab never needs a second push for its artifacts."""
        wanted = artifacts.referenced(self.git(repo), commits)
        return self.push(remote, oids=wanted)

    def fetch_referenced(
        self, repo: str, commits: Iterable[str], remote: str | None = None
    ) -> TransferReport:
        """The objects the pointers of ``commits`` of ``repo`` name — for ``ardvc pull``."""
        wanted = artifacts.referenced(self.git(repo), commits)
        return self.fetch(remote, oids=wanted)
