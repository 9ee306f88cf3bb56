"""History of paths: the commits that changed them, newest first, in one walk.

Like ``git log -- <paths>`` with git's default simplification: a merge that kept a path as
one of its parents had it is not a change of that path.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pygit2

from ardvc.gitstore.messages import message_tag
from ardvc.gitstore.repo import GitRepo


@dataclass(frozen=True, slots=True)
class PathChange:
    """One commit that changed one path: the blob before and after (``None`` = absent)."""

    commit: str
    path: str
    before: str | None
    after: str | None
    message: str
    author: str
    email: str
    time: datetime

    @property
    def tag(self) -> str | None:
        return message_tag(self.message)


def _blob_at(tree: pygit2.Tree, path: str) -> str | None:
    try:
        obj = tree / path
    except KeyError:
        return None
    return str(obj.id)


def commit_time(commit: pygit2.Commit) -> datetime:
    tz = timezone(timedelta(minutes=commit.author.offset))
    return datetime.fromtimestamp(commit.author.time, tz)


def path_history(
    repo: GitRepo, paths: Iterable[str], rev: str | None = None, *, limit: int | None = None
) -> Iterator[PathChange]:
    """Every change of any of ``paths`` reachable from ``rev``, newest first."""
    wanted = list(paths)
    raw = repo.raw
    start = repo.resolve(rev)
    walker = raw.walk(start.id, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.TIME)
    count = 0
    for commit in walker:
        tree = commit.tree
        parent_trees = [p.tree for p in commit.parents]
        for path in wanted:
            now = _blob_at(tree, path)
            befores = [_blob_at(t, path) for t in parent_trees]
            if befores and now in befores:
                continue
            if not befores and now is None:
                continue
            yield PathChange(
                commit=str(commit.id),
                path=path,
                before=befores[0] if befores else None,
                after=now,
                message=commit.message.rstrip("\n"),
                author=commit.author.name,
                email=commit.author.email,
                time=commit_time(commit),
            )
            count += 1
            if limit is not None and count >= limit:
                return
