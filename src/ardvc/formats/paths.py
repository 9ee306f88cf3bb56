"""Pychron's path and shard algorithm (pychron-format.md §3).

A file is addressed by (name, modifier) inside one repository; ``name`` is a uuid or a run
ID. Readers try a list of shard lengths because shards of different lengths coexist and can
overlap (``cf/`` beside ``cff52/``); writers use one forced length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ardvc.formats.names import check_safe_name
from ardvc.formats.runid import UUID_RE, WISCAR_RE

# Modifier → (directory, file suffix). The suffix is ``modifier[:4]`` joined with "." unless
# the modifier starts with "." itself (".data" → ".dat").
MODIFIERS: tuple[str, ...] = (
    ".data",
    "intercepts",
    "baselines",
    "blanks",
    "icfactors",
    "tags",
    "peakcenter",
    "extraction",
    "monitor",
    "logs",
    "ia",
    "cosmogenic",
    "productions",
)
HISTORY_MODIFIERS: tuple[str | None, ...] = (
    None,
    ".data",
    "baselines",
    "blanks",
    "icfactors",
    "intercepts",
    "tags",
)
REDUCTION_ROOT = "reduction"
"""Since 2026 Pychron keeps reduction-only artefacts (tags, ia) under ``reduction/``."""
REDUCTION_MODIFIERS = frozenset({"tags", "ia"})

WRITE_SHARD = 2
"""ardvc writes uuid names with 2-character shards only (format §3.3)."""


def normalise_name(name: str) -> str:
    """``:`` → ``_`` (WiscAr identifiers such as ``UW144:A1``), then refuse unsafe names."""
    return check_safe_name(name.replace(":", "_"), what="analysis name")


def shard_lengths(name: str) -> tuple[int, ...]:
    """Candidate shard lengths for reading ``name``, in Pychron's order.

    A 2-character fallback is appended for run IDs: Pychron's own writer produced such
    paths after 2021 (``66/681-03L.json``) although its reader cannot find them.
    """
    if UUID_RE.match(name):
        return (5, 3, 2)
    if WISCAR_RE.match(name):
        return (3, 2)
    if name.count("-") > 1:
        first = name.split("-", 1)[0]
        return (4, 2) if len(first) == 1 else (5, 2)
    return (3, 2)


def suffix(modifier: str) -> str:
    return modifier[:4] if modifier.startswith(".") else "." + modifier[:4]


def extension_for(modifier: str | None) -> str:
    return ".log" if modifier == "logs" else ".json"


@dataclass(frozen=True, slots=True)
class FileAddress:
    """Where one file of an analysis lives, relative to the repository root."""

    shard: str
    tail: str
    modifier: str | None = None
    reduction: bool = False

    @property
    def path(self) -> str:
        if self.modifier is None:
            return f"{self.shard}/{self.tail}.json"
        head = f"{REDUCTION_ROOT}/" if self.reduction else ""
        file = f"{self.tail}{suffix(self.modifier)}{extension_for(self.modifier)}"
        return f"{head}{self.shard}/{self.modifier}/{file}"


def address(name: str, shard_length: int, modifier: str | None = None) -> FileAddress:
    name = normalise_name(name)
    return FileAddress(name[:shard_length], name[shard_length:], modifier)


def candidate_addresses(name: str, modifier: str | None = None) -> Iterator[FileAddress]:
    """Every place a reader looks for (name, modifier), in order.

    For ``tags`` and ``ia`` the ``reduction/`` location is tried before the legacy one.
    """
    name = normalise_name(name)
    for length in shard_lengths(name):
        if len(name) <= length:
            continue
        base = FileAddress(name[:length], name[length:], modifier)
        if modifier in REDUCTION_MODIFIERS:
            yield FileAddress(base.shard, base.tail, modifier, reduction=True)
        yield base


def resolve(name: str, exists: Callable[[str], bool], modifier: str | None = None) -> str | None:
    """The first existing path for (name, modifier), or ``None``."""
    for candidate in candidate_addresses(name, modifier):
        path = candidate.path
        if exists(path):
            return path
    return None


def write_address(uuid: str, modifier: str | None = None) -> FileAddress:
    """Where ardvc writes a new file: uuid name, 2-character shard."""
    if not UUID_RE.match(uuid):
        raise ValueError(f"ardvc writes analyses by uuid4 only, not {uuid!r}")
    return address(uuid, WRITE_SHARD, modifier)


def ia_address(identifier: str, number: int | None, *, reduction: bool = False) -> FileAddress:
    """IA files: ``<id[:3]>/ia/<id[3:]>_<nnnnn>.ia.json``; ``number=None`` → legacy name."""
    identifier = normalise_name(identifier)
    tail = identifier[3:] if number is None else f"{identifier[3:]}_{number:05d}"
    return FileAddress(identifier[:3], tail, "ia", reduction=reduction)


def split_main_path(path: str) -> tuple[str, str] | None:
    """``"657/61-05.json"`` → ``("657", "61-05")``; ``None`` for anything else."""
    parts = path.split("/")
    if len(parts) != 2 or not parts[1].endswith(".json"):
        return None
    shard, file = parts
    if shard.startswith(".") or shard in {REDUCTION_ROOT, "csv"}:
        return None
    return shard, file[: -len(".json")]
