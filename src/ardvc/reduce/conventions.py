"""Switches for the conventions that decide the last digits (reduction-math.md §14).

Pychron's conventions changed between versions and are not recorded in its files. Each is a
named switch here, and every result records the set it was made with. The two presets
reproduce what Pychron stored in 2018 and in 2022.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Literal

from ardvc.errors import UsageError

Covariance = Literal["pychron", "full"]


@dataclass(frozen=True, slots=True)
class Conventions:
    """How a reduction propagates errors and counts time.

    * ``covariance``: ``"pychron"`` gives each isotope an independent copy of its detector's
      baseline and IC factor and re-wraps the baseline-corrected intercept as a new
      independent value (what Pychron does); ``"full"`` keeps one variable per detector, so
      isotopes sharing a baseline or IC factor stay correlated.
    * ``include_baseline_error``: ``None`` follows each intercept's stored flag (all real data:
      false) under ``"pychron"`` and counts every baseline under ``"full"``;
      ``True``/``False`` forces it.
    * ``propagate_trapped_error``: σ of (40/36)atm in atm40 — off in 2018 results, on in 2022.
    * ``decay_from``: decay factors measured from each segment's ``start`` (Pychron's stored
      results) or ``end`` (its ``use_irradiation_endtime`` preference).
    * ``timezone``: IANA zone of the naive lab timestamps for the chlorine decay days
      (Pychron uses the workstation's local time through ``mktime``); ``None`` = naive.
    * ``interference``: ``"normal"`` or ``"fixed_k3739"``.
    * ``allow_negative_ca``: Pychron allows negative Ca corrections by default.
    """

    covariance: Covariance = "pychron"
    include_baseline_error: bool | None = None
    propagate_trapped_error: bool = True
    decay_from: Literal["start", "end"] = "start"
    timezone: str | None = None
    interference: Literal["normal", "fixed_k3739"] = "normal"
    allow_negative_ca: bool = True
    include_decay_constant_error: bool = False
    name: str = "custom"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def updated(self, **changes: object) -> Conventions:
        unknown = set(changes) - set(self.as_dict())
        if unknown:
            raise UsageError(f"unknown convention(s): {', '.join(sorted(unknown))}")
        return replace(self, name="custom", **changes)  # type: ignore[arg-type]


PYCHRON_2018 = Conventions(propagate_trapped_error=False, name="pychron-2018")
"""IR998 interpreted ages and the 2018 flux: trapped 40/36 error not propagated."""
PYCHRON_2022 = Conventions(propagate_trapped_error=True, name="pychron-2022")
"""Cornudas interpreted ages: trapped 40/36 error propagated."""
ARDVC_DEFAULT = Conventions(covariance="full", propagate_trapped_error=True, name="ardvc")
"""ardvc's recommendation: correlations kept, trapped error propagated."""

PRESETS = {c.name: c for c in (PYCHRON_2018, PYCHRON_2022, ARDVC_DEFAULT)}


def preset(name: str) -> Conventions:
    if name not in PRESETS:
        raise UsageError(f"unknown conventions {name!r}", hint="one of: " + ", ".join(PRESETS))
    return PRESETS[name]
