"""Keeping the index equal to git: incremental sync from the last indexed commit, or a
rebuild from scratch with extraction spread over a process pool.

Extraction (reading git) runs outside any database transaction; writing takes the index's
write lock, re-checks the indexed head, and applies one repository branch per transaction.
A sync killed at any point leaves the previous consistent state; a second sync running at
the same time waits for the lock and then finds nothing left to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pygit2
from sqlalchemy import Engine, delete, select, update

from ardvc.gitstore import GitRepo
from ardvc.index.db import write_transaction
from ardvc.index.extract import RepoExtract, extract_changes, extract_full
from ardvc.index.meta_rows import MetaExtract, apply_meta, extract_meta
from ardvc.index.models import Base, Repository
from ardvc.index.store import apply_extract, clear_repository, indexed_head, repository_id

COLLECTION = "data_collection"
Progress = Callable[[str, int], None]
"""Called with (repository, analyses written) after each repository branch."""


@dataclass(frozen=True)
class Source:
    """One repository to index."""

    name: str
    path: Path
    kind: str
    """``data`` or ``meta``."""


@dataclass(frozen=True)
class SyncReport:
    repo: str
    branch: str
    old: str | None
    new: str | None
    mode: str
    """``unchanged``, ``incremental``, ``full`` or ``empty``."""
    analyses: int
    removed: int
    errors: int
    seconds: float


def branches(git: GitRepo) -> list[str]:
    """What is indexed: the checked-out branch, plus ``data_collection`` (local or origin)."""
    out = []
    current = git.current_branch()
    if current is not None and git.branch_head(current) is not None:
        out.append(current)
    if current != COLLECTION:
        if git.branch_head(COLLECTION) is not None:
            out.append(COLLECTION)
        elif f"origin/{COLLECTION}" in git.remote_branches():
            out.append(f"origin/{COLLECTION}")
    return out


def _commit(repo: pygit2.Repository, rev: str | None) -> pygit2.Commit | None:
    if rev is None:
        return None
    try:
        return repo.revparse_single(rev).peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError):
        return None  # the old commit is gone (gc after a force push): rebuild that branch


def extract(
    source: Source, branch: str, since: str | None, timezone: str | None
) -> RepoExtract | MetaExtract:
    """Rows of one branch (picklable: runs in worker processes during a rebuild)."""
    git = GitRepo(source.path)
    raw = git.raw
    head = raw.revparse_single(branch).peel(pygit2.Commit)
    old = _commit(raw, since)
    if source.kind == "meta":
        return extract_meta(raw, head, old)
    if old is None:
        return extract_full(raw, source.name, branch, head, timezone)
    return extract_changes(raw, source.name, branch, old, head, timezone)


@dataclass(frozen=True)
class _Target:
    source: Source
    branch: str
    current: str | None
    """The repository's checked-out branch, recorded as what ``find`` searches."""
    timezone: str | None


def _report(
    target: _Target, since: str | None, ex: RepoExtract | MetaExtract, started: float
) -> SyncReport:
    mode = "full" if ex.full else "incremental"
    if isinstance(ex, MetaExtract):
        count, removed = sum(len(levels) for levels in ex.irradiations.values()), 0
    else:
        count, removed = len(ex.analyses), len(ex.removed)
    elapsed = time.perf_counter() - started
    return SyncReport(target.source.name, target.branch, since, ex.head, mode, count, removed,
                      len(ex.errors), elapsed)  # fmt: skip


def _apply(
    engine: Engine,
    target: _Target,
    ex: RepoExtract | MetaExtract,
    since: str | None,
    started: float,
) -> SyncReport:
    source = target.source
    with write_transaction(engine) as conn:
        repo_id = repository_id(conn, source.name, source.kind)
        now = indexed_head(conn, repo_id, target.branch)
        if now != since:  # somebody synced meanwhile: continue from what is indexed now
            if now == ex.head:
                elapsed = time.perf_counter() - started
                return SyncReport(
                    source.name, target.branch, now, now, "unchanged", 0, 0, 0, elapsed
                )
            ex = extract(source, target.branch, now, target.timezone)
            since = now
        conn.execute(
            update(Repository).where(Repository.id == repo_id).values(branch=target.current)
        )
        if isinstance(ex, MetaExtract):
            apply_meta(conn, source.name, target.branch, ex)
        else:
            apply_extract(conn, ex, source.kind)
    return _report(target, since, ex, started)


def _indexed_branches(git: GitRepo, kind: str) -> list[str]:
    current = git.current_branch()
    return branches(git) if kind == "data" else [b for b in [current] if b]


def sync_source(engine: Engine, source: Source, timezone: str | None = None) -> list[SyncReport]:
    """Bring every indexed branch of one repository up to its head."""
    git = GitRepo(source.path)
    reports = []
    current = git.current_branch()
    for branch in _indexed_branches(git, source.kind):
        started = time.perf_counter()
        head = str(git.resolve(branch).id)
        with engine.connect() as conn:
            repo = conn.execute(
                select(Repository.id).where(Repository.name == source.name)
            ).scalar()
            since = indexed_head(conn, int(repo), branch) if repo is not None else None
        if since == head:
            reports.append(SyncReport(source.name, branch, since, head, "unchanged", 0, 0, 0, 0.0))
            continue
        ex = extract(source, branch, since, timezone)
        target = _Target(source, branch, current, timezone)
        reports.append(_apply(engine, target, ex, since, started))
    return reports


def _job(args: tuple[Source, str, str | None]) -> tuple[Source, str, RepoExtract | MetaExtract]:
    source, branch, timezone = args
    return source, branch, extract(source, branch, None, timezone)


def rebuild(
    engine: Engine,
    sources: Sequence[Source],
    *,
    timezone: str | None = None,
    processes: int | None = None,
    progress: Progress | None = None,
) -> list[SyncReport]:
    """Empty the index and read every repository branch again, in parallel."""
    with write_transaction(engine) as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))
    jobs: list[tuple[Source, str, str | None]] = []
    current: dict[str, str | None] = {}
    for source in sources:
        git = GitRepo(source.path)
        current[source.name] = git.current_branch()
        jobs.extend((source, branch, timezone) for branch in _indexed_branches(git, source.kind))
    reports = []
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=processes) as pool:
        for source, branch, ex in pool.map(_job, jobs):
            target = _Target(source, branch, current[source.name], timezone)
            reports.append(_apply(engine, target, ex, None, started))
            if progress is not None:
                progress(source.name, reports[-1].analyses)
    return reports


def forget_missing(engine: Engine, present: Sequence[str]) -> list[str]:
    """Drop repositories that are no longer in the lab (their rows go with them)."""
    with write_transaction(engine) as conn:
        names = list(conn.execute(select(Repository.name)).scalars())
        gone = [n for n in names if n not in set(present)]
        for name in gone:
            query = select(Repository.id).where(Repository.name == name)
            clear_repository(conn, conn.execute(query).scalar_one())
    return gone
