"""Provenance of one analysis: every commit that changed one of its files, newest first,
with the commit's message tag and what changed value by value.

The files followed are every place a reader would look for the analysis' files (the main
file's shard and tail, both ``reduction/`` and legacy locations of tags), so a file that was
added, moved or deleted later is still seen. The walk skips a commit at the cost of one tree
lookup per top-level folder when none of those folders changed, which keeps the history of
one analysis in a repository of thousands of commits fast (each tree is read once).

Values are compared in the stored JSON, flattened to dotted keys (``Ar40.value``,
``Ar40.outlier_excluded``): the diff shows what the file says, whatever schema version
wrote it. Base64 blobs are shown by length and digest, never inline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pygit2

from ardvc.data.analysis import ANALYSIS_MODIFIERS, Analysis
from ardvc.data.repo import DataRepo
from ardvc.errors import CorruptFileError
from ardvc.formats.jsonio import loads
from ardvc.formats.paths import REDUCTION_MODIFIERS, FileAddress, split_main_path
from ardvc.gitstore.history import commit_time
from ardvc.gitstore.messages import message_tag
from ardvc.gitstore.objects import blob_at

LONG_TEXT = 120
"""Strings longer than this (base64 blobs) are shown by length and digest."""
MAIN = "main"


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file of the analysis changed by a commit (blob ids; ``None`` = absent)."""

    kind: str
    """``main`` or the modifier (``intercepts``, ``tags``, ``.data`` …)."""
    path: str
    before: str | None
    after: str | None

    @property
    def action(self) -> str:
        if self.before is None:
            return "added"
        return "deleted" if self.after is None else "modified"


@dataclass(frozen=True, slots=True)
class ValueChange:
    """One value that differs between the file before and after a commit."""

    kind: str
    key: str
    """Dotted path inside the file's JSON (``Ar40.value``); ``""`` for the whole file."""
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    commit: str
    parent: str | None
    time: datetime
    author: str
    email: str
    message: str
    files: tuple[FileChange, ...]

    @property
    def tag(self) -> str | None:
        """Pychron's message tag (``ISOEVO``, ``BLANKS``, ``TAG`` …), ``None`` if untagged."""
        return message_tag(self.message)

    @property
    def summary(self) -> str:
        return self.message.splitlines()[0] if self.message else ""


def tracked_paths(analysis: Analysis) -> dict[str, str]:
    """path → kind for every location of every file kind of ``analysis``."""
    main = analysis.path(None)
    assert main is not None
    split = split_main_path(main)
    assert split is not None
    shard, tail = split
    out = {main: MAIN}
    for modifier in ANALYSIS_MODIFIERS:
        out[FileAddress(shard, tail, modifier).path] = modifier
        if modifier in REDUCTION_MODIFIERS:
            out[FileAddress(shard, tail, modifier, reduction=True).path] = modifier
    for stored in analysis.files.values():  # wherever the reader actually found them
        out.setdefault(stored.path, stored.modifier or MAIN)
    return out


def _blob_id(tree: pygit2.Tree, path: str) -> str | None:
    try:
        return str((tree / path).id)
    except KeyError:
        return None


class _Trees:
    """Trees of one walk: the ids of the top-level folders the analysis lives in, each
    tree read once (to skip commits that changed none of them)."""

    def __init__(self, raw: pygit2.Repository, tops: list[str]) -> None:
        self.raw = raw
        self.tops = tops
        self._tops: dict[pygit2.Oid, tuple[str | None, ...]] = {}

    def tree(self, tree_id: pygit2.Oid) -> pygit2.Tree:
        tree = self.raw[tree_id]
        assert isinstance(tree, pygit2.Tree)
        return tree

    def top_ids(self, tree_id: pygit2.Oid) -> tuple[str | None, ...]:
        found = self._tops.get(tree_id)
        if found is None:
            tree = self.tree(tree_id)
            found = tuple(str(tree[t].id) if t in tree else None for t in self.tops)
            self._tops[tree_id] = found
        return found


def _changes(
    trees: _Trees, tree_id: pygit2.Oid, parent_trees: list[pygit2.Oid], paths: dict[str, str]
) -> list[FileChange]:
    """The tracked files a commit changed, with git's default merge simplification (a path
    a merge kept from one of its parents is not a change)."""
    if len(parent_trees) == 1 and trees.top_ids(tree_id) == trees.top_ids(parent_trees[0]):
        return []
    tree = trees.tree(tree_id)
    parents = [trees.tree(t) for t in parent_trees]
    found = []
    for path, kind in paths.items():
        now = _blob_id(tree, path)
        befores = [_blob_id(t, path) for t in parents]
        if (befores and now in befores) or (not befores and now is None):
            continue
        found.append(FileChange(kind, path, befores[0] if befores else None, now))
    return found


@dataclass(frozen=True)
class CommitWalk:
    """Every commit reachable from ``start`` in ``git log --topo-order`` order, as
    (commit, tree, parents) ids. What a commit reaches never changes, so one walk serves
    the history of every analysis read at that commit (the web UI keeps a few)."""

    repo: str
    start: str
    commits: tuple[tuple[pygit2.Oid, pygit2.Oid, tuple[pygit2.Oid, ...]], ...]

    @classmethod
    def of(cls, repo: DataRepo, rev: str | None = None) -> CommitWalk:
        start = repo.git.resolve(rev)
        sort = pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.TIME
        commits = tuple(
            (c.id, c.tree_id, tuple(c.parent_ids)) for c in repo.git.raw.walk(start.id, sort)
        )
        return cls(repo.name, str(start.id), commits)


def analysis_history(
    repo: DataRepo,
    analysis: Analysis,
    rev: str | None = None,
    *,
    limit: int | None = None,
    walk: CommitWalk | None = None,
) -> list[HistoryEntry]:
    """Commits reachable from ``rev`` (default: the analysis' own commit) that changed any
    of the analysis' files, newest first; at most ``limit`` of them. ``walk`` (of the same
    start commit) saves walking the history again."""
    paths = tracked_paths(analysis)
    raw = repo.git.raw
    trees = _Trees(raw, sorted({p.split("/", 1)[0] for p in paths}))
    start = str(repo.git.resolve(rev or analysis.commit).id)
    if walk is None or walk.start != start or walk.repo != repo.name:
        walk = CommitWalk.of(repo, start)
    tree_of = {c: t for c, t, _ in walk.commits}
    out: list[HistoryEntry] = []
    for commit_id, tree_id, parent_ids in walk.commits:
        parent_trees = [tree_of[p] if p in tree_of else raw[p].peel(pygit2.Commit).tree_id
                        for p in parent_ids]  # fmt: skip
        files = _changes(trees, tree_id, parent_trees, paths)
        if not files:
            continue
        commit = raw[commit_id].peel(pygit2.Commit)
        out.append(
            HistoryEntry(
                commit=str(commit_id), parent=str(parent_ids[0]) if parent_ids else None,
                time=commit_time(commit), author=commit.author.name,
                email=commit.author.email, message=commit.message.rstrip("\n"),
                files=tuple(sorted(files, key=lambda f: f.path)),
            )
        )  # fmt: skip
        if limit is not None and len(out) >= limit:
            break
    return out


# --- value-level diff --------------------------------------------------------------------


def _shown(value: Any) -> Any:
    if isinstance(value, str) and len(value) > LONG_TEXT:
        digest = hashlib.sha1(value.encode("utf-8"), usedforsecurity=False).hexdigest()[:10]
        return f"<{len(value)} characters, sha1 {digest}>"
    return value


def _list_key(item: Any, index: int) -> str:
    """Raw-data series are keyed by isotope and detector rather than list position."""
    if isinstance(item, dict):
        named = [str(item[k]) for k in ("isotope", "detector") if item.get(k) is not None]
        if named:
            return "@".join(named)
    return str(index)


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``{"Ar40": {"value": 1}}`` → ``("Ar40.value", 1)``; lists of scalars stay whole."""
    if isinstance(value, dict):
        if not value and prefix:
            yield prefix, {}
        for key, item in value.items():
            yield from flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        for i, item in enumerate(value):
            name = _list_key(item, i)
            yield from flatten(item, f"{prefix}.{name}" if prefix else name)
    else:
        yield prefix, _shown(value)


def _document(repo: DataRepo, blob: str | None, path: str) -> dict[str, Any] | None:
    if blob is None:
        return None
    data = blob_at(repo.git.raw, blob).data
    if path.endswith(".log"):
        return {"text": _shown(data.decode("utf-8", "replace"))}
    try:
        return dict(flatten(loads(data, path=path, repo=repo.name)))
    except CorruptFileError as exc:
        return {"": f"unreadable: {exc}"}


def value_changes(repo: DataRepo, change: FileChange) -> list[ValueChange]:
    """Every key whose value differs before and after ``change`` (absent → ``None``)."""
    before = _document(repo, change.before, change.path) or {}
    after = _document(repo, change.after, change.path) or {}
    keys = list(before) + [k for k in after if k not in before]
    return [
        ValueChange(change.kind, key, before.get(key), after.get(key))
        for key in keys
        if before.get(key) != after.get(key) or (key in before) != (key in after)
    ]


def entry_changes(repo: DataRepo, entry: HistoryEntry) -> list[ValueChange]:
    return [v for f in entry.files for v in value_changes(repo, f)]
