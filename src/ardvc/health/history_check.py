"""fsck: mass-deletion commits anywhere in the history of the lab's repositories.

Pychron staged whatever was in the git index, and three times a stale index committed a
MetaRepo with nearly every file gone ("repo updated for analysis …"). ardvc refuses such
commits (``core.max_deletions``), but the old ones stay in history; fsck lists them and
says whether the files came back.

Every commit reachable from any branch, remote-tracking branch or tag is visited once.
Deletions are counted with a tree walk that descends only into subtrees whose ids differ
(file counts of whole deleted subtrees are cached), so MetaData's 11,043 commits take
about a second. A merge is charged with the deletions against the parent it is closest to.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pygit2
from pygit2.enums import DeltaStatus, SortMode

from ardvc.gitstore import GitRepo
from ardvc.gitstore.history import commit_time
from ardvc.gitstore.objects import lookup, name_of, tree_at
from ardvc.health.findings import Finding, LabView

WIPE_FRACTION = 0.5
"""A commit deleting at least this fraction of its parent's files is a wipe, whatever
the count."""
MIN_WIPE = 3
"""...provided it deletes at least this many files (a repository of two files is not
wiped by removing one)."""
SHOWN_PATHS = 3


@dataclass(frozen=True)
class Deletion:
    """A commit that deleted many files (against the parent it is closest to)."""

    commit: str
    parent: str
    deleted: int
    files_before: int
    time: datetime
    author: str
    summary: str

    @property
    def fraction(self) -> float:
        return self.deleted / self.files_before if self.files_before else 0.0


class _Counter:
    """Deleted-file counts between trees, with file counts of subtrees cached."""

    def __init__(self, raw: pygit2.Repository) -> None:
        self.raw = raw
        self.sizes: dict[pygit2.Oid, int] = {}

    def files(self, oid: pygit2.Oid) -> int:
        if oid not in self.sizes:
            tree = tree_at(self.raw, oid)
            self.sizes[oid] = sum(self.files(e.id) if e.type_str == "tree" else 1 for e in tree)
        return self.sizes[oid]

    def deleted(self, old: pygit2.Tree, new: pygit2.Tree) -> int:
        if old.id == new.id:
            return 0
        after = {name_of(e): e for e in new}
        count = 0
        for entry in old:
            other = after.get(name_of(entry))
            if other is None:
                count += self.files(entry.id) if entry.type_str == "tree" else 1
            elif entry.type_str == "tree" and other.id != entry.id:
                if other.type_str == "tree":
                    count += self.deleted(tree_at(self.raw, entry.id), tree_at(self.raw, other.id))
                else:
                    count += self.files(entry.id)
        return count


def _tips(raw: pygit2.Repository) -> list[pygit2.Oid]:
    tips = []
    for name in raw.references:
        if not name.startswith(("refs/heads/", "refs/remotes/", "refs/tags/")):
            continue
        try:
            commit = raw.references[name].peel(pygit2.Commit)
        except (pygit2.GitError, ValueError, KeyError):
            continue  # a tag of a tree or blob, or a symbolic ref to nothing
        tips.append(commit.id)
    return list(dict.fromkeys(tips))


def mass_deletions(git: GitRepo, limit: int) -> Iterator[Deletion]:
    """Commits (on any ref) deleting more than ``limit`` files, or at least
    :data:`WIPE_FRACTION` of them; newest first."""
    raw = git.raw
    tips = _tips(raw)
    if not tips:
        return
    walker = raw.walk(tips[0], SortMode.TOPOLOGICAL | SortMode.TIME)
    for tip in tips[1:]:
        walker.push(tip)
    counter = _Counter(raw)
    for commit in walker:
        if not commit.parents:
            continue
        counts = [(counter.deleted(p.tree, commit.tree), p) for p in commit.parents]
        deleted, parent = min(counts, key=lambda c: c[0])
        if deleted <= 1:
            continue
        before = counter.files(parent.tree.id)
        wipe = deleted >= MIN_WIPE and deleted >= WIPE_FRACTION * before
        if deleted > limit or wipe:
            yield Deletion(
                str(commit.id),
                str(parent.id),
                deleted,
                before,
                commit_time(commit),
                commit.author.name,
                commit.message.split("\n", 1)[0],
            )


def deleted_paths(git: GitRepo, deletion: Deletion) -> list[str]:
    """The files the commit deleted, leaving out dot-files (``.DS_Store``; folders such as
    ``.data/`` count), which nobody restores and nothing reads."""
    diff = git.raw.diff(deletion.parent, deletion.commit)
    deleted = (d.old_file.path for d in diff.deltas if d.status == DeltaStatus.DELETED)
    return [p for p in deleted if not p.rsplit("/", 1)[-1].startswith(".")]


def restoration(git: GitRepo, deletion: Deletion, paths: list[str]) -> tuple[str | None, list[str]]:
    """(the later commit that brought most deleted files back, the files that never came
    back). Later = descending from the deletion, on any ref: a revert, a recovery commit
    or a merge with an intact branch usually restores everything at once."""
    raw = git.raw
    walker = raw.walk(None, SortMode.TOPOLOGICAL | SortMode.REVERSE)
    for tip in _tips(raw):
        walker.push(tip)
    start = pygit2.Oid(hex=deletion.commit)
    walker.hide(start)
    after = {start}
    left, best, most = set(paths), None, 0
    for commit in walker:  # parents come before their children
        if not any(p in after for p in commit.parent_ids):
            continue  # a parallel line, not a consequence of the deletion
        after.add(commit.id)
        back = {p for p in left if lookup(commit.tree, p) is not None}
        if len(back) > most:
            best, most = f"{commit.short_id} '{commit.message.splitlines()[0]}'", len(back)
        left -= back
        if not left:
            break
    return best, sorted(left)


def _finding(git: GitRepo, name: str, deletion: Deletion) -> Finding:
    restored_by, never = restoration(git, deletion, deleted_paths(git, deletion))
    pct = f"{100 * deletion.fraction:.0f}%"
    detail = (
        f"{deletion.time:%Y-%m-%d} {deletion.author}: '{deletion.summary}' deleted "
        f"{deletion.deleted} of {deletion.files_before} files ({pct})"
    )
    wipe = deletion.fraction >= WIPE_FRACTION
    if not never:
        remedy = f"restored later (by {restored_by}); nothing to do"
        severity = "warning" if wipe else "info"
    else:
        shown = ", ".join(never[:SHOWN_PATHS]) + (" …" if len(never) > SHOWN_PATHS else "")
        remedy = (
            f"{len(never)} of them never came back ({shown}); if that was not intended, "
            f"restore them from the parent: git -C {git.path} checkout "
            f"{deletion.parent[:12]} -- <paths>, then commit"
        )
        severity = "error" if wipe else "warning"
    subject = {"repo": name, "commit": deletion.commit, "never_restored": str(len(never))}
    where = f"{name}@{deletion.commit[:8]}"
    return Finding("mass-deletion", where, detail, False, remedy, severity, subject)


def check_history(view: LabView) -> Iterator[Finding]:
    """Mass-deletion commits in every repository of the lab, the MetaRepo included."""
    limit = int(view.config.get("core.max_deletions"))
    for source in view.sources():
        git = GitRepo(source.path)
        for deletion in mass_deletions(git, limit):
            yield _finding(git, source.name, deletion)
