"""The index of one lab: schema, sync, rebuild, queries and health, behind one object."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pygit2
from sqlalchemy import Engine, func, select, text

from ardvc.errors import ConfigError
from ardvc.gitstore import GitRepo
from ardvc.index import schema
from ardvc.index.db import describe, write_transaction
from ardvc.index.models import (
    Analysis,
    AnalysisFile,
    IndexError_,
    InterpretedAge,
    Irradiation,
    Level,
    Position,
    RepoHead,
    Repository,
    Sample,
)
from ardvc.index.query import AnalysisRecord, Filters, find
from ardvc.index.scope import indexed_paths
from ardvc.index.store import clear_repository
from ardvc.index.sync import (
    Progress,
    Source,
    SyncReport,
    branches,
    forget_missing,
    rebuild,
    sync_source,
)

COUNTED = {
    "analyses": Analysis, "files": AnalysisFile, "samples": Sample,
    "irradiations": Irradiation, "levels": Level, "positions": Position,
    "interpreted_ages": InterpretedAge, "errors": IndexError_,
}  # fmt: skip


@dataclass
class RepoState:
    name: str
    branch: str
    indexed: str | None
    head: str | None
    behind: int | None
    """Commits between the indexed commit and the head that change what the index holds
    (commits of artifact pointers only do not: ardvc does not sync the index for them);
    ``None``: the indexed commit is not an ancestor of the head."""
    errors: list[str] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        return self.behind != 0


@dataclass
class IndexInfo:
    backend: dict[str, str]
    schema_version: str | None
    code_version: str
    counts: dict[str, int]
    repos: list[RepoState]

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "schema_version": self.schema_version,
            "code_version": self.code_version,
            "counts": self.counts,
            "repositories": [{**vars(r), "stale": r.stale} for r in self.repos],
        }


class Catalog:
    """The lab's index. ``sources`` lists the repositories to index (read on every call, so
    a repository created or removed is noticed)."""

    def __init__(
        self, engine: Engine, sources: Callable[[], Sequence[Source]], timezone: str | None
    ) -> None:
        self.engine = engine
        self.sources = sources
        self.timezone = timezone
        self._ready = False

    def ensure_schema(self) -> None:
        """Create or upgrade the schema; refuse one newer than this ardvc knows."""
        if self._ready:
            return
        current, head = schema.current_revision(self.engine), schema.head_revision()
        if current != head:
            known = schema.known_revisions()
            if current is not None and current not in known:
                raise ConfigError(
                    f"the index schema ({current}) is newer than this ardvc ({head})",
                    hint="upgrade ardvc, or point index.url at another database",
                )
            schema.upgrade(self.engine)
        self._ready = True

    def sync(self, names: Sequence[str] = (), progress: Progress | None = None) -> list[SyncReport]:
        """Bring the index up to every branch head (or only the named repositories)."""
        self.ensure_schema()
        sources = list(self.sources())
        if not names:
            forget_missing(self.engine, [s.name for s in sources])
        chosen = [s for s in sources if not names or s.name in set(names)]
        unknown = set(names) - {s.name for s in sources}
        if unknown:
            raise ConfigError(f"no repository named {', '.join(sorted(unknown))} in this lab")
        reports = []
        for source in chosen:
            reports.extend(sync_source(self.engine, source, self.timezone))
            if progress is not None:
                progress(source.name, sum(r.analyses for r in reports if r.repo == source.name))
        return reports

    def sync_path(self, path: str) -> list[SyncReport]:
        """Sync the repository at ``path`` (after ardvc committed to it)."""
        for source in self.sources():
            if str(source.path.resolve()) == str(GitRepo(path).path.resolve()):
                self.ensure_schema()
                return sync_source(self.engine, source, self.timezone)
        return []

    def reindex(self, names: Sequence[str], progress: Progress | None = None) -> list[SyncReport]:
        """Forget every row of the named repositories and read them again from git (all
        indexed branches): what a rebuild would give for them, e.g. after rows were lost."""
        self.ensure_schema()
        with write_transaction(self.engine) as conn:
            for name in names:
                found = conn.execute(select(Repository.id).where(Repository.name == name))
                repo_id = found.scalar()
                if repo_id is not None:
                    clear_repository(conn, int(repo_id))
        return self.sync(names, progress)

    def rebuild(
        self, processes: int | None = None, progress: Progress | None = None
    ) -> list[SyncReport]:
        self.ensure_schema()
        reports = rebuild(self.engine, list(self.sources()), timezone=self.timezone,
                          processes=processes, progress=progress)  # fmt: skip
        with self.engine.begin() as conn:
            conn.execute(text("ANALYZE"))  # fresh statistics for the query planner
        return reports

    def find(self, filters: Filters | None = None, **kwargs: Any) -> list[AnalysisRecord]:
        self.ensure_schema()
        return find(self.engine, filters or Filters(**kwargs))

    def info(self) -> IndexInfo:
        backend = describe(self.engine)
        version = schema.current_revision(self.engine)
        counts: dict[str, int] = {}
        states: list[RepoState] = []
        if version is not None:
            with self.engine.connect() as conn:
                for label, model in COUNTED.items():
                    counts[label] = int(
                        conn.execute(select(func.count()).select_from(model)).scalar_one()
                    )
                heads = {
                    (row.name, row.branch): row.commit
                    for row in conn.execute(
                        select(Repository.name, RepoHead.branch, RepoHead.commit).join(
                            RepoHead, RepoHead.repository_id == Repository.id
                        )
                    )
                }
                errors: dict[tuple[str, str], list[str]] = {}
                query = select(
                    Repository.name, IndexError_.branch, IndexError_.path, IndexError_.message
                )
                for row in conn.execute(
                    query.join(Repository, Repository.id == IndexError_.repository_id)
                ):
                    errors.setdefault((row.name, row.branch), []).append(
                        f"{row.path}: {row.message}"
                    )
            states = self._states(heads, errors)
        return IndexInfo(backend, version, schema.head_revision(), counts, states)

    def _states(
        self, heads: dict[tuple[str, str], str], errors: dict[tuple[str, str], list[str]]
    ) -> list[RepoState]:
        states = []
        for source in self.sources():
            git = GitRepo(source.path)
            wanted = branches(git) if source.kind == "data" else [git.current_branch() or ""]
            for branch in wanted:
                head = git.head_id(branch) if branch else None
                indexed = heads.get((source.name, branch))
                states.append(
                    RepoState(source.name, branch, indexed, head, _behind(git, indexed, head),
                              errors.get((source.name, branch), []))
                )  # fmt: skip
        return states


def _behind(git: GitRepo, indexed: str | None, head: str | None) -> int | None:
    if indexed is None or head is None:
        return None
    if indexed == head:
        return 0
    try:
        _, behind = git.raw.ahead_behind(head, indexed)
        if behind != 0:
            return None
        walker = git.raw.walk(pygit2.Oid(hex=head), pygit2.enums.SortMode.TOPOLOGICAL)
        walker.hide(pygit2.Oid(hex=indexed))
        return sum(1 for commit in walker if indexed_paths(_changed_paths(git, commit)))
    except (KeyError, ValueError, pygit2.GitError):
        return None


def _changed_paths(git: GitRepo, commit: pygit2.Commit) -> list[str]:
    """What ``commit`` changed against its first parent (everything, for a root)."""
    if not commit.parents:
        return [entry.path for entry in git.files(str(commit.id))]
    diff = commit.parents[0].tree.diff_to_tree(commit.tree)
    return [p for d in diff.deltas for p in (d.old_file.path, d.new_file.path)]
