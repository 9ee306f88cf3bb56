"""Run IDs (``<identifier>-<aliquot:02d><step>``), step letters and uuids."""

from __future__ import annotations

import re
import uuid as _uuid
from dataclasses import dataclass

from ardvc.errors import UsageError
from ardvc.formats.names import check_safe_name

UUID_RE = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.IGNORECASE
)
"""Pychron's uuid4 pattern: decides the shard candidates (5, 3, 2)."""

WISCAR_RE = re.compile(r"^[A-Z]{3}[0-9]{4}$", re.IGNORECASE)
_RUNID_RE = re.compile(r"^(?P<identifier>.+)-(?P<aliquot>\d{2,})(?P<step>[A-Z]*)$")


def is_uuid(name: str) -> bool:
    return bool(UUID_RE.match(name))


def new_uuid() -> str:
    return str(_uuid.uuid4())


def step_letter(increment: int | None) -> str:
    """Bijective base-26: 0→A, 25→Z, 26→AA; ``None`` or negative → no step."""
    if increment is None or increment < 0:
        return ""
    letters = ""
    n = increment + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def increment_from_step(step: str) -> int | None:
    """Inverse of :func:`step_letter` (``""`` → ``None``)."""
    if not step:
        return None
    n = 0
    for char in step.upper():
        if not "A" <= char <= "Z":
            raise UsageError(f"invalid step {step!r}")
        n = n * 26 + (ord(char) - ord("A") + 1)
    return n - 1


@dataclass(frozen=True, slots=True, order=True)
class RunId:
    """A parsed run ID: identifier, aliquot and optional step increment."""

    identifier: str
    aliquot: int
    increment: int | None = None

    @property
    def step(self) -> str:
        return step_letter(self.increment)

    def __str__(self) -> str:
        return make_runid(self.identifier, self.aliquot, self.increment)


def make_runid(identifier: str, aliquot: int, increment: int | None = None) -> str:
    """``66681``, 3, 11 → ``66681-03L``; ``bu-FD-F``, 789 → ``bu-FD-F-789``."""
    return f"{identifier}-{aliquot:02d}{step_letter(increment)}"


def parse_runid(text: str) -> RunId:
    """Parse ``66052-01E`` → ``RunId("66052", 1, 4)``; the identifier may contain dashes."""
    check_safe_name(text, what="run ID")
    match = _RUNID_RE.match(text)
    if not match:
        raise UsageError(
            f"not a run ID: {text!r}",
            hint="a run ID is <identifier>-<aliquot><step>, e.g. 66681-03L or bu-FD-F-738",
        )
    return RunId(match["identifier"], int(match["aliquot"]), increment_from_step(match["step"]))
