"""fsck: the SQL index against git.

Each indexed branch is compared with git *at the commit the index says it read*: a row
must name a file that exists there with that blob id, and every analysis, file and
interpreted age there must have its row (or an error row saying why it could not be read).
An index behind its branch is reported separately (``ardvc index sync`` is the normal
cure); rows that disagree with their own commit are damage, repaired by reading the
repository again from scratch (:meth:`~ardvc.index.catalog.Catalog.reindex`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pygit2
from sqlalchemy import Connection, Engine, select

from ardvc.data.locate import main_files
from ardvc.gitstore import GitRepo
from ardvc.gitstore.objects import name_of, tree_at
from ardvc.health.findings import Finding, LabView
from ardvc.index import schema
from ardvc.index.extract import TreeReader
from ardvc.index.meta_rows import SKIP
from ardvc.index.models import (
    Analysis,
    AnalysisFile,
    IndexError_,
    InterpretedAge,
    Irradiation,
    Level,
    RepoHead,
    Repository,
)
from ardvc.index.sync import Source, branches

SHOWN = 5
"""Names listed in a finding's detail; the count says how many there are."""
REINDEX = "ardvc fsck --repair (reads the repository into the index again)"


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(sorted(names)[:SHOWN])
    return shown + (f" … ({len(names)} in all)" if len(names) > SHOWN else "")


def _damage(kind: str, repo: str, branch: str, what: str, names: Sequence[str]) -> Finding:
    return Finding(
        kind,
        f"{repo}:{branch}",
        f"{len(names)} {what}: {_listed(names)}",
        True,
        REINDEX,
        "error",
        {"repo": repo, "branch": branch},
    )


def _indexed_branches(git: GitRepo, source: Source) -> list[str]:
    if source.kind == "data":
        return branches(git)
    current = git.current_branch()
    return [current] if current else []


def _commit(raw: pygit2.Repository, rev: str) -> pygit2.Commit | None:
    try:
        return raw.revparse_single(rev).peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError):
        return None


def _error_paths(conn: Connection, repo_id: int, branch: str) -> set[str]:
    query = select(IndexError_.path).where(
        IndexError_.repository_id == repo_id, IndexError_.branch == branch
    )
    return set(conn.execute(query).scalars())


def _data_rows(
    conn: Connection,
    raw: pygit2.Repository,
    commit: pygit2.Commit,
    repo: str,
    repo_id: int,
    branch: str,
) -> Iterator[Finding]:
    mine = (Analysis.repository_id == repo_id, Analysis.branch == branch)
    rows = {
        r.name: (r.path, r.blob_id)
        for r in conn.execute(select(Analysis.name, Analysis.path, Analysis.blob_id).where(*mine))
    }
    file_rows: dict[str, set[tuple[str, str, str]]] = {}
    query = select(Analysis.name, AnalysisFile.kind, AnalysisFile.path, AnalysisFile.blob_id)
    for r in conn.execute(
        query.join(Analysis, Analysis.id == AnalysisFile.analysis_id).where(*mine)
    ):
        file_rows.setdefault(r.name, set()).add((r.kind, r.path, r.blob_id))
    errors = _error_paths(conn, repo_id, branch)
    reader = TreeReader(raw, commit, None)
    mains = {m.name: m for m in main_files(raw, commit.tree)}
    gone = [n for n in rows if n not in mains]
    wrong = [n for n in rows if n in mains and rows[n] != (mains[n].path, mains[n].blob_id)]
    unlisted = [n for n, m in mains.items() if n not in rows and m.path not in errors]
    files = [
        n
        for n in rows
        if n in mains
        and n not in wrong
        and set(reader.files_of(mains[n].shard, mains[n].tail)) != file_rows.get(n, set())
    ]
    at = commit.short_id
    if gone:
        yield _damage("row-without-file", repo, branch, f"index rows name no file at {at}", gone)
    if wrong:
        yield _damage("row-mismatch", repo, branch, f"rows disagree with git at {at}", wrong)
    if unlisted:
        yield _damage("file-without-row", repo, branch, f"analyses at {at} have no row", unlisted)
    if files:
        yield _damage(
            "file-rows-mismatch", repo, branch, "analyses' file rows differ from git", files
        )
    ia_rows = {
        r.path: r.blob_id
        for r in conn.execute(
            select(InterpretedAge.path, InterpretedAge.blob_id).where(
                InterpretedAge.repository_id == repo_id, InterpretedAge.branch == branch
            )
        )
    }
    ia_git = {path: oid for path, oid in reader.ia_files() if path not in errors}
    ia_bad = sorted(p for p in ia_rows.keys() | ia_git.keys() if ia_rows.get(p) != ia_git.get(p))
    if ia_bad:
        yield _damage(
            "ia-rows-mismatch", repo, branch, "interpreted-age rows differ from git", ia_bad
        )


def _level_files(raw: pygit2.Repository, tree: pygit2.Tree) -> dict[str, str]:
    """path → blob of every level file the index reads (``<irradiation>/<level>.json``)."""
    out = {}
    for entry in tree:
        name = name_of(entry)
        if entry.type_str != "tree" or name in SKIP or name.startswith("."):
            continue
        for item in tree_at(raw, entry.id):
            file = name_of(item)
            if item.type_str == "blob" and file.endswith(".json") and file != "productions.json":
                out[f"{name}/{file}"] = str(item.id)
    return out


def _meta_rows(
    conn: Connection,
    raw: pygit2.Repository,
    commit: pygit2.Commit,
    repo: str,
    repo_id: int,
    branch: str,
) -> Iterator[Finding]:
    rows = dict(conn.execute(select(Level.path, Level.blob_id).join(Irradiation)).all())
    errors = _error_paths(conn, repo_id, branch)
    files = {p: o for p, o in _level_files(raw, commit.tree).items() if p not in errors}
    bad = sorted(p for p in rows.keys() | files.keys() if rows.get(p) != files.get(p))
    if bad:
        yield _damage("level-rows-mismatch", repo, branch, "level rows differ from git", bad)


def _schema(view: LabView) -> tuple[Finding | None, bool]:
    """A schema finding, and whether the rows can be read at all."""
    engine = view.catalog().engine
    current = schema.current_revision(engine) if index_exists(engine) else None
    head = schema.head_revision()
    if current is None:
        return Finding(
            "index-missing",
            "index",
            "the index has never been built",
            True,
            "ardvc index rebuild",
            "warning",
        ), False
    if current == head:
        return None, True
    if current not in schema.known_revisions():
        return Finding(
            "index-schema-newer",
            "index",
            f"schema {current} is newer than this ardvc ({head})",
            False,
            "upgrade ardvc, or point index.url at another database",
        ), False
    return Finding(
        "index-schema-old",
        "index",
        f"schema {current}, this ardvc has {head}",
        True,
        "ardvc index sync (upgrades the schema)",
        "warning",
    ), False


def index_exists(engine: Engine) -> bool:
    """False for an embedded index whose file was never made (connecting would make an
    empty one: checking must not write)."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return True
    return Path(engine.url.database).exists()


def check_index(view: LabView) -> Iterator[Finding]:
    """Rows without files, files without rows, and branches not (or no longer) indexed."""
    problem, readable = _schema(view)
    if problem is not None:
        yield problem
    if not readable:
        return
    sources = list(view.sources())
    engine = view.catalog().engine
    with engine.connect() as conn:
        ids = dict(conn.execute(select(Repository.name, Repository.id)).all())
        heads = {
            (r.name, r.branch): r.commit
            for r in conn.execute(
                select(Repository.name, RepoHead.branch, RepoHead.commit).join(RepoHead)
            )
        }
        for gone in sorted(set(ids) - {s.name for s in sources}):
            yield Finding(
                "index-orphan-repo",
                gone,
                "indexed, but no longer in the lab",
                True,
                "ardvc index sync (forgets it)",
                "warning",
                {"repo": gone},
            )
        for source in sources:
            yield from _check_source(conn, source, ids.get(source.name), heads)


def _check_source(
    conn: Connection, source: Source, repo_id: int | None, heads: dict[tuple[str, str], str]
) -> Iterator[Finding]:
    git = GitRepo(source.path)
    wanted = _indexed_branches(git, source)
    subject = {"repo": source.name}
    for name, branch in sorted(heads):
        if name == source.name and branch not in wanted:
            where = f"{name}:{branch}"
            yield Finding(
                "index-orphan-branch",
                where,
                "rows of a branch no longer indexed",
                True,
                REINDEX,
                "warning",
                subject,
            )
    for branch in wanted:
        where = f"{source.name}:{branch}"
        indexed = heads.get((source.name, branch))
        if indexed is None or repo_id is None:
            yield Finding(
                "index-branch-missing",
                where,
                "not indexed yet",
                True,
                "ardvc index sync",
                "warning",
                subject,
            )
            continue
        commit = _commit(git.raw, indexed)
        if commit is None:
            yield Finding(
                "index-commit-missing",
                where,
                f"indexed at {indexed[:12]}, which is not in the repository (history rewritten?)",
                True,
                REINDEX,
                "error",
                subject,
            )
            continue
        head = git.head_id(branch)
        if head is not None and head != indexed:
            ahead, behind = git.raw.ahead_behind(head, indexed)
            count = f"{ahead} commits behind" if behind == 0 else "diverged from the branch"
            yield Finding(
                "index-stale",
                where,
                f"indexed at {indexed[:12]}, branch at {head[:12]} ({count})",
                True,
                "ardvc index sync",
                "info",
                subject,
            )
        if source.kind == "data":
            yield from _data_rows(conn, git.raw, commit, source.name, repo_id, branch)
        else:
            yield from _meta_rows(conn, git.raw, commit, source.name, repo_id, branch)


def repair_index(view: LabView, findings: Sequence[Finding]) -> list[str]:
    """Rebuild a missing index; otherwise read every damaged repository again from git
    and bring the rest up to its heads."""
    catalog = view.catalog()
    kinds = {f.kind for f in findings}
    if "index-missing" in kinds:
        reports = catalog.rebuild()
        return [f"rebuilt the index: {sum(r.analyses for r in reports)} analyses"]
    actions = []
    damaged = sorted(
        {
            f.subject["repo"]
            for f in findings
            if f.kind
            not in {"index-stale", "index-branch-missing", "index-schema-old", "index-orphan-repo"}
            and "repo" in f.subject
        }
    )
    if damaged:
        reports = catalog.reindex(damaged)
        done = sum(r.analyses for r in reports)
        actions.append(f"read {', '.join(damaged)} into the index again ({done} analyses)")
    if kinds & {"index-stale", "index-branch-missing", "index-schema-old", "index-orphan-repo"}:
        reports = catalog.sync()
        moved = [f"{r.repo}:{r.branch}" for r in reports if r.mode != "unchanged"]
        actions.append(f"synced the index ({', '.join(moved) or 'nothing left to do'})")
    return actions
