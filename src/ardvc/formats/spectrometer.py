"""Spectrometer and constants files of the MetaRepo (pychron-format.md §8.1, §8.6).

* ``spectrometers/<ms>.sens.json``: an **unsorted** list of sensitivity records; the value
  for a run is the record with the latest ``create_date`` before the run date. Pychron
  falls back to ``1e-17`` when there is none; ardvc's MetaRepo refuses.
* ``spectrometers/<ms>.gain.json``: ``{detector: gain}`` (real files are ``{}``).
* ``molecular_weights.json``: ``{isotope or species: mass}``.
* ``cocktail.json``: ``{"chronology": time, "j": J, "j_err": σJ}`` → a single
  zero-length dose and a fixed J for cocktail (air/standard gas) runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ardvc.errors import UsageError
from ardvc.formats import jsonio
from ardvc.formats.chronology import TIME_FORMAT, Chronology, parse_lines
from ardvc.formats.metabase import FileRef, MetaStruct, load_json, to_struct

SPECTROMETER_DIR = "spectrometers"
SENS_SUFFIX = ".sens.json"
GAIN_SUFFIX = ".gain.json"
MOLECULAR_WEIGHTS_PATH = "molecular_weights.json"
COCKTAIL_PATH = "cocktail.json"

ARGON_MASSES: dict[str, float] = {
    "Ar36": 35.9675,
    "Ar37": 36.9668,
    "Ar38": 37.9627,
    "Ar39": 38.964,
    "Ar40": 39.9624,
    "Ar41": 40.962,
}
"""The argon masses of NMGRL's ``molecular_weights.json`` (format §8.6)."""


class _RawSensitivity(MetaStruct):
    sensitivity: float
    create_date: str | None = None
    mass_spectrometer: str | None = None
    note: str | None = None
    units: str | None = None
    user: str | None = None


@dataclass(frozen=True, slots=True)
class SensitivityRecord:
    """One sensitivity entry; ``create_date`` is naive local time (``None`` if blank)."""

    sensitivity: float
    create_date: datetime | None
    mass_spectrometer: str | None = None
    units: str | None = None
    note: str | None = None
    user: str | None = None


def decode_sensitivities(
    raw: bytes, *, path: str, repo: str | None = None, commit: str | None = None
) -> tuple[SensitivityRecord, ...]:
    """All records in file order (which is not date order)."""
    ref = FileRef(path, repo, commit)
    obj = load_json(raw, ref)
    if not isinstance(obj, list):
        raise ref.corrupt(f"a sensitivity file is a list of records, not {type(obj).__name__}")
    records = []
    for i, item in enumerate(obj):
        rec = to_struct(item, _RawSensitivity, ref, at=f"$[{i}]")
        when: datetime | None = None
        if rec.create_date:
            try:
                when = datetime.strptime(rec.create_date, TIME_FORMAT)
            except ValueError as exc:
                raise ref.corrupt(f"$[{i}].create_date {rec.create_date!r}: {exc}") from exc
        records.append(
            SensitivityRecord(
                rec.sensitivity, when, rec.mass_spectrometer, rec.units, rec.note, rec.user
            )
        )
    return tuple(records)


def select_sensitivity(
    records: Sequence[SensitivityRecord], when: datetime
) -> SensitivityRecord | None:
    """The record with the latest ``create_date`` strictly before ``when`` (``None`` if none).

    Ties on ``create_date`` go to the later record in the file. Records without a date
    cannot be placed in time and are never chosen. The caller decides what a missing value
    means (Pychron silently used ``1e-17`` mol/fA).
    """
    if when.tzinfo is not None:
        raise UsageError(
            "sensitivity dates are naive local lab time; pass the run time without tzinfo"
        )
    best: SensitivityRecord | None = None
    for record in records:
        if record.create_date is None or record.create_date >= when:
            continue
        if best is None or best.create_date is None or record.create_date >= best.create_date:
            best = record
    return best


def decode_number_map(
    raw: bytes, *, path: str, repo: str | None = None, commit: str | None = None
) -> dict[str, float]:
    """``{name: number}`` files: gains and molecular weights."""
    ref = FileRef(path, repo, commit)
    obj = load_json(raw, ref)
    if not isinstance(obj, dict):
        raise ref.corrupt(f"expected an object of numbers, got {type(obj).__name__}")
    return to_struct(obj, dict[str, float], ref)


def encode_number_map(values: dict[str, float]) -> bytes:
    return jsonio.dumps(values)


class _RawCocktail(MetaStruct):
    chronology: str
    j: float
    j_err: float


@dataclass(frozen=True, slots=True)
class Cocktail:
    """The lab's cocktail irradiation: one zero-length dose and a fixed J."""

    chronology: Chronology
    j: float
    j_err: float


def decode_cocktail(
    raw: bytes, *, path: str = COCKTAIL_PATH, repo: str | None = None, commit: str | None = None
) -> Cocktail:
    ref = FileRef(path, repo, commit)
    obj = to_struct(load_json(raw, ref), _RawCocktail, ref)
    chronology = parse_lines([f"1.0,{obj.chronology},{obj.chronology}"], ref)
    if obj.j <= 0:
        raise ref.corrupt(f"cocktail J must be positive, got {obj.j!r}")
    return Cocktail(chronology, obj.j, obj.j_err)
