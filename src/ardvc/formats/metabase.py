"""Shared plumbing for the MetaRepo file formats (pychron-format.md §8).

Every MetaRepo reader decodes bytes it got from git at a known commit, so every failure is
raised as :class:`~ardvc.errors.CorruptFileError` naming repository, commit and path. The
typed views are msgspec Structs that tolerate unknown keys; the raw decoded document is
kept beside them so an edit rewrites only what changed and an unchanged file re-encodes to
its original bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from ardvc.errors import CorruptFileError, UsageError
from ardvc.formats import jsonio

T = TypeVar("T")


class MetaStruct(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base of the MetaRepo read views: keyword-only, unknown keys ignored."""


@dataclass(frozen=True, slots=True)
class FileRef:
    """Where a file was read from, for error messages: path, repository, commit."""

    path: str
    repo: str | None = None
    commit: str | None = None

    def corrupt(self, reason: str) -> CorruptFileError:
        return CorruptFileError(self.path, reason, repo=self.repo, commit=self.commit)

    def describe(self) -> str:
        where = f"{self.repo}:{self.path}" if self.repo else self.path
        return f"{where} at {self.commit[:12]}" if self.commit else where


def load_json(raw: bytes, ref: FileRef) -> Any:
    """Strict JSON decode; invalid or truncated JSON is a CorruptFileError naming ``ref``."""
    return jsonio.loads(raw, path=ref.path, repo=ref.repo, commit=ref.commit)


def to_struct(obj: Any, type_: type[T], ref: FileRef, *, at: str = "$") -> T:
    """``msgspec.convert`` in lax mode (Python-2-era files hold numbers as strings).

    ``at`` says where ``obj`` sits in the file (``$.positions[3]``) so the error points at
    the offending value.
    """
    try:
        return msgspec.convert(obj, type_, strict=False)
    except msgspec.ValidationError as exc:
        reason = str(exc)
        if at != "$":
            reason = reason.replace("`$", f"`{at}", 1) if "`$" in reason else f"{reason} at {at}"
        raise ref.corrupt(reason) from exc


def check_finite(value: float, what: str, *, positive: bool = False) -> float:
    """Refuse NaN, infinities (and non-positive values when asked) before writing them."""
    number = float(value)
    if not math.isfinite(number):
        raise UsageError(f"{what} must be a finite number, got {value!r}")
    if positive and number <= 0:
        raise UsageError(f"{what} must be positive, got {value!r}")
    return number


def text_of(raw: bytes, ref: FileRef) -> str:
    """Decode a text file as UTF-8; anything else is a CorruptFileError."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ref.corrupt(f"not UTF-8 text: {exc}") from exc
