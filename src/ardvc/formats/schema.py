"""Shared base for the msgspec schemas of Pychron's files (pychron-format.md §4, §5).

Every schema is a *read view*: unknown keys are tolerated (Pychron adds keys over the
years), missing optional keys get ``None``/empty defaults, and a value of the wrong shape is
a :class:`~ardvc.errors.CorruptFileError` naming repository, commit, file and key — never a
silent default. Byte-faithful rewrites should edit the raw dict from
:func:`ardvc.formats.jsonio.loads`, because a struct forgets unknown keys and int/float
spelling.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

from ardvc.errors import CorruptFileError

T = TypeVar("T")


class FileStruct(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base of every file schema: keyword-only, defaults omitted on encode, unknown keys
    ignored (msgspec's default, stated here so nobody turns ``forbid_unknown_fields`` on).

    msgspec applies ``kw_only`` per class, so subclasses repeat it
    (``class X(FileStruct, kw_only=True)``); ``omit_defaults`` is inherited.
    """


E = TypeVar("E")


class KeyedFile(FileStruct, Generic[E], kw_only=True):
    """A file keyed by isotope or detector: typed ``entries`` plus the non-object top-level
    ``extras`` (``"reviewed": true`` in IR998-era files)."""

    entries: dict[str, E] = msgspec.field(default_factory=dict)
    extras: dict[str, Any] = msgspec.field(default_factory=dict)

    @property
    def reviewed(self) -> bool:
        """The top-level ``"reviewed"`` flag (false when absent)."""
        return bool(self.extras.get("reviewed", False))

    def get(self, key: str) -> E | None:
        return self.entries.get(key)


def _relocate(message: str, at: str) -> str:
    """msgspec reports locations as ``$...``; prefix them with where the object sat."""
    if at == "$":
        return message
    return message.replace("`$", f"`{at}", 1)


def convert(
    obj: Any,
    type_: type[T],
    *,
    path: str,
    repo: str | None = None,
    commit: str | None = None,
    at: str = "$",
) -> T:
    """``msgspec.convert(obj, type_, strict=False)``; a mismatch becomes CorruptFileError.

    ``strict=False`` accepts numbers written as strings (``"3.0"``), which Python-2-era
    files contain. ``at`` names where ``obj`` sits inside the file (``$.Ar40``) so the
    error points at the offending key even inside dicts keyed by isotope or detector.
    """
    try:
        return msgspec.convert(obj, type_, strict=False)
    except msgspec.ValidationError as exc:
        reason = _relocate(str(exc), at)
        if "- at `" not in reason and at != "$":
            reason = f"{reason} - at `{at}`"
        raise CorruptFileError(path, reason, repo=repo, commit=commit) from exc


def require_object(
    obj: Any, *, path: str, repo: str | None = None, commit: str | None = None
) -> dict[str, Any]:
    """The top level of a keyed file must be a JSON object."""
    if not isinstance(obj, dict):
        kind = type(obj).__name__
        raise CorruptFileError(
            path, f"expected a JSON object at the top level, got {kind}", repo=repo, commit=commit
        )
    return obj


def split_keyed(obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a file keyed by isotope/detector into (object entries, other top-level keys).

    Pychron puts ``"reviewed": true`` beside the isotope keys (format §4); readers must
    keep such keys apart instead of treating them as entries.
    """
    entries = {k: v for k, v in obj.items() if isinstance(v, dict)}
    extras = {k: v for k, v in obj.items() if not isinstance(v, dict)}
    return entries, extras


def key_path(key: str) -> str:
    """JSON-path-like location of a top-level key, for error messages."""
    return f"$.{key}" if key.replace("_", "").isalnum() else f"$[{key!r}]"


def decode_keyed(
    obj: Any, entry_type: type[T], *, path: str, repo: str | None = None, commit: str | None = None
) -> tuple[dict[str, T], dict[str, Any]]:
    """A file keyed by isotope or detector → (typed entries, non-object extras); a bad
    entry is a CorruptFileError naming its key."""
    top = require_object(obj, path=path, repo=repo, commit=commit)
    raw_entries, extras = split_keyed(top)
    entries = {
        key: convert(value, entry_type, path=path, repo=repo, commit=commit, at=key_path(key))
        for key, value in raw_entries.items()
    }
    return entries, extras


# --- fit strings ---------------------------------------------------------------------------

MSEM_CURRENT = "SE but if MSWD>1 use SE * sqrt(MSWD)"
MSEM_LEGACY = "SEM, but if MSWD>1 use SEM * sqrt(MSWD)"
_SHORT_KINDS = {"SEM": "SEM", "SD": "SD", "SE": "SE", "CI": "CI", "MC": "MC"}
_SHORT_KINDS["MONTECARLO"] = "MonteCarlo"
_ERROR_KIND_HEADS = ("SEM", "SD", "SE", "CI", "MC", "MONTECARLO")


def normalise_error_type(text: str | None) -> str | None:
    """Canonical spelling of an error kind; ``None``/``""`` → ``None``.

    Short kinds are case-normalised (``sem`` → ``SEM``); both MSWD-scaled spellings are
    kept verbatim because they are different Pychron versions' names of one convention.
    """
    if text is None:
        return None
    stripped = text.strip()
    if not stripped:
        return None
    return _SHORT_KINDS.get(stripped.upper(), stripped)


def is_mswd_scaled(error_type: str | None) -> bool:
    """True for either spelling of "SE(M), but if MSWD>1 use SE(M) * sqrt(MSWD)"."""
    return error_type is not None and "sqrt(MSWD)" in error_type


def _is_error_kind(text: str) -> bool:
    head = text.strip().split(",")[0].split(" ")[0].upper()
    return head in _ERROR_KIND_HEADS


def parse_fit(text: str) -> tuple[str, str | None]:
    """Split ``"Weighted Mean_SD"`` → ``("weighted mean", "SD")``; ``"Parabolic"`` →
    ``("parabolic", None)``.

    The fit name is lower-cased (files spell one fit ``Linear``/``linear``); a ``custom:``
    expression keeps its case after the prefix. The suffix after the first ``_`` is split
    off only when it is an error kind, so an unknown suffix stays part of the name.
    Callers that need the file's spelling keep the original string (``FitEntry.fit``).
    """
    raw = text.strip()
    if raw.lower().startswith("custom:"):
        return "custom:" + raw[len("custom:") :], None
    name, sep, suffix = raw.partition("_")
    if sep and _is_error_kind(suffix):
        return name.strip().lower(), normalise_error_type(suffix)
    return raw.lower(), None
