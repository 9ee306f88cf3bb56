"""Artifact status: workspace vs pointer vs cache, with what to do about each difference.

:func:`artifacts_status` takes the pointers to check (the glue in
:mod:`ardvc.persist.artifacts` finds them in a data repository) and returns one
:class:`ArtifactStatus` row each. A no-op status of a folder of 10⁵ files costs a walk (on
helper processes, one per core: :mod:`ardvc.cache.walking`) and one memo lookup (see
:mod:`ardvc.cache.state`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ardvc.cache.pointer import Pointer
from ardvc.cache.store import Cache
from ardvc.cache.tree import build, lab_rel

OK = "ok"
MODIFIED = "modified"
NOT_CHECKED_OUT = "not checked out"
NOT_IN_CACHE = "not in cache"
UNCOMMITTED = "pointer not committed"


@dataclass(frozen=True, slots=True)
class ArtifactStatus:
    """One artifact. ``state`` is one of the module constants; ``remedy`` says what to run
    (``None`` when all is well)."""

    path: str
    state: str
    kind: str
    pointer_hash: str
    workspace_hash: str | None
    in_cache: bool
    size: int
    remedy: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Tracked:
    """What a caller found: the artifact path, its pointer, and whether the pointer file
    in the working tree is what the branch head holds."""

    path: Path
    pointer: Pointer
    committed: bool = True


def artifact_status(cache: Cache, item: Tracked) -> ArtifactStatus:
    rel = lab_rel(cache.root, item.path)
    pointer = item.pointer
    in_cache = cache.odb.exists(pointer.oid)
    workspace = None
    if item.path.exists():
        workspace = build(
            cache.state, cache.root, item.path, jobs=cache.settings.hash_jobs,
            scan_processes=min(cache.settings.processes, os.cpu_count() or 1),
        ).hash  # fmt: skip
    if workspace is None:
        state, remedy = (
            (NOT_CHECKED_OUT, f"ardvc checkout {rel}")
            if in_cache
            else (NOT_IN_CACHE, f"ardvc cache pull (fetches {rel} from the cache remote)")
        )
    elif workspace != pointer.hash:
        state = MODIFIED
        remedy = f"ardvc add {rel} (record the change) or ardvc checkout --force {rel} (discard it)"
    elif not in_cache:
        state, remedy = NOT_IN_CACHE, f"ardvc add {rel} (puts the workspace copy back in the cache)"
    elif not item.committed:
        state, remedy = UNCOMMITTED, f"ardvc add {rel} (commits its pointer)"
    else:
        state, remedy = OK, None
    return ArtifactStatus(rel, state, pointer.kind, pointer.hash, workspace, in_cache,
                          pointer.size, remedy)  # fmt: skip


def artifacts_status(
    cache: Cache, tracked: Iterable[Tracked], on_item: Callable[[], None] | None = None
) -> list[ArtifactStatus]:
    """A row per tracked artifact, in the order given."""
    rows = []
    for item in tracked:
        rows.append(artifact_status(cache, item))
        if on_item:
            on_item()
    return rows
