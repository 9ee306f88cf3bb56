"""What ``ardvc fsck`` and ``ardvc doctor`` are made of: independent checks, each returning
small value objects, run by one loop that also repairs and then verifies its repairs.

A check never repairs by itself: ``fsck --repair`` calls the check's ``repair`` with the
repairable findings and then runs the check again — only what the second run no longer
finds is reported as repaired. New checks (the cache's pointers and objects) are added by
appending a :class:`Check` to :data:`ardvc.health.fsck.CHECKS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ardvc.config import Config
from ardvc.index.catalog import Catalog
from ardvc.index.sync import Source
from ardvc.persist.outbox import Outbox

SEVERITIES = ("error", "warning", "info")
"""``error``: something is wrong or lost; ``warning``: needs attention, nothing is lost;
``info``: worth knowing (an index a few commits behind)."""


@dataclass(frozen=True)
class Finding:
    """One problem: what kind, where, the details, whether ardvc can fix it, and what a
    person should do."""

    kind: str
    where: str
    detail: str
    repairable: bool
    remedy: str
    severity: str = "error"
    subject: Mapping[str, str] = field(default_factory=dict)
    """Machine-readable target for the repair (repository, branch, outbox entry …)."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.where)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "where": self.where,
            "detail": self.detail,
            "repairable": self.repairable,
            "remedy": self.remedy,
            "severity": self.severity,
            "subject": dict(self.subject),
        }


@dataclass(frozen=True)
class LabView:
    """What the checks may look at: the lab's root, configuration, repositories (as the
    index sees them), the index and the outbox. Built by :meth:`ardvc.api.Lab.fsck`."""

    root: Path
    config: Config
    sources: Callable[[], Sequence[Source]]
    catalog: Callable[[], Catalog]
    outbox: Outbox


Repair = Callable[[LabView, Sequence[Finding]], list[str]]


@dataclass(frozen=True)
class Check:
    """An independent consistency check: ``run`` lists findings; ``repair`` (optional)
    fixes repairable ones and says what it did."""

    name: str
    description: str
    run: Callable[[LabView], Iterable[Finding]]
    repair: Repair | None = None


@dataclass
class CheckResult:
    name: str
    findings: list[Finding]
    """What the check found (before any repair)."""
    actions: list[str] = field(default_factory=list)
    """What a repair did."""
    remaining: list[Finding] | None = None
    """After a repair: what the check still finds (``None``: no repair ran)."""

    @property
    def outstanding(self) -> list[Finding]:
        return self.findings if self.remaining is None else self.remaining

    @property
    def repaired(self) -> list[Finding]:
        if self.remaining is None:
            return []
        left = {f.key for f in self.remaining}
        return [f for f in self.findings if f.key not in left]

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "findings": [f.as_dict() for f in self.findings],
            "actions": self.actions,
            "repaired": [f.as_dict() for f in self.repaired],
            "remaining": [f.as_dict() for f in self.outstanding],
        }


@dataclass(frozen=True)
class DoctorCheck:
    """One line of ``ardvc doctor``: ``status`` is ``ok``, ``info``, ``warn`` or ``fail``."""

    name: str
    status: str
    detail: str
    remedy: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "status": self.status,
            "detail": self.detail,
            "remedy": self.remedy,
        }
