"""Tagging analyses (``ok``, ``omit``, ``invalid`` …) in git, as Pychron did until 2020.

A tag file is ``{"name", "note", "subgroup"}`` (pychron-format.md §5.10), written where the
analysis already has one (a legacy ``<shard>/tags/`` file keeps being used) or under
``reduction/<shard>/tags/``. All analyses tagged together go into one commit,
``<TAG> omit   69421-02A - 69421-02C`` (first and last run ID), which Pychron's history view
and ``git log --grep`` find.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ardvc.data.repo import DataRepo
from ardvc.data.write import write_modifiers
from ardvc.errors import UsageError
from ardvc.formats.tags import KNOWN_TAGS
from ardvc.gitstore import Author, CommitResult
from ardvc.gitstore.messages import tag_message

_TAG_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,39}$")
"""Pychron's tag column holds 40 characters; no spaces, so the message stays parseable."""


def check_tag(name: str) -> str:
    """The tag as it will be stored (lower case), or a clear refusal."""
    tag = name.strip().lower()
    if not _TAG_NAME.match(tag):
        raise UsageError(
            f"not a usable tag name: {name!r}",
            hint=f"use one of {', '.join(KNOWN_TAGS)}, or letters, digits, _ . - (≤ 40)",
        )
    return tag


def write_tags(
    repo: DataRepo,
    names: Sequence[str],
    tag: str,
    author: Author,
    *,
    note: str | None = None,
    branch: str | None = None,
) -> CommitResult:
    """Tag every analysis in ``names`` (run IDs or uuids, read at the branch head) in one
    commit; an existing file keeps its ``subgroup`` (and ``note`` unless one is given)."""
    if not names:
        raise UsageError("name at least one analysis to tag")
    value = check_tag(tag)
    head = repo.git.branch_head(repo.git.target_branch(branch) or "")
    analyses = [repo.analysis(name, head) for name in dict.fromkeys(names)]
    updates = {}
    for analysis in analyses:
        old = analysis.tag_file
        updates[(analysis.name, "tags")] = {
            "name": value,
            "note": note if note is not None else (old.note if old else ""),
            "subgroup": old.subgroup if old else "",
        }
    ids = sorted(a.record_id for a in analyses)
    return write_modifiers(
        repo, updates, tag_message(value, ids[0], ids[-1]), author, branch=branch
    )
