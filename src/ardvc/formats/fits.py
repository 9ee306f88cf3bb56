"""Intercepts ``intercepts/<tail>.inte.json`` and baselines ``baselines/<tail>.base.json``
(pychron-format.md §5.3, §5.4).

Both map a key (isotope key for intercepts, detector for baselines) to one regression
result. Legacy variants that must load: no ``error_type`` (→ SEM), fits in any case,
``null`` ``error_type``/exclusion lists, the flat ``filter_outliers``/``iterations``/
``std_devs`` keys of early Pychron, top-level ``"reviewed": true`` beside the entries, and
empty ``{}`` entries for unused detectors (IR998 ``657/baselines/73-01*.base.json``).
"""

from __future__ import annotations

from typing import Any

from ardvc.formats.schema import (
    FileStruct,
    KeyedFile,
    decode_keyed,
    normalise_error_type,
    parse_fit,
)

DEFAULT_ERROR_TYPE = "SEM"
"""What files without ``error_type`` (IR998, IR1003, part of Timescale) were fitted with."""


class OutlierFilter(FileStruct, kw_only=True):
    """Iterative n-σ outlier rejection applied before the intercept is taken."""

    filter_outliers: bool = False
    iterations: int = 1
    std_devs: float = 2.0
    use_standard_deviation_filtering: bool | None = None
    use_iqr_filtering: bool | None = None


class FitEntry(FileStruct, kw_only=True):
    """One regression: settings, result at t = 0, and review/manual-edit state.

    ``value``/``error`` are the fitted intensity **not** baseline-corrected. A ``{}``
    entry loads with every field ``None`` and :attr:`is_empty` true.
    """

    fit: str | None = None
    error_type: str | None = None
    filter_outliers_dict: OutlierFilter | None = None
    value: float | None = None
    error: float | None = None
    n: int | None = None
    fn: int | None = None
    reviewed: bool | None = None
    include_baseline_error: bool | None = None
    user_excluded: list[int] | None = None
    outlier_excluded: list[int] | None = None
    manual_value: float | None = None
    use_manual_value: bool | None = None
    manual_error: float | None = None
    use_manual_error: bool | None = None
    modifier_value: float | None = None
    modifier_error: float | None = None
    # early Pychron wrote the outlier settings flat into the entry
    filter_outliers: bool | None = None
    iterations: int | None = None
    std_devs: float | None = None

    def __post_init__(self) -> None:
        if self.is_empty:
            return
        if self.value is None or self.error is None:
            raise ValueError("a non-empty fit entry needs both 'value' and 'error'")
        if self.use_manual_value and self.manual_value is None:
            raise ValueError("'use_manual_value' is set but 'manual_value' is missing")
        if self.use_manual_error and self.manual_error is None:
            raise ValueError("'use_manual_error' is set but 'manual_error' is missing")

    @property
    def is_empty(self) -> bool:
        """True for a ``{}`` entry (a detector that was not used)."""
        return self.value is None and self.error is None and self.fit is None

    @property
    def fit_name(self) -> str | None:
        """Lower-case fit without an error-kind suffix (``Parabolic`` → ``parabolic``)."""
        return None if self.fit is None else parse_fit(self.fit)[0]

    @property
    def effective_error_type(self) -> str:
        """``error_type``, else a suffix of ``fit``, else SEM (files predating the key)."""
        explicit = normalise_error_type(self.error_type)
        if explicit:
            return explicit
        suffix = parse_fit(self.fit)[1] if self.fit else None
        return suffix or DEFAULT_ERROR_TYPE

    @property
    def outlier_filter(self) -> OutlierFilter:
        """The nested settings, else the legacy flat keys, else "no filtering"."""
        if self.filter_outliers_dict is not None:
            return self.filter_outliers_dict
        if self.filter_outliers is None and self.iterations is None and self.std_devs is None:
            return OutlierFilter()
        return OutlierFilter(
            filter_outliers=bool(self.filter_outliers),
            iterations=self.iterations if self.iterations is not None else 1,
            std_devs=self.std_devs if self.std_devs is not None else 2.0,
        )

    @property
    def effective_value(self) -> float | None:
        """``manual_value`` when ``use_manual_value``, else ``value`` (Pychron's rule)."""
        return self.manual_value if self.use_manual_value else self.value

    @property
    def effective_error(self) -> float | None:
        return self.manual_error if self.use_manual_error else self.error


class FitsFile(KeyedFile[FitEntry], kw_only=True):
    """An intercepts or baselines file: fit entries by isotope or detector."""

    def populated(self) -> dict[str, FitEntry]:
        """Entries that hold a result (drops ``{}`` placeholders)."""
        return {k: v for k, v in self.entries.items() if not v.is_empty}


def decode_fits(
    obj: Any, *, path: str, repo: str | None = None, commit: str | None = None
) -> FitsFile:
    """Build a :class:`FitsFile` from decoded JSON, naming the key of any bad entry."""
    entries, extras = decode_keyed(obj, FitEntry, path=path, repo=repo, commit=commit)
    return FitsFile(entries=entries, extras=extras)
