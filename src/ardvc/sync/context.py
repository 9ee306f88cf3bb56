"""What lab-wide sync works on: the lab's repositories, its remotes, outbox and records.

:class:`SyncLab` is built by :class:`ardvc.Lab` (``lab.sync``); it knows paths and
configuration, not the API above it, so the sync modules stay below ``api``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pygit2

from ardvc.config import Config
from ardvc.errors import ConfigError, RepositoryNotFoundError
from ardvc.formats.names import check_safe_name
from ardvc.gitstore import Author
from ardvc.gitstore.network import DEFAULT_TIMEOUT_S, GitNetwork, mask_urls
from ardvc.index.catalog import Catalog
from ardvc.index.db import create_engine_for, index_url
from ardvc.index.sync import Source
from ardvc.persist.outbox import Outbox
from ardvc.sync.remotes import RemoteSpec, Transport, helper_command, remote_secret, remote_spec
from ardvc.sync.state import SyncStates
from ardvc.workspace import Workspace

if TYPE_CHECKING:
    from ardvc.sync.steps import RepoStep

DEFAULT_JOBS = 4
META = "meta"
DATA = "data"


@dataclass(frozen=True)
class Target:
    """One repository of the lab: the MetaRepo or a data repository."""

    name: str
    path: Path
    kind: str
    rel: str
    """Folder relative to the lab root (how the outbox names it)."""


class SyncLab:
    """The lab as sync sees it."""

    def __init__(
        self,
        workspace: Workspace,
        config: Config,
        *,
        author: Callable[[], Author],
        catalog: Callable[[], Catalog],
        sources: Callable[[], Sequence[Source]],
        push_steps: Sequence[RepoStep] = (),
        pull_steps: Sequence[RepoStep] = (),
    ) -> None:
        self.workspace = workspace
        self.config = config
        self.author = author
        self.catalog = catalog
        """The index the lab uses now (the offline one while offline)."""
        self._sources = sources
        self.push_steps = tuple(push_steps)
        """Steps other features run after each repository's git push (the cache's)."""
        self.pull_steps = tuple(pull_steps)
        """Steps run after each repository's pull."""

    def shared_index_url(self) -> str:
        """The lab's own index (``index.url``, else the embedded SQLite file)."""
        return index_url(self.workspace, self.config)

    def catalog_at(self, url: str) -> Catalog:
        """An index of this lab's repositories in the database at ``url``."""
        zone = self.config.get("lab.timezone") or None
        return Catalog(create_engine_for(url), self._sources, zone)

    @property
    def root(self) -> Path:
        return self.workspace.root

    @property
    def meta_name(self) -> str:
        return str(self.config.get("lab.meta_repo"))

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.workspace.outbox_dir)

    @property
    def states(self) -> SyncStates:
        return SyncStates(self.workspace.tmp_dir / "sync")

    @property
    def jobs(self) -> int:
        return max(1, int(self.config.get("sync.jobs") or DEFAULT_JOBS))

    @property
    def timeout(self) -> float:
        return float(self.config.get("sync.timeout") or DEFAULT_TIMEOUT_S)

    def meta_target(self) -> Target:
        path = self.workspace.meta_repo_dir(self.meta_name)
        return Target(self.meta_name, path, META, self.meta_name)

    def data_target(self, name: str) -> Target:
        check_safe_name(name, what="repository name")
        path = self.workspace.repository_dir(name)
        return Target(name, path, DATA, f"{self.workspace.repositories_dir.name}/{name}")

    def targets(self, names: Sequence[str] = ()) -> list[Target]:
        """The MetaRepo and every data repository present (or only those named)."""
        found = []
        meta = self.meta_target()
        if (meta.path / ".git").exists():
            found.append(meta)
        folder = self.workspace.repositories_dir
        if folder.is_dir():
            found += [self.data_target(p.name) for p in sorted(folder.iterdir())
                      if (p / ".git").exists()]  # fmt: skip
        if not names:
            return found
        by_name = {t.name: t for t in found}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise RepositoryNotFoundError(
                f"no repository {', '.join(missing)} in {self.root}",
                hint="ardvc status lists this lab's repositories",
            )
        return [by_name[n] for n in names]

    # --- remotes ------------------------------------------------------------------------

    def remote_name(self, remote: str | None = None) -> str:
        name = remote or str(self.config.get("persist.remote") or "")
        if not name:
            raise ConfigError(
                "no remote named and persist.remote is empty",
                hint="pass --remote NAME, or set persist.remote (default origin)",
            )
        return name

    def spec(self, remote: str) -> RemoteSpec | None:
        return remote_spec(self.config, remote)

    def secret(self, remote: str) -> str | None:
        return remote_secret(self.config, remote)

    def network(self, remote: str) -> GitNetwork:
        """Network git for ``remote``: ardvc's credential helper when the lab holds a
        secret for an HTTP remote (other helpers are then not asked), its SSH command."""
        settings: list[tuple[str, str]] = []
        spec = self.spec(remote)
        if spec is not None:
            if spec.transport is Transport.HTTP and self.secret(remote):
                settings += [("credential.helper", ""),
                             ("credential.helper", helper_command(self.root)),
                             ("credential.useHttpPath", "true")]  # fmt: skip
            if spec.ssh_command:
                settings.append(("core.sshCommand", spec.ssh_command))
        return GitNetwork(tuple(settings), timeout=self.timeout)

    def ensure_git_remote(self, target: Target, remote: str) -> str | None:
        """The URL of ``remote`` in the repository, adding it from the lab remote when the
        repository lacks it; ``None`` when neither has one. A repository's own URL wins."""
        repo = pygit2.Repository(str(target.path))
        if remote in repo.remotes.names():
            return str(repo.remotes[remote].url)
        spec = self.spec(remote)
        if spec is None:
            return None
        url = spec.repo_url(target.name)
        repo.remotes.create(remote, url)
        return url

    @staticmethod
    def shown_url(url: str | None) -> str:
        return mask_urls(url) if url else "-"
