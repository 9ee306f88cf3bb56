"""Garbage collection of the object store.

The caller decides what is in use (``LabCache.gc``: every branch of every repository,
uncommitted pointers in working trees, and the objects run records need); this module
expands manifests to their files and deletes the rest — manifests first, so a manifest
never names a deleted file — plus temp files that killed processes left.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ardvc.cache import manifest as manifests
from ardvc.cache.store import Cache
from ardvc.errors import CorruptObjectError, ObjectMissingError
from ardvc.logs import get_logger


@dataclass
class GcReport:
    removed: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    kept: int = 0
    temps_removed: int = 0
    unexpanded: list[str] = field(default_factory=list)
    """Referenced manifests the cache lacks (or that are corrupt): their files could not
    be listed, so any object only they name is removed (it is useless without them)."""
    dry_run: bool = False


def expand(cache: Cache, oids: Iterable[str], unexpanded: list[str] | None = None) -> set[str]:
    """``oids`` plus the files of every manifest among them that the cache holds."""
    out = set(oids)
    for oid in [o for o in out if o.endswith(manifests.DIR_SUFFIX)]:
        try:
            out.update(e.hash for e in manifests.decode(cache.odb.read_bytes(oid), oid).entries)
        except (ObjectMissingError, CorruptObjectError):
            if unexpanded is not None:
                unexpanded.append(oid)
    return out


def collect_garbage(
    cache: Cache,
    keep: set[str],
    *,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> GcReport:
    report = GcReport(dry_run=dry_run)
    used = expand(cache, keep, report.unexpanded)
    unused = [o for o in cache.odb.oids() if o not in used]
    unused.sort(key=lambda o: (not o.endswith(manifests.DIR_SUFFIX), o))
    report.kept = len(used)
    for oid in unused:
        path = cache.odb.path_str(oid)
        try:
            report.freed_bytes += os.stat(path).st_size
        except FileNotFoundError:
            continue
        if not dry_run:
            os.unlink(path)
        report.removed.append(oid)
        if progress:
            progress(1)
    for tmp in cache.odb.stale_temps():
        if not dry_run:
            tmp.unlink(missing_ok=True)
        report.temps_removed += 1
    if report.unexpanded:
        get_logger("cache").warning(
            "gc: %d referenced manifests are not in the cache; fetch them to keep their files",
            len(report.unexpanded),
        )
    return report
