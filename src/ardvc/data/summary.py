"""One line of facts about a data repository, for ``ardvc ls`` and the web UI."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ardvc.data.repo import DataRepo
from ardvc.gitstore.history import commit_time

COLLECTION_BRANCH = "data_collection"


@dataclass(frozen=True, slots=True)
class RepoSummary:
    name: str
    branch: str | None
    head: str | None
    date: str | None
    analyses: int
    collection_only: int | None
    """Analyses present on (origin/)data_collection but not on the current branch."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _collection_rev(repo: DataRepo) -> str | None:
    if repo.git.branch_head(COLLECTION_BRANCH) is not None:
        return COLLECTION_BRANCH
    remote = f"origin/{COLLECTION_BRANCH}"
    return remote if remote in repo.git.remote_branches() else None


def repo_summary(repo: DataRepo) -> RepoSummary:
    head = repo.git.head_id()
    branch = repo.git.current_branch()
    if head is None:
        return RepoSummary(repo.name, branch, None, None, 0, None)
    names = {m.name for m in repo.main_files()}
    date = commit_time(repo.git.resolve()).strftime("%Y-%m-%d %H:%M")
    collection = _collection_rev(repo)
    only = None
    if collection is not None and collection != branch:
        only = len({m.name for m in repo.main_files(collection)} - names)
    return RepoSummary(repo.name, branch, head, date, len(names), only)
