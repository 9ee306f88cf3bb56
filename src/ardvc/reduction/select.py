"""Choosing analyses and MetaRepo states for a reduction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pygit2

from ardvc.data import Analysis, DataRepo
from ardvc.errors import ArdvcError, UsageError
from ardvc.gitstore import GitRepo
from ardvc.gitstore.history import commit_time

DEFAULT_TYPES = ("unknown",)


def _sort_key(analysis: Analysis) -> tuple[str, int, int, str]:
    try:
        main = analysis.main
    except ArdvcError:
        return ("~", 0, 0, analysis.name)  # unreadable ones last, still reported
    return (main.identifier, main.aliquot, main.increment if main.increment is not None else -1, "")


def select_analyses(
    repo: DataRepo,
    rev: str | None = None,
    *,
    names: Sequence[str] = (),
    identifiers: Sequence[str] = (),
    types: Sequence[str] | None = DEFAULT_TYPES,
) -> list[Analysis]:
    """Named analyses (run IDs or uuids), else every analysis of the given identifiers and
    types at ``rev``, in identifier/aliquot/step order. ``types=None`` keeps every type."""
    if names:
        return [repo.analysis(name, rev) for name in names]
    wanted = set(identifiers)
    kinds = None if types is None else {t.lower() for t in types}
    chosen = []
    for analysis in repo.analyses(rev):
        try:
            main = analysis.main
        except ArdvcError:
            chosen.append(analysis)  # reduced as a failure that names the corrupt file
            continue
        if wanted and main.identifier not in wanted:
            continue
        if kinds is not None and main.normalised_analysis_type not in kinds:
            continue
        chosen.append(analysis)
    return sorted(chosen, key=_sort_key)


def commit_before(git: GitRepo, when: datetime, rev: str | None = None) -> str:
    """The last first-parent commit of ``rev`` made at or before ``when`` (naive = UTC)."""
    start = git.resolve(rev)
    stamp = when if when.tzinfo else when.astimezone()
    walker = git.raw.walk(start.id, pygit2.enums.SortMode.TIME)
    walker.simplify_first_parent()
    for commit in walker:
        if commit_time(commit) <= stamp:
            return str(commit.id)
    raise UsageError(f"{git.name} has no commit before {when.isoformat()}")
