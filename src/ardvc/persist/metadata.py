"""What acquisition software tells the persister about a run before it measures it.

:class:`RunMetadata` holds the identity, sample, irradiation and instrument of one run; the
persister turns it into Pychron's main analysis file (pychron-format.md §5.1). Values are
checked when the run begins, so a bad run ID or an isotope on an unknown detector fails
before any gas is measured rather than at commit time.
"""

from __future__ import annotations

import math
import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ardvc.errors import UsageError
from ardvc.formats.names import check_safe_name
from ardvc.formats.runid import is_uuid, make_runid

ANALYSIS_TYPES = (
    "unknown",
    "air",
    "cocktail",
    "blank_unknown",
    "blank_air",
    "blank_cocktail",
    "blank_extractionline",
    "detector_ic",
    "background",
)


@dataclass(frozen=True)
class RunMetadata:
    """One run as the experiment queue describes it.

    ``isotopes`` maps isotope key → detector (``{"Ar40": "H2", …}``); ``spectrometer`` is
    the content of the ``<spec_sha>.json`` file (``spectrometer``, ``gains``,
    ``deflections`` and optionally ``settings``). ``timestamp`` is the run's time zero:
    naive lab time, or aware (converted to the lab's zone when written). ``repository``
    overrides the persister's default data repository (Pychron's
    ``repository_identifier``). ``extra`` adds or overrides keys of the main file (for
    fields ardvc does not model, e.g. ``environmental`` readings).
    """

    identifier: str
    aliquot: int
    increment: int | None
    analysis_type: str
    mass_spectrometer: str
    isotopes: Mapping[str, str]
    timestamp: datetime
    spectrometer: Mapping[str, Any]
    sample: str = ""
    material: str = ""
    project: str = ""
    principal_investigator: str = ""
    irradiation: str = ""
    irradiation_level: str = ""
    irradiation_position: int | None = None
    extract_device: str = ""
    uuid: str = field(default_factory=lambda: str(uuidlib.uuid4()))
    repository: str | None = None
    experiment_type: str = "Ar/Ar"
    username: str = ""
    analyst_name: str = ""
    comment: str = ""
    measurement_script: str = ""
    extraction_script: str = ""
    post_measurement_script: str = ""
    post_equilibration_script: str = ""
    experiment_queue_name: str = ""
    grainsize: str = ""
    latitude: float | None = None
    longitude: float | None = None
    unit: str = ""
    note: str | None = None
    laboratory: str = ""
    instrument_name: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_safe_name(self.identifier, what="identifier")
        if self.aliquot < 0 or (self.increment is not None and self.increment < 0):
            raise UsageError(f"{self.identifier}: aliquot and step must be ≥ 0")
        if self.analysis_type not in ANALYSIS_TYPES:
            raise UsageError(
                f"unknown analysis type {self.analysis_type!r}",
                hint=f"one of {', '.join(ANALYSIS_TYPES)}",
            )
        if not is_uuid(self.uuid):
            raise UsageError(f"{self.record_id}: {self.uuid!r} is not a uuid")
        if not self.isotopes:
            raise UsageError(f"{self.record_id}: no isotopes to measure")
        gains = self.spectrometer.get("gains")
        if not isinstance(gains, Mapping):
            raise UsageError(f"{self.record_id}: the spectrometer file needs a 'gains' map")
        unknown = sorted(set(self.isotopes.values()) - set(gains))
        if unknown:
            raise UsageError(
                f"{self.record_id}: isotopes measured on detectors the spectrometer does not "
                f"have: {', '.join(unknown)}"
            )
        for value in (self.latitude, self.longitude):
            if value is not None and not math.isfinite(value):
                raise UsageError(f"{self.record_id}: latitude/longitude must be finite")
        if self.repository is not None:
            check_safe_name(self.repository, what="repository name")

    @property
    def record_id(self) -> str:
        """Pychron's run ID, e.g. ``71002-01A`` or ``bu-FD-F-788``."""
        return make_runid(self.identifier, self.aliquot, self.increment)

    @property
    def detectors(self) -> list[str]:
        """Detectors in the order their isotopes were listed (each once)."""
        return list(dict.fromkeys(self.isotopes.values()))

    @property
    def is_blank(self) -> bool:
        return self.analysis_type.startswith("blank")
