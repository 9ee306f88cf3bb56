"""Value history of one analysis: every commit that changed one of its files, with the
values before and after (``ardvc log``) and the difference between any two revisions
(``ardvc diff``).

An analysis' files are not always where its reader finds them today: tags moved under
``reduction/`` in 2026, Pychron wrote 2-character shards for run IDs after 2021, IA files
got numbered names. A :class:`Watch` lists, per file kind, every path a reader would try
(in the reader's order); at each commit the first existing one is *the* file of that kind,
so a move shows as a move with its value differences, not as a delete and an add.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pygit2

from ardvc.data import Analysis, DataRepo
from ardvc.data.analysis import ANALYSIS_MODIFIERS
from ardvc.errors import AnalysisNotFoundError, UsageError
from ardvc.formats.paths import (
    REDUCTION_MODIFIERS,
    REDUCTION_ROOT,
    FileAddress,
    candidate_addresses,
    normalise_name,
    shard_lengths,
)
from ardvc.gitstore.history import commit_time
from ardvc.gitstore.messages import message_tag
from ardvc.gitstore.objects import blob_at, lookup, name_of
from ardvc.provenance.valuediff import FileDiff, Version, diff_file

ITEMS: tuple[str, ...] = ("main", *ANALYSIS_MODIFIERS, "ia")
"""File kinds of an analysis that history can follow (``main`` = the analysis file)."""
VALUE_ITEMS: tuple[str, ...] = (
    "main",
    "intercepts",
    "baselines",
    "blanks",
    "icfactors",
    "tags",
    "ia",
)
"""What ``ardvc log`` follows unless told otherwise: the files that hold values."""
_IA_NUMBER = re.compile(r"^_\d+$")

State = dict[str, tuple[str, str]]
"""item → (path, blob id) of the file a reader uses at one commit."""


def check_items(items: Iterable[str] | None) -> tuple[str, ...]:
    """Validated file kinds (default :data:`VALUE_ITEMS`)."""
    chosen = tuple(items) if items else VALUE_ITEMS
    unknown = [i for i in chosen if i not in ITEMS]
    if unknown:
        raise UsageError(
            f"unknown file kind {', '.join(unknown)}", hint=f"known: {', '.join(ITEMS)}"
        )
    return chosen


@dataclass(frozen=True)
class Watch:
    """Every place the files of one analysis may be, per kind, in reader order."""

    name: str
    """Shard + tail of the main file (uuid or run ID)."""
    names: tuple[str, ...]
    """Run ID and uuid: how an IA file lists the analysis."""
    candidates: dict[str, tuple[str, ...]]
    ia_folders: tuple[tuple[str, str], ...] = ()
    """(folder, file-name prefix) of the identifier's IA files, ``reduction/`` first."""

    @classmethod
    def of(cls, analysis: Analysis, items: Iterable[str] = ITEMS) -> Watch:
        chosen = check_items(items)
        main_path = analysis.path(None) or ""
        shard = main_path.split("/", 1)[0]
        tail = analysis.name[len(shard) :]
        candidates: dict[str, tuple[str, ...]] = {}
        for item in chosen:
            if item == "ia":
                continue
            modifier = None if item == "main" else item
            own = [FileAddress(shard, tail, modifier)]
            if modifier in REDUCTION_MODIFIERS:
                own.insert(0, FileAddress(shard, tail, modifier, reduction=True))
            paths = [a.path for a in own]
            paths += [a.path for a in candidate_addresses(analysis.name, modifier)]
            candidates[item] = tuple(dict.fromkeys(paths))
        main = analysis.main
        names = tuple(n for n in (main.record_id, main.uuid) if n)
        folders = _ia_folders(main.identifier) if "ia" in chosen else ()
        return cls(analysis.name, names, candidates, folders)

    @property
    def top_level(self) -> tuple[str, ...]:
        """Root folders holding every watched path (a cheap test for "nothing changed")."""
        paths = [p for group in self.candidates.values() for p in group]
        paths += [folder for folder, _ in self.ia_folders]
        return tuple(dict.fromkeys(p.split("/", 1)[0] for p in paths))

    def state(self, tree: pygit2.Tree) -> State:
        """The file of each kind a reader would use in ``tree``."""
        out: State = {}
        for item, paths in self.candidates.items():
            for path in paths:
                obj = lookup(tree, path)
                if isinstance(obj, pygit2.Blob):
                    out[item] = (path, str(obj.id))
                    break
        for folder, prefix in self.ia_folders:
            found = lookup(tree, folder)
            if not isinstance(found, pygit2.Tree):
                continue
            for entry in found:
                file = name_of(entry)
                if entry.type_str == "blob" and _is_ia_of(file, prefix):
                    out.setdefault(f"ia:{file}", (f"{folder}/{file}", str(entry.id)))
        return out


def _ia_folders(identifier: str) -> tuple[tuple[str, str], ...]:
    ident = normalise_name(identifier)
    out: list[tuple[str, str]] = []
    for length in shard_lengths(f"{ident}_00000"):
        if len(ident) <= length:
            continue
        shard, prefix = ident[:length], ident[length:]
        out.append((f"{REDUCTION_ROOT}/{shard}/ia", prefix))
        out.append((f"{shard}/ia", prefix))
    return tuple(dict.fromkeys(out))


def _is_ia_of(file: str, prefix: str) -> bool:
    if not file.endswith(".ia.json") or not file.startswith(prefix):
        return False
    rest = file[len(prefix) : -len(".ia.json")]
    return rest == "" or bool(_IA_NUMBER.match(rest))


@dataclass(frozen=True)
class Revision:
    """One commit that changed files of the analysis, with their value differences."""

    commit: str
    parents: tuple[str, ...]
    message: str
    author: str
    email: str
    time: datetime
    files: list[FileDiff] = field(default_factory=list)

    @property
    def tag(self) -> str | None:
        return message_tag(self.message)

    @property
    def summary(self) -> str:
        return self.message.splitlines()[0] if self.message else ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "parents": list(self.parents),
            "tag": self.tag,
            "message": self.message,
            "author": self.author,
            "email": self.email,
            "time": self.time.isoformat(),
            "files": [f.as_dict() for f in self.files],
        }


def _root_ids(tree: pygit2.Tree, names: Sequence[str]) -> tuple[str | None, ...]:
    out = []
    for name in names:
        obj = lookup(tree, name)
        out.append(None if obj is None else str(obj.id))
    return tuple(out)


def _version(raw: pygit2.Repository, entry: tuple[str, str] | None) -> Version:
    if entry is None:
        return Version()
    path, oid = entry
    return Version(path, oid, blob_at(raw, oid).data)


def diff_states(
    raw: pygit2.Repository, before: State, after: State, names: tuple[str, ...]
) -> list[FileDiff]:
    """Value differences of every item whose file (path or blob) differs."""
    items = list(dict.fromkeys([*after, *before]))
    out = []
    for item in sorted(items, key=_item_order):
        old, new = before.get(item), after.get(item)
        if old == new:
            continue
        out.append(diff_file(item, _version(raw, old), _version(raw, new), names))
    return out


def _item_order(item: str) -> tuple[int, str]:
    base = "ia" if item.startswith("ia:") else item
    return (ITEMS.index(base) if base in ITEMS else len(ITEMS), item)


def changed_commits(
    repo: DataRepo, watch: Watch, rev: str | None
) -> Iterator[tuple[pygit2.Commit, State, State]]:
    """(commit, state at its first parent, state at the commit) of every commit that
    changed a watched file, newest first, simplified as ``git log -- paths`` is: a merge
    whose files equal those of one of its parents is not a change."""
    raw = repo.git.raw
    start = repo.git.resolve(rev)
    top = watch.top_level
    sort = pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.TIME
    for commit in raw.walk(start.id, sort):
        parents = list(commit.parents)
        tree = commit.tree
        roots = _root_ids(tree, top)
        if parents and any(_root_ids(p.tree, top) == roots for p in parents):
            continue
        now = watch.state(tree)
        befores = [watch.state(p.tree) for p in parents]
        if (befores and now in befores) or (not befores and not now):
            continue
        yield commit, (befores[0] if befores else {}), now


def _revision(commit: pygit2.Commit, files: list[FileDiff]) -> Revision:
    return Revision(
        commit=str(commit.id),
        parents=tuple(str(p) for p in commit.parent_ids),
        message=commit.message.rstrip("\n"),
        author=commit.author.name,
        email=commit.author.email,
        time=commit_time(commit),
        files=files,
    )


def value_history(
    repo: DataRepo,
    name: str,
    *,
    rev: str | None = None,
    items: Iterable[str] | None = None,
    limit: int | None = None,
) -> Iterator[Revision]:
    """The commits reachable from ``rev`` that changed the analysis' files of the given
    kinds (default: the value files), newest first, each with its value differences."""
    analysis = repo.analysis(name, rev)
    watch = Watch.of(analysis, check_items(items))
    for count, (commit, before, after) in enumerate(changed_commits(repo, watch, rev), 1):
        yield _revision(commit, diff_states(repo.git.raw, before, after, watch.names))
        if limit is not None and count >= limit:
            return


@dataclass(frozen=True)
class ValueDiff:
    """``ardvc diff``: the analysis' files at two revisions, compared value by value."""

    repo: str
    name: str
    record_id: str
    rev1: str
    rev2: str
    files: list[FileDiff]

    def as_dict(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "name": self.name,
            "record_id": self.record_id,
            "rev1": self.rev1,
            "rev2": self.rev2,
            "files": [f.as_dict() for f in self.files],
        }


def value_diff(
    repo: DataRepo, name: str, rev1: str, rev2: str | None = None, items: Iterable[str] = ITEMS
) -> ValueDiff:
    """The value-level difference of an analysis between ``rev1`` and ``rev2`` (default
    the head). The analysis must exist at one of them; its files are followed across
    moves."""
    first, second = repo.git.resolve(rev1), repo.git.resolve(rev2)
    try:
        analysis = repo.analysis(name, str(second.id))
    except AnalysisNotFoundError:  # removed by rev2: locate it at rev1 (or fail there)
        analysis = repo.analysis(name, str(first.id))
    watch = Watch.of(analysis, check_items(items))
    files = diff_states(
        repo.git.raw, watch.state(first.tree), watch.state(second.tree), watch.names
    )
    return ValueDiff(
        repo.name, analysis.name, analysis.record_id, str(first.id), str(second.id), files
    )
