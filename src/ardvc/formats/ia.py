"""Interpreted ages ``<id[:3]>/ia/<id[3:]>[_nnnnn].ia.json`` (pychron-format.md §5.11).

Two formats: the 2018 *flat* file (group values at the top level, IR998) and the 2022
*nested* file (``preferred``, ``sample_metadata``, … and per-analysis intermediates,
Cornudas). :func:`decode_ia` tells them apart; both classes answer the same questions
(``analyses``, ``age``/``age_err``, ``ages``, ``arar_constants``, ``preferred_kinds``,
``mswd``, ``nanalyses``, ``sample``, ``identifier``) so callers need not care which.
"""

from __future__ import annotations

from typing import Any, Literal

from msgspec import field

from ardvc.errors import CorruptFileError
from ardvc.formats.schema import FileStruct, convert, require_object


class UValue(FileStruct, kw_only=True):
    """A ``{"value", "error"}`` pair as stored in 2022 intermediates."""

    value: float
    error: float


IsotopeValues = dict[str, UValue]


class IAAnalysis(FileStruct, kw_only=True):
    """One analysis of an interpreted age; the per-isotope maps exist in 2022 files only
    (``icfactors`` is keyed by isotope: the factor of that isotope's detector)."""

    record_id: str
    uuid: str | None = None
    tag: str | None = None
    age: float | None = None
    age_err: float | None = None
    age_err_wo_j: float | None = None
    kca: float | None = None
    kca_err: float | None = None
    kcl: float | None = None
    kcl_err: float | None = None
    radiogenic_yield: float | None = None
    radiogenic_yield_err: float | None = None
    plateau_step: bool | None = None
    age_units: str | None = None
    extract_value: float | None = None
    rundate: str | None = None
    baseline_corrected_intercepts: IsotopeValues | None = None
    blanks: IsotopeValues | None = None
    icfactors: IsotopeValues | None = None
    ic_corrected_values: IsotopeValues | None = None
    interference_corrected_values: IsotopeValues | None = None


class IAAges(FileStruct, kw_only=True):
    integrated_age: float | None = None
    integrated_age_err: float | None = None
    isochron_age: float | None = None
    isochron_age_err: float | None = None
    plateau_age: float | None = None
    plateau_age_err: float | None = None
    weighted_age: float | None = None
    weighted_age_err: float | None = None


class PreferredKind(FileStruct, kw_only=True):
    """Which group value was preferred for one attribute (age, kca, …) and how."""

    attr: str
    kind: str | None = None
    value: float | None = None
    error: float | None = None
    error_kind: str | None = None
    unit: str | None = None
    weighting: str | None = None


class IAFile2018(FileStruct, kw_only=True):
    """2018 flat format: group values at the top level."""

    analyses: list[IAAnalysis]
    age: float | None = None
    age_err: float | None = None
    age_error_kind: str | None = None
    age_kind: str | None = None
    ages: IAAges | None = None
    arar_constants: dict[str, float] | None = None
    display_age_units: str | None = None
    identifier: str | None = None
    include_j_error_in_individual_analyses: bool | None = None
    include_j_error_in_mean: bool | None = None
    include_j_error_in_plateau: bool | None = None
    irradiation: str | None = None
    kca: float | None = None
    kca_err: float | None = None
    kca_kind: str | None = None
    macrochron: dict[str, Any] | None = None
    material: str | None = None
    mswd: float | None = None
    name: str | None = None
    nanalyses: int | None = None
    project: str | None = None
    sample: str | None = None
    uuid: str | None = None
    preferred_kinds: list[PreferredKind] | None = None

    @property
    def format_version(self) -> Literal[2018]:
        return 2018

    @property
    def age_error_kind_effective(self) -> str | None:
        """``age_error_kind``, or the error kind of the preferred age (later 2018 files)."""
        if self.age_error_kind:
            return self.age_error_kind
        kind = self.preferred_kind("age")
        return kind.error_kind if kind else None

    def preferred_kind(self, attr: str) -> PreferredKind | None:
        return next((k for k in self.preferred_kinds or [] if k.attr == attr), None)


class IAPreferred(FileStruct, kw_only=True):
    age: float | None = None
    age_err: float | None = None
    ages: IAAges | None = None
    arar_constants: dict[str, float] | None = None
    display_age_units: str | None = None
    include_j_error_in_mean: bool | None = None
    include_j_error_in_plateau: bool | None = None
    include_j_position_error: bool | None = None
    mswd: float | None = None
    nanalyses: int | None = None
    preferred_kinds: list[PreferredKind] = field(default_factory=list)


class IAFile2022(FileStruct, kw_only=True):
    """2022 nested format: group values under ``preferred``, metadata in sub-objects."""

    analyses: list[IAAnalysis]
    preferred: IAPreferred
    name: str | None = None
    uuid: str | None = None
    sample_metadata: dict[str, Any] = field(default_factory=dict)
    collection_metadata: dict[str, Any] = field(default_factory=dict)
    session_metadata: dict[str, Any] = field(default_factory=dict)
    ardvc: dict[str, Any] | None = None
    """ardvc's provenance (conventions, constants, commits, steps of each group value);
    absent from Pychron's own files."""

    @property
    def format_version(self) -> Literal[2022]:
        return 2022

    @property
    def age(self) -> float | None:
        return self.preferred.age

    @property
    def age_err(self) -> float | None:
        return self.preferred.age_err

    @property
    def age_error_kind_effective(self) -> str | None:
        kind = self.preferred_kind("age")
        return kind.error_kind if kind else None

    @property
    def ages(self) -> IAAges | None:
        return self.preferred.ages

    @property
    def arar_constants(self) -> dict[str, float] | None:
        return self.preferred.arar_constants

    @property
    def preferred_kinds(self) -> list[PreferredKind]:
        return self.preferred.preferred_kinds

    @property
    def mswd(self) -> float | None:
        return self.preferred.mswd

    @property
    def nanalyses(self) -> int | None:
        return self.preferred.nanalyses

    @property
    def sample(self) -> str | None:
        value = self.sample_metadata.get("sample")
        return value if isinstance(value, str) else None

    @property
    def identifier(self) -> str | None:
        """Not stored in 2022 files; taken from the analyses' run IDs when they agree."""
        ids = {a.record_id.rsplit("-", 1)[0] for a in self.analyses}
        return ids.pop() if len(ids) == 1 else None

    def preferred_kind(self, attr: str) -> PreferredKind | None:
        return next((k for k in self.preferred.preferred_kinds if k.attr == attr), None)


IAFile = IAFile2018 | IAFile2022


def decode_ia(obj: Any, *, path: str, repo: str | None = None, commit: str | None = None) -> IAFile:
    """Tell the formats apart by ``preferred`` (2022) versus a top-level ``age`` (2018)."""
    top = require_object(obj, path=path, repo=repo, commit=commit)
    if "preferred" in top:
        return convert(top, IAFile2022, path=path, repo=repo, commit=commit)
    if "age" in top or "ages" in top:
        return convert(top, IAFile2018, path=path, repo=repo, commit=commit)
    raise CorruptFileError(
        path,
        "not an interpreted-age file: neither 'preferred' (2022) nor 'age' (2018) present",
        repo=repo,
        commit=commit,
    )
