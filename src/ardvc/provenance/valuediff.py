"""Value-level differences between two versions of one file of an analysis.

A text diff of Pychron's JSON answers the wrong question: a Python-2 file rewritten by
Python 3 changes every line and no value, while a bulk edit that scales one IC factor
changes one number among many lines. Here both versions are decoded and flattened into
``(key, field) → value`` pairs — key = isotope, detector, ``tag`` or the IA's ``group``
and analysis — and only values that really differ are reported (``1`` equals ``1.0``;
``true`` never equals ``1``). A file that changed bytes but no value is ``format-only``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ardvc.errors import ArdvcError
from ardvc.formats.ia import decode_ia
from ardvc.formats.jsonio import loads

KEYED = frozenset({"intercepts", "baselines", "blanks", "icfactors"})
"""Files keyed by isotope or detector: each top-level object is one entry."""
OPAQUE = frozenset({".data", "logs"})
"""Files compared by blob only (base64 series, plain-text logs)."""
PRIMARY = ("value", "error", "fit", "error_type", "n", "fn", "name", "age", "age_err")
"""Fields listed first, in this order; the rest follow alphabetically."""
LONG_TEXT = 80
LONG_LIST = 24
FILE_KEY = "(file)"
"""Key of top-level non-object values of keyed files (``"reviewed": true``)."""


@dataclass(frozen=True, slots=True)
class ValueChange:
    """One value that differs: ``None`` on a side means the field is absent there."""

    key: str
    field: str
    before: Any
    after: Any

    @property
    def ratio(self) -> float | None:
        """after / before for two finite numbers with before ≠ 0 (bulk edits scale)."""
        a, b = self.before, self.after
        if not _is_number(a) or not _is_number(b) or a == 0:
            return None
        if not (math.isfinite(a) and math.isfinite(b)):
            return None
        return float(b) / float(a)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "field": self.field,
            "before": self.before,
            "after": self.after,
            "ratio": self.ratio,
        }


@dataclass(frozen=True, slots=True)
class FileDiff:
    """How one file of an analysis differs between two states.

    ``status``: ``added``, ``removed``, ``modified``, ``moved`` (another path, e.g. a
    tag file moved under ``reduction/``), ``format-only`` (bytes changed, values did not)
    or ``unreadable`` (one side does not decode; ``error`` says why)."""

    item: str
    """``main``, a modifier (``intercepts``…) or ``ia:<file>``."""
    before_path: str | None
    after_path: str | None
    before_blob: str | None
    after_blob: str | None
    status: str
    changes: list[ValueChange] = field(default_factory=list)
    error: str | None = None

    @property
    def modifier(self) -> str:
        return "ia" if self.item.startswith("ia:") else self.item

    def as_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "before_path": self.before_path,
            "after_path": self.after_path,
            "before_blob": self.before_blob,
            "after_blob": self.after_blob,
            "status": self.status,
            "error": self.error,
            "changes": [c.as_dict() for c in self.changes],
        }


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def same(a: Any, b: Any) -> bool:
    """Value equality: ``1 == 1.0``, NaN equals NaN, a bool equals only a bool."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if _is_number(a) and _is_number(b):
        return a == b or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:10]


def _scalar(value: Any) -> Any:
    """Long strings (base64 series) become a short digest so a change still shows."""
    if isinstance(value, str) and len(value) > LONG_TEXT:
        return f"<{len(value)} characters, sha1 {_digest(value)}>"
    return value


def _reference_label(item: Mapping[str, Any]) -> str:
    exclude = item.get("exclude")
    mark = f" ({exclude})" if isinstance(exclude, str) and exclude else ""
    mark = " (excluded)" if exclude is True else mark
    return f"{item.get('record_id') or item.get('uuid') or '?'}{mark}"


def flatten(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted field → scalar. Lists of scalars stay whole (short) or become a digest;
    reference lists become their run IDs, with the tag of each excluded one."""
    if isinstance(obj, Mapping):
        if not obj and prefix:
            yield prefix, "{}"
        for name, value in obj.items():
            yield from flatten(value, f"{prefix}.{name}" if prefix else str(name))
        return
    if isinstance(obj, list):
        if all(isinstance(v, Mapping) and ("record_id" in v or "uuid" in v) for v in obj) and obj:
            yield prefix, tuple(_reference_label(v) for v in obj)
        elif all(not isinstance(v, Mapping | list) for v in obj):
            if len(obj) > LONG_LIST:
                yield prefix, f"<{len(obj)} values, sha1 {_digest(repr(obj))}>"
            else:
                yield prefix, tuple(_scalar(v) for v in obj)
        else:
            for i, value in enumerate(obj):
                yield from flatten(value, f"{prefix}[{i}]")
        return
    yield prefix, _scalar(obj)


Values = dict[tuple[str, str], Any]


def _keyed_values(obj: Any) -> Values:
    out: Values = {}
    if not isinstance(obj, Mapping):
        return {(FILE_KEY, ""): _scalar(repr(obj))}
    for key, entry in obj.items():
        if isinstance(entry, Mapping):
            for name, value in flatten(entry):
                out[(str(key), name)] = value
        else:
            out[(FILE_KEY, str(key))] = _scalar(entry)
    return out


def _ia_values(obj: Any, path: str, names: tuple[str, ...]) -> Values:
    """Group values of an interpreted age, plus this analysis' own entry (if listed)."""
    ia = decode_ia(obj, path=path)
    kind = ia.preferred_kind("age")
    out: Values = {
        ("group", "age"): ia.age,
        ("group", "age_err"): ia.age_err,
        ("group", "age_kind"): kind.kind if kind else getattr(ia, "age_kind", None),
        ("group", "mswd"): ia.mswd,
        ("group", "nanalyses"): ia.nanalyses,
        ("group", "analyses"): tuple(a.record_id for a in ia.analyses),
    }
    raw = obj.get("analyses") if isinstance(obj, Mapping) else None
    for entry in raw if isinstance(raw, list) else []:
        if isinstance(entry, Mapping) and {entry.get("record_id"), entry.get("uuid")} & set(names):
            label = str(entry.get("record_id"))
            out.update(((label, name), value) for name, value in flatten(entry))
    return out


def file_values(modifier: str, raw: bytes, *, path: str, names: tuple[str, ...] = ()) -> Values:
    """Every value of one file; ``names`` (run ID, uuid) pick the analysis' entry of an
    IA file. Raises :class:`~ardvc.errors.CorruptFileError` for an unreadable file."""
    if modifier in OPAQUE:
        return {("", "blob"): f"<{len(raw)} bytes, sha1 {hashlib.sha1(raw).hexdigest()[:10]}>"}
    obj = loads(raw, path=path)
    if modifier in KEYED:
        return _keyed_values(obj)
    if modifier == "ia":
        return _ia_values(obj, path, names)
    return {("", name): value for name, value in flatten(obj)}


def _field_order(name: str) -> tuple[int, str]:
    head = name.split(".", 1)[0]
    return (PRIMARY.index(head), name) if head in PRIMARY else (len(PRIMARY), name)


def compare_values(before: Values, after: Values) -> list[ValueChange]:
    """Changed, added and removed values; keys in first-seen order, fields primary first."""
    keys: dict[str, None] = {}
    for key, _ in [*before, *after]:
        keys.setdefault(key, None)
    changes = []
    for key in keys:
        fields = {f for k, f in [*before, *after] if k == key}
        for name in sorted(fields, key=_field_order):
            old, new = before.get((key, name)), after.get((key, name))
            if not same(old, new):
                changes.append(ValueChange(key, name, old, new))
    return changes


@dataclass(frozen=True, slots=True)
class Version:
    """One side of a comparison: a file's path, blob id and bytes (all ``None`` = absent)."""

    path: str | None = None
    blob: str | None = None
    raw: bytes | None = None


def diff_file(item: str, before: Version, after: Version, names: tuple[str, ...] = ()) -> FileDiff:
    """The value-level difference of one item between two versions."""
    modifier = "ia" if item.startswith("ia:") else item
    base = (before.path, after.path, before.blob, after.blob)
    if before.raw is None and after.raw is None:
        return FileDiff(item, *base, status="absent")
    try:
        old = (
            {}
            if before.raw is None
            else file_values(modifier, before.raw, path=before.path or "", names=names)
        )
        new = (
            {}
            if after.raw is None
            else file_values(modifier, after.raw, path=after.path or "", names=names)
        )
    except ArdvcError as exc:
        return FileDiff(item, *base, status="unreadable", error=str(exc))
    changes = compare_values(old, new)
    if before.raw is None:
        status = "added"
    elif after.raw is None:
        status = "removed"
    elif before.path != after.path:
        status = "moved"
    elif changes:
        status = "modified"
    else:
        status = "format-only" if before.blob != after.blob else "unchanged"
    return FileDiff(item, *base, status=status, changes=changes)
