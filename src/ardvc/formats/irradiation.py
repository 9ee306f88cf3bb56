"""Level files ``<Irradiation>/<Level>.json`` and frozen flux files (pychron-format.md §8.3, §5.13).

Two level forms exist: ``{"z": <number>, "positions": [...]}`` and the legacy bare list of
positions (121 files in NMGRLData/MetaData). Positions vary over the years (identifier
str/int/absent, ``j`` as int ``0``, ``decay_constants`` ``{}``, analyses with ``is_omitted``
or legacy ``status``, MassSpec-transfer ``sample``; in 2017 history even ``decay_constants``
``0.0`` with the decay constants written into ``mean_j``). :class:`Position` is a tolerant
typed view of each; :class:`Level` keeps the raw document and the file's JSON style, so an
edit changes only the positions it touches and an unchanged level re-encodes to its exact
original bytes.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ardvc.errors import UsageError
from ardvc.formats import jsonio
from ardvc.formats.jsonio import CANONICAL, JsonStyle
from ardvc.formats.metabase import FileRef, MetaStruct, check_finite, load_json, to_struct


class DecayConstants(MetaStruct):
    """Per-position total 40K decay constant (1/a); ``{}`` means "use the preference λK"."""

    lambda_k_total: float | None = None
    lambda_k_total_error: float | None = None


class MonitorAnalysis(MetaStruct):
    """A monitor analysis listed at a flux position.

    Current files write ``is_omitted``; files before 2019 wrote the same flag as ``status``
    (Pychron's ``status: ai.is_omitted()``), so ``status: true`` also means *omitted*.
    """

    record_id: str | None = None
    uuid: str | None = None
    is_omitted: bool | None = None
    status: bool | None = None

    @property
    def omitted(self) -> bool | None:
        """The omission flag from whichever key the file used (``None`` if neither)."""
        return self.is_omitted if self.is_omitted is not None else self.status


class Position(MetaStruct):
    """One irradiation position as stored. ``j`` (the modelled value) is the J for ages."""

    position: int
    identifier: str | int | None = None
    j: float | None = None
    j_err: float | None = None
    decay_constants: DecayConstants | float | None = None
    options: dict[str, Any] | None = None
    analyses: list[MonitorAnalysis] | None = None
    mean_j: float | dict[str, Any] | None = None
    mean_j_err: float | None = None
    mean_j_mswd: float | None = None
    position_jerr: float | None = None
    sample: str | None = None

    @property
    def identifier_text(self) -> str | None:
        """The identifier as text (int identifiers → ``str``); ``None`` when absent or ``""``."""
        if self.identifier is None:
            return None
        text = str(self.identifier).strip()
        return text or None

    @property
    def lambda_k(self) -> tuple[float | None, float | None] | None:
        """``(lambda_k_total, error)`` when the position stores its own λK, else ``None``.

        ``{}`` and the 2017 float form ``0.0`` both mean "no per-position value" (Pychron
        tests the value for truth); a non-zero float carries no error (``None``).
        """
        dc = self.decay_constants
        if isinstance(dc, DecayConstants):
            if not dc.lambda_k_total:
                return None
            return dc.lambda_k_total, dc.lambda_k_total_error
        if isinstance(dc, float) and dc:
            return dc, None
        return None

    @property
    def mean_flux(self) -> tuple[float, float] | None:
        """``(mean_j, mean_j_err)`` of a monitor position, ``None`` unless both are numbers."""
        if isinstance(self.mean_j, float) and self.mean_j_err is not None:
            return self.mean_j, self.mean_j_err
        return None


@dataclass(frozen=True, slots=True)
class Level:
    """A decoded level file. ``document`` is the raw JSON and is never mutated in place."""

    path: str
    positions: tuple[Position, ...]
    z: float | None
    legacy_list: bool
    document: Any
    style: JsonStyle = CANONICAL
    source: bytes | None = None
    original: Any = field(default=None, compare=False, repr=False)

    def find(self, position: int) -> Position | None:
        """First position whose number equals ``position`` (Pychron matches by ``==``)."""
        return next((p for p in self.positions if p.position == position), None)

    @property
    def numbers(self) -> list[int]:
        return [p.position for p in self.positions]


def _positions_of(document: Any) -> list[Any]:
    return document if isinstance(document, list) else document["positions"]


def _level_from_document(document: Any, ref: FileRef) -> Level:
    if isinstance(document, list):
        raw_positions, z, legacy = document, None, True
    elif isinstance(document, dict):
        if "positions" not in document:
            raise ref.corrupt("level file has no 'positions' key")
        raw_positions, legacy = document["positions"], False
        z_raw = document.get("z")
        if z_raw is not None and not isinstance(z_raw, int | float):
            raise ref.corrupt(f"level height 'z' is {type(z_raw).__name__}, not a number")
        z = None if z_raw is None else float(z_raw)
    else:
        raise ref.corrupt(f"a level file is an object or a list, not {type(document).__name__}")
    if not isinstance(raw_positions, list):
        raise ref.corrupt("'positions' is not a list")
    positions = tuple(
        to_struct(p, Position, ref, at=f"$.positions[{i}]" if not legacy else f"$[{i}]")
        for i, p in enumerate(raw_positions)
    )
    return Level(ref.path, positions, z, legacy, document)


def decode_level(
    raw: bytes, *, path: str, repo: str | None = None, commit: str | None = None
) -> Level:
    """Decode a level file in either form; anything else is a CorruptFileError naming it."""
    ref = FileRef(path, repo, commit)
    document = load_json(raw, ref)
    level = _level_from_document(document, ref)
    return Level(
        path,
        level.positions,
        level.z,
        level.legacy_list,
        document,
        jsonio.detect_style(raw),
        raw,
        copy.deepcopy(document),
    )


def new_level_document(z: float = 0) -> dict[str, Any]:
    """What Pychron writes for a new level: ``{"positions": [], "z": 0}``."""
    return {"positions": [], "z": z}


def encode_level(level: Level) -> bytes:
    """Bytes to store. An unchanged document returns its original bytes exactly (this also
    covers the one real file, ``NM-290/K.json``, written by a non-Python serialiser)."""
    if level.source is not None and level.document == level.original:
        return level.source
    return jsonio.dumps(level.document, level.style)


# --- edits ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PositionUpdate:
    """Fields to set on one position; ``None`` leaves a field as it is.

    ``identifier`` is always written as a string; ``decay_constants`` is
    ``(lambda_k_total, lambda_k_total_error)``.
    """

    position: int
    identifier: str | int | None = None
    j: float | None = None
    j_err: float | None = None
    decay_constants: tuple[float, float] | None = None
    mean_j: float | None = None
    mean_j_err: float | None = None
    mean_j_mswd: float | None = None
    position_jerr: float | None = None
    options: Mapping[str, Any] | None = None
    analyses: Sequence[MonitorAnalysis] | None = None

    def fields(self) -> dict[str, Any]:
        """The JSON key → value pairs this update writes, validated."""
        out: dict[str, Any] = {}
        if self.identifier is not None:
            ident = str(self.identifier).strip()
            if not ident:
                raise UsageError(f"position {self.position}: empty identifier")
            out["identifier"] = ident
        if self.j is not None:
            out["j"] = check_finite(self.j, f"J of position {self.position}", positive=True)
        if self.j_err is not None:
            out["j_err"] = check_finite(self.j_err, f"J error of position {self.position}")
        if self.decay_constants is not None:
            total, error = self.decay_constants
            out["decay_constants"] = {
                "lambda_k_total": check_finite(total, "lambda_k_total", positive=True),
                "lambda_k_total_error": check_finite(error, "lambda_k_total_error"),
            }
        for key in ("mean_j", "mean_j_err", "mean_j_mswd", "position_jerr"):
            value = getattr(self, key)
            if value is not None:
                out[key] = check_finite(value, f"{key} of position {self.position}")
        if self.options is not None:
            out["options"] = dict(self.options)
        if self.analyses is not None:
            out["analyses"] = [_analysis_entry(a, self.position) for a in self.analyses]
        for key in ("j_err", "mean_j_err", "position_jerr"):
            if out.get(key, 0) < 0:
                raise UsageError(f"{key} of position {self.position} must not be negative")
        return out


@dataclass(frozen=True, slots=True)
class FluxResult:
    """A fitted monitor position: the mean J of its analyses (reduction-math §13) and,
    optionally, the modelled ``j`` and the inputs the fit used."""

    position: int
    mean_j: float
    mean_j_err: float
    mean_j_mswd: float
    j: float | None = None
    j_err: float | None = None
    position_jerr: float | None = None
    identifier: str | int | None = None
    decay_constants: tuple[float, float] | None = None
    options: Mapping[str, Any] | None = None
    analyses: Sequence[MonitorAnalysis] | None = None

    def as_update(self) -> PositionUpdate:
        return PositionUpdate(
            position=self.position,
            identifier=self.identifier,
            j=self.j,
            j_err=self.j_err,
            decay_constants=self.decay_constants,
            mean_j=check_finite(self.mean_j, f"mean_j of position {self.position}", positive=True),
            mean_j_err=self.mean_j_err,
            mean_j_mswd=self.mean_j_mswd,
            position_jerr=self.position_jerr,
            options=self.options,
            analyses=self.analyses,
        )


def _analysis_entry(analysis: MonitorAnalysis, position: int) -> dict[str, Any]:
    if not analysis.record_id or not analysis.uuid:
        raise UsageError(f"position {position}: monitor analyses need record_id and uuid")
    return {
        "is_omitted": bool(analysis.omitted),
        "record_id": analysis.record_id,
        "uuid": analysis.uuid,
    }


def apply_updates(level: Level, updates: Iterable[PositionUpdate]) -> Level:
    """A new :class:`Level` with ``updates`` applied to a copy of the raw document.

    Every entry with a matching position number is updated (``NoIrradiation/A.json`` lists
    position 10 twice); a missing position is appended as Pychron does, starting from
    ``{"position": n, "decay_constants": {}}``. Keys not named by an update are kept.
    """
    document = copy.deepcopy(level.document)
    entries = _positions_of(document)
    for update in updates:
        values = update.fields()
        matches = [e for e in entries if _number(e) == update.position]
        if not matches:
            fresh: dict[str, Any] = {"decay_constants": {}, "position": int(update.position)}
            entries.append(fresh)
            matches = [fresh]
        for entry in matches:
            entry.update(copy.deepcopy(values))
    ref = FileRef(level.path)
    rebuilt = _level_from_document(document, ref)
    return Level(
        level.path,
        rebuilt.positions,
        rebuilt.z,
        rebuilt.legacy_list,
        document,
        level.style,
        level.source,
        level.original,
    )


def _number(entry: Any) -> int | None:
    if not isinstance(entry, dict):
        return None
    value = entry.get("position")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def empty_level(path: str, z: float = 0) -> Level:
    """A level that does not exist yet, in the current form."""
    document = new_level_document(z)
    return Level(path, (), float(z), False, document)


# --- frozen flux (data repository root, §5.13) ---------------------------------------------


class FrozenFluxEntry(MetaStruct):
    """``{"j": [value, error]}`` for one identifier."""

    j: tuple[float, float]


def frozen_flux_path(irradiation: str) -> str:
    """``<Irradiation>.json`` at the data repository root."""
    return f"{irradiation}.json"


def decode_frozen_flux(
    raw: bytes, *, path: str, repo: str | None = None, commit: str | None = None
) -> dict[str, tuple[float, float]]:
    """identifier → (J, σJ) from a frozen flux file; it overrides the MetaRepo's J."""
    ref = FileRef(path, repo, commit)
    obj = load_json(raw, ref)
    if not isinstance(obj, dict):
        raise ref.corrupt("a frozen flux file is an object keyed by identifier")
    return {
        str(key): to_struct(value, FrozenFluxEntry, ref, at=f"$.{key}").j
        for key, value in obj.items()
    }


def encode_frozen_flux(values: Mapping[str, tuple[float, float]]) -> bytes:
    """Write a frozen flux file in Pychron's form (canonical JSON)."""
    obj = {
        str(ident): {
            "j": [
                check_finite(j, f"J of {ident}", positive=True),
                check_finite(e, f"J error of {ident}"),
            ]
        }
        for ident, (j, e) in values.items()
    }
    return jsonio.dumps(obj)
