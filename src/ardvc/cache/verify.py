"""``ardvc cache verify``: re-hash every object; report (and with ``repair`` remove) the
corrupt ones. Manifests must also decode. Runs on ``jobs`` threads."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from ardvc.cache import manifest as manifests
from ardvc.cache.hashing import chunked_map
from ardvc.cache.store import Cache
from ardvc.errors import CorruptObjectError


@dataclass
class VerifyReport:
    checked: int = 0
    corrupt: dict[str, str] = field(default_factory=dict)
    """oid → what is wrong."""
    removed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.corrupt


def _problem(cache: Cache, oid: str) -> str | None:
    actual = cache.odb.verify(oid)
    if actual is not None:
        return f"content hashes to {actual}"
    if oid.endswith(manifests.DIR_SUFFIX):
        try:
            manifests.decode(cache.odb.read_bytes(oid), oid)
        except CorruptObjectError as exc:
            return str(exc)
    return None


def verify(
    cache: Cache, *, repair: bool = False, progress: Callable[[int], None] | None = None
) -> VerifyReport:
    report = VerifyReport()
    oids = sorted(cache.odb.oids())
    for oid, problem in chunked_map(lambda o: _problem(cache, o), oids, cache.settings.jobs, 16):
        report.checked += 1
        if problem is not None:
            report.corrupt[oid] = problem
        if progress:
            progress(1)
    if repair:
        for oid in sorted(report.corrupt, key=lambda o: not o.endswith(manifests.DIR_SUFFIX)):
            os.unlink(cache.odb.path_str(oid))
            report.removed.append(oid)
    return report
