"""Finding analyses in a data repository's tree at one commit.

Main files are ``<shard>/<tail>.json`` (one folder deep); the analysis name is
``shard + tail`` — a uuid or a run ID depending on the era that wrote it. Root-level JSON
files are spectrometer files or frozen flux/production files, never analyses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pygit2

from ardvc.formats.paths import REDUCTION_ROOT
from ardvc.formats.runid import is_uuid

_NOT_SHARDS = {REDUCTION_ROOT, "csv", ".git", ".github"}


@dataclass(frozen=True, slots=True)
class MainFile:
    """One analysis main file found in a tree."""

    path: str
    shard: str
    tail: str
    blob_id: str

    @property
    def name(self) -> str:
        return self.shard + self.tail

    @property
    def named_by_uuid(self) -> bool:
        return is_uuid(self.name)


def main_files(repo: pygit2.Repository, tree: pygit2.Tree) -> Iterator[MainFile]:
    """Every main analysis file in ``tree``, in tree order."""
    for entry in tree:
        if entry.type_str != "tree" or entry.name in _NOT_SHARDS or entry.name.startswith("."):
            continue
        shard_tree = repo[entry.id]
        for item in shard_tree:
            if item.type_str == "blob" and item.name.endswith(".json"):
                yield MainFile(
                    f"{entry.name}/{item.name}",
                    entry.name,
                    item.name[: -len(".json")],
                    str(item.id),
                )


def root_json_files(tree: pygit2.Tree) -> list[str]:
    """Names of the JSON files at the repository root (spectrometer and frozen files)."""
    return sorted(e.name for e in tree if e.type_str == "blob" and e.name.endswith(".json"))
