"""Blanks ``blanks/<tail>.blan.json`` and IC factors ``icfactors/<tail>.icfa.json``
(pychron-format.md §5.5, §5.6).

Both hold a value derived from *other* analyses (the references) per isotope (blanks) or
detector (IC factors). Legacy variants that must load: ``exclude`` boolean (collection
time) or tag string (after review), ``references`` list or the empty string of bulk edits,
fit strings with an error-kind suffix (``Weighted Mean_SD``), peak-hop keys
``"<iso>:<det>"``, top-level ``"reviewed": true``.
"""

from __future__ import annotations

from typing import Any

from msgspec import field

from ardvc.formats.schema import (
    FileStruct,
    KeyedFile,
    decode_keyed,
    normalise_error_type,
    parse_fit,
)
from ardvc.formats.tags import is_excluding


class Reference(FileStruct, kw_only=True):
    """One reference analysis; ``exclude`` is ``false`` at collection, a tag after review."""

    record_id: str | None = None
    uuid: str | None = None
    exclude: bool | str = False

    @property
    def excluded(self) -> bool:
        """Whether the reduction left this reference out."""
        if isinstance(self.exclude, bool):
            return self.exclude
        return is_excluding(self.exclude)

    @property
    def tag(self) -> str | None:
        """The reference's tag when the file recorded one (string ``exclude``)."""
        return self.exclude if isinstance(self.exclude, str) else None


class ReferenceData(FileStruct, kw_only=True):
    """The reference series an IC factor was fitted to (x, value, error)."""

    xs: list[float] = field(default_factory=list)
    vs: list[float] = field(default_factory=list)
    es: list[float] = field(default_factory=list)


class ReferenceEntry(FileStruct, kw_only=True):
    """A blank (per isotope) or IC factor (per detector) and how it was obtained.

    ``value`` and ``error`` must be present but may be ``null`` (Pychron's loader reads a
    null as 0; ardvc keeps ``None`` so a caller must decide).
    """

    value: float | None
    error: float | None
    fit: str | None = None
    error_type: str | None = None
    references: list[Reference] | str = field(default_factory=list)
    reviewed: bool | None = None
    standard_ratio: float | None = None
    reference_detector: str | None = None
    reference_data: ReferenceData | None = None
    discrimination: bool | None = None
    source_correction: bool | None = None
    scalar: float | None = None
    manual_value: float | None = None
    use_manual_value: bool | None = None
    manual_error: float | None = None
    use_manual_error: bool | None = None

    def __post_init__(self) -> None:
        if isinstance(self.references, str) and self.references.strip():
            raise ValueError(
                f"'references' must be a list or the empty string, got {self.references!r}"
            )
        if self.use_manual_value and self.manual_value is None:
            raise ValueError("'use_manual_value' is set but 'manual_value' is missing")
        if self.use_manual_error and self.manual_error is None:
            raise ValueError("'use_manual_error' is set but 'manual_error' is missing")

    @property
    def reference_list(self) -> list[Reference]:
        """References as a list (``""`` of bulk edits → ``[]``)."""
        return [] if isinstance(self.references, str) else self.references

    @property
    def fit_name(self) -> str | None:
        """Lower-case fit without its error-kind suffix (``Weighted Mean_SD`` →
        ``weighted mean``)."""
        return None if self.fit is None else parse_fit(self.fit)[0]

    @property
    def effective_error_type(self) -> str | None:
        """``error_type`` when set (blanks write ``""`` at collection), else the fit suffix."""
        explicit = normalise_error_type(self.error_type)
        if explicit:
            return explicit
        return parse_fit(self.fit)[1] if self.fit else None

    @property
    def is_bulk_edit(self) -> bool:
        return (self.fit or "").lower() == "bulk_edit"

    @property
    def effective_value(self) -> float | None:
        return self.manual_value if self.use_manual_value else self.value

    @property
    def effective_error(self) -> float | None:
        return self.manual_error if self.use_manual_error else self.error


def detector_of_key(key: str) -> str:
    """IC-factor key → detector: peak-hop keys ``"Ar40:H1"`` reduce to ``"H1"``."""
    return key.rsplit(":", 1)[-1]


class ReferencesFile(KeyedFile[ReferenceEntry], kw_only=True):
    """A blanks (by isotope) or IC-factors (by detector) file."""

    def by_detector(self) -> dict[str, ReferenceEntry]:
        """IC factors keyed by detector: peak-hop keys reduced, and a plain key wins over
        a hop key of the same detector."""
        out: dict[str, ReferenceEntry] = {}
        for key, entry in self.entries.items():
            if ":" in key:
                out.setdefault(detector_of_key(key), entry)
        for key, entry in self.entries.items():
            if ":" not in key:
                out[key] = entry
        return out

    def raw_keys(self) -> dict[str, str]:
        """Raw key → detector (identity except for peak-hop keys)."""
        return {key: detector_of_key(key) for key in self.entries}


BlanksFile = ReferencesFile
ICFactorsFile = ReferencesFile


def decode_references(
    obj: Any, *, path: str, repo: str | None = None, commit: str | None = None
) -> ReferencesFile:
    """Build a :class:`ReferencesFile` from decoded JSON, naming the key of a bad entry."""
    entries, extras = decode_keyed(obj, ReferenceEntry, path=path, repo=repo, commit=commit)
    return ReferencesFile(entries=entries, extras=extras)
