"""A lab's SQL index as :class:`ardvc.api.Lab` and the cache commands open it: which
database, which repositories feed it, and keeping it in step after a commit."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from ardvc.config import Config
from ardvc.errors import ArdvcError
from ardvc.gitstore import GitRepo
from ardvc.index.catalog import Catalog
from ardvc.index.db import create_engine_for, index_url
from ardvc.index.sync import Source
from ardvc.labcache import repository_names
from ardvc.logs import get_logger
from ardvc.sync.offline_state import effective_index_url
from ardvc.workspace import Workspace


def index_sources(workspace: Workspace, config: Config) -> list[Source]:
    """The MetaRepo (when cloned) and every data repository."""
    sources = []
    meta = workspace.meta_repo_dir(str(config.get("lab.meta_repo")))
    if (meta / ".git").exists():
        sources.append(Source(meta.name, meta, "meta"))
    for name in repository_names(workspace):
        sources.append(Source(name, workspace.repository_dir(name), "data"))
    return sources


def open_catalog(workspace: Workspace, config: Config) -> Catalog:
    """The SQL index (SQLite in ``.ardvc/`` unless ``index.url`` names PostgreSQL)."""
    url = effective_index_url(workspace, index_url(workspace, config))
    zone = config.get("lab.timezone") or None
    return Catalog(create_engine_for(url), lambda: index_sources(workspace, config), zone)


def sync_after_commit(catalog: Catalog, git: GitRepo) -> None:
    """Bring the index up to a commit ardvc just made; a failure is logged (the commit
    stands, ``ardvc index sync`` catches up)."""
    try:
        catalog.sync_path(str(git.path))
    except (ArdvcError, SQLAlchemyError) as exc:
        get_logger("index").warning(
            "committed to %s, but the index was not updated: %s (run ardvc index sync)",
            git.name,
            exc,
        )
