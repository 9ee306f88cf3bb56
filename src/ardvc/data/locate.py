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
from ardvc.gitstore.objects import name_of, tree_at

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
        shard = name_of(entry)
        if entry.type_str != "tree" or shard in _NOT_SHARDS or shard.startswith("."):
            continue
        for item in tree_at(repo, entry.id):
            file = name_of(item)
            if item.type_str == "blob" and file.endswith(".json"):
                yield MainFile(f"{shard}/{file}", shard, file[: -len(".json")], str(item.id))


def root_json_files(tree: pygit2.Tree) -> list[str]:
    """Names of the JSON files at the repository root (spectrometer and frozen files)."""
    names = (name_of(e) for e in tree if e.type_str == "blob")
    return sorted(n for n in names if n.endswith(".json"))
