"""``ardvc fsck``: cross-checks of the lab's stores, each an independent :class:`Check`.

``--repair`` runs a check's repair on its repairable findings, then runs the check again
(up to :data:`ROUNDS` times, for repairs that uncover the next step: a fetch that lets
the outbox check decide). Findings the last run still reports are outstanding; nothing is
called repaired that a fresh run still finds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pygit2
from sqlalchemy.exc import SQLAlchemyError

from ardvc.errors import ArdvcError, UsageError
from ardvc.health.cache_check import check_cache, repair_cache
from ardvc.health.findings import Check, CheckResult, Finding, LabView
from ardvc.health.history_check import check_history
from ardvc.health.index_check import check_index, repair_index
from ardvc.health.outbox_check import check_outbox, repair_outbox

ROUNDS = 3
CHECKS: list[Check] = [
    Check(
        "index", "SQL index rows against git at each indexed branch head", check_index, repair_index
    ),
    Check("history", "mass-deletion commits in every repository's history", check_history),
    Check("outbox", "queued commits against what the remote has", check_outbox, repair_outbox),
    Check("cache", "artifact pointers against the cache objects", check_cache, repair_cache),
]
"""The checks ``ardvc fsck`` runs, in order."""

Progress = Callable[[str], None]


@dataclass
class FsckReport:
    results: list[CheckResult]

    @property
    def outstanding(self) -> list[Finding]:
        return [f for r in self.results for f in r.outstanding]

    @property
    def ok(self) -> bool:
        """No outstanding error (warnings and notes do not fail fsck)."""
        return not any(f.severity == "error" for f in self.outstanding)

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "checks": [r.as_dict() for r in self.results]}


def _run(check: Check, view: LabView) -> list[Finding]:
    """The check's findings; a check that cannot run is itself a finding, never silence."""
    try:
        return list(check.run(view))
    except (ArdvcError, SQLAlchemyError, pygit2.GitError, OSError) as exc:
        hint = exc.hint if isinstance(exc, ArdvcError) and exc.hint else "ardvc doctor"
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [
            Finding(
                "check-failed", check.name, f"{type(exc).__name__}: {message}", False, hint, "error"
            )
        ]


def choose(names: Sequence[str] = ()) -> list[Check]:
    known = {c.name: c for c in CHECKS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(
            f"unknown fsck check {', '.join(unknown)}", hint=f"checks: {', '.join(known)}"
        )
    return [known[n] for n in names] if names else list(CHECKS)


def fsck(
    view: LabView,
    *,
    repair: bool = False,
    checks: Sequence[str] = (),
    progress: Progress | None = None,
) -> FsckReport:
    """Run the chosen checks (default: all); with ``repair``, fix what can be fixed and
    verify it by running the check again."""
    results = []
    for check in choose(checks):
        if progress is not None:
            progress(check.name)
        found = _run(check, view)
        result = CheckResult(check.name, found)
        current = found
        for _ in range(ROUNDS if repair and check.repair is not None else 0):
            fixable = [f for f in current if f.repairable]
            if not fixable or check.repair is None:
                break
            try:
                result.actions.extend(check.repair(view, fixable))
            except (ArdvcError, SQLAlchemyError, pygit2.GitError, OSError) as exc:
                result.actions.append(f"repair failed: {type(exc).__name__}: {exc}")
                current = _run(check, view)
                break
            previous = {f.key for f in current}
            current = _run(check, view)
            if {f.key for f in current} == previous:
                break  # the repair changed nothing: a person is needed
        if repair and check.repair is not None and result.actions:
            result.remaining = current
        results.append(result)
    return FsckReport(results)
