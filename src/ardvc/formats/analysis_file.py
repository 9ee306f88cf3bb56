"""The main analysis file ``<shard>/<tail>.json`` (pychron-format.md §5.1).

Holds what was measured (isotopes → detectors), when, on which instrument, with which
scripts, for which sample and irradiation position. The irradiation keys — not SQL — select
J, chronology and production ratios, so they are typed strictly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msgspec import field

from ardvc.formats.runid import make_runid, step_letter
from ardvc.formats.schema import FileStruct

TIMESTAMP_FORMATS = (
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
)

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


def parse_timestamp(text: str) -> datetime:
    """Naive local time in either of Pychron's spellings (``T`` or space, optional µs)."""
    if len(text) in {19, 26} and text[10] in "T ":  # the common case, ten times faster
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                return moment
    for fmt in TIMESTAMP_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"unparseable timestamp {text!r}")


class Detector(FileStruct, kw_only=True):
    """Deflection and gain of one detector at collection time."""

    deflection: float | None = None
    gain: float | None = None


class IsotopeInfo(FileStruct, kw_only=True):
    """One measured isotope; the key is ``<name>`` or ``<name><detector>`` (multi-detector)."""

    detector: str
    name: str
    units: str = "fA"
    serial_id: str = "00000"
    classification: str | None = None
    classification_probability: float | None = None


class Source(FileStruct, kw_only=True):
    emission: float | None = None
    trap: float | None = None


class BaselineModifier(FileStruct, kw_only=True):
    """An expression-based baseline model for one detector (SwansonB CDD)."""

    function: str | None = None
    function_err: str | None = None
    variable: str | None = None


class Conditional(FileStruct, kw_only=True):
    """A run conditional as saved with the analysis (what could abort or truncate it)."""

    analysis_types: list[str] | None = None
    frequency: int | None = None
    hash_id: int | None = None
    level: int | None = None
    location: str | None = None
    ntrips: int | None = None
    start_count: int | None = None
    teststr: str | None = None


class TrippedConditional(FileStruct, kw_only=True):
    context: str | None = None
    hash_id: int | None = None
    teststr: str | None = None


class EnvironmentalReading(FileStruct, kw_only=True):
    device: str | None = None
    name: str | None = None
    pub_date: str | None = None
    title: str | None = None
    value: float | None = None


class Environmental(FileStruct, kw_only=True):
    lab_temperatures: list[EnvironmentalReading] = field(default_factory=list)
    lab_humiditys: list[EnvironmentalReading] = field(default_factory=list)
    lab_pneumatics: list[EnvironmentalReading] = field(default_factory=list)


class AnalysisFile(FileStruct, kw_only=True):
    """``<shard>/<tail>.json``: identity, time, instrument, scripts, sample, irradiation,
    run context and provenance of one analysis."""

    # identity
    identifier: str
    aliquot: int
    increment: int | None = None
    uuid: str | None = None
    analysis_type: str | None = None
    repository_identifier: str | None = None
    experiment_type: str | None = None
    # time
    timestamp: str
    time_zero_timestamp: str | None = None
    time_zero_offset: float | None = None
    admit_delay: float | None = None
    # instrument
    mass_spectrometer: str | None = None
    instrument_name: str | None = None
    laboratory: str | None = None
    detectors: dict[str, Detector] = field(default_factory=dict)
    isotopes: dict[str, IsotopeInfo] = field(default_factory=dict)
    spec_sha: str | None = None
    source: Source | None = None
    arar_mapping: dict[str, str] | None = None
    intensity_scalar: float | None = None
    baseline_modifiers: dict[str, BaselineModifier] | None = None
    # scripts
    measurement: str | None = None
    extraction: str | None = None
    post_measurement: str | None = None
    post_equilibration: str | None = None
    hops: str | None = None
    # sample
    sample: str | None = None
    material: str | None = None
    grainsize: str | None = None
    project: str | None = None
    principal_investigator: str | None = None
    note: str | None = None
    latitude: float | str | None = None
    longitude: float | str | None = None
    unit: str | None = None
    lithology: str | None = None
    lithology_class: str | None = None
    lithology_group: str | None = None
    lithology_type: str | None = None
    rlocation: str | None = None
    # irradiation
    irradiation: str | None = None
    irradiation_level: str | None = None
    irradiation_position: int | None = None
    # run context
    comment: str | None = None
    username: str | None = None
    analyst_name: str | None = None
    experiment_queue_name: str | None = None
    queue_conditionals_name: str | None = None
    conditionals: list[Conditional] | None = None
    tripped_conditional: TrippedConditional | None = None
    whiff_result: Any = None
    environmental: Environmental | None = None
    # provenance
    acquisition_software: str | None = None
    data_reduction_software: str | None = None
    collection_version: str | None = None
    commit: str | None = None
    meta_commit: str | None = None
    data_collection_commit: str | None = None

    def __post_init__(self) -> None:
        # Validate here so a bad timestamp is a CorruptFileError naming file and key.
        for key in ("timestamp", "time_zero_timestamp"):
            value = getattr(self, key)
            if value:
                try:
                    parse_timestamp(value)
                except ValueError as exc:
                    raise ValueError(f"{exc} - at `$.{key}`") from exc

    @property
    def record_id(self) -> str:
        """Run ID ``<identifier>-<aliquot:02d><step>`` (``66681-03L``)."""
        return make_runid(self.identifier, self.aliquot, self.increment)

    @property
    def step(self) -> str:
        return step_letter(self.increment)

    @property
    def timestamp_dt(self) -> datetime:
        """Naive local run time (the lab's zone is not recorded, format §12 #9)."""
        return parse_timestamp(self.timestamp)

    @property
    def time_zero_dt(self) -> datetime | None:
        return parse_timestamp(self.time_zero_timestamp) if self.time_zero_timestamp else None

    @property
    def meta_commit_id(self) -> str | None:
        """MetaRepo HEAD at collection: ``meta_commit``, or legacy ``commit``."""
        return self.meta_commit or self.commit

    @property
    def software_commit(self) -> str | None:
        """Pychron's own commit (``data_collection_commit``, newer files only)."""
        return self.data_collection_commit

    @property
    def normalised_analysis_type(self) -> str:
        """``sample``, empty or missing → ``unknown``; otherwise lower-case."""
        kind = (self.analysis_type or "").strip().lower()
        return "unknown" if kind in {"", "sample"} else kind

    @property
    def spectrometer_key(self) -> str:
        """Lower-case spectrometer name: files spell one instrument ``Felix``/``felix``."""
        return (self.mass_spectrometer or "").lower()

    def detector_of(self, isotope_key: str) -> str:
        """Detector that measured ``isotope_key`` (KeyError when not measured)."""
        return self.isotopes[isotope_key].detector
