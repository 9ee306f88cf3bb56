"""Reading the MetaRepo at any commit: irradiations, levels, J, chronology, productions
(pychron-format.md §8, §10); holders and spectrometers come from
:class:`~ardvc.meta.instruments.InstrumentReader`.

Everything is read from git objects at a resolved commit, never from the working tree, and
every error names the file and commit. Where Pychron substituted a default for a missing
input (J = 0, ``{}`` production, no chronology, sensitivity 1e-17) this raises a
:class:`~ardvc.errors.MissingInputError` subclass instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from ardvc.errors import (
    ChronologyNotFoundError,
    PositionNotFoundError,
    UsageError,
)
from ardvc.formats.chronology import Chronology, decode_chronology
from ardvc.formats.irradiation import Level, Position, decode_level
from ardvc.formats.metabase import FileRef
from ardvc.formats.names import check_safe_name
from ardvc.formats.production import (
    Production,
    ProductionMap,
    decode_production,
    decode_production_map,
)
from ardvc.meta.errors import (
    FluxNotSetError,
    IrradiationNotFoundError,
    LevelNotFoundError,
    ProductionNotFoundError,
)
from ardvc.meta.instruments import InstrumentReader

CHRONOLOGY = "chronology.txt"
PRODUCTIONS_MAP = "productions.json"
PRODUCTIONS_DIR = "productions"


@dataclass(frozen=True, slots=True)
class Flux:
    """The J of one position, ready for an age (reduction-math §8).

    ``lambda_k`` is the position's own ``(λK total, error)`` or ``None`` when the level
    stores none (then the constant set's λK applies); ``error`` may be ``None`` for the 2017
    float form.
    """

    irradiation: str
    level: str
    position: int
    identifier: str | None
    j: float
    j_err: float
    lambda_k: tuple[float | None, float | None] | None
    position_jerr: float | None
    commit: str


def level_path(irradiation: str, level: str) -> str:
    return f"{irradiation}/{level}.json"


def production_path(irradiation: str, name: str) -> str:
    return f"{irradiation}/{PRODUCTIONS_DIR}/{name}.json"


def _position_number(position: int | str) -> int:
    try:
        return int(position)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"irradiation position {position!r} is not an integer") from exc


class MetaReader(InstrumentReader):
    """Read-only access to one MetaRepo; ``rev`` is any revision, default HEAD."""

    # --- irradiations and levels --------------------------------------------------------

    def irradiations(self, rev: str | None = None) -> list[str]:
        """Top-level folders holding a ``chronology.txt`` (102 in NMGRLData/MetaData)."""
        commit = self.commit_id(rev)
        out = []
        for entry in self._git.tree(commit):
            if entry.type_str != "tree" or not entry.name:
                continue
            sub = self._tree(entry.name, commit)
            if sub is not None and CHRONOLOGY in sub:
                out.append(entry.name)
        return sorted(out)

    def has_irradiation(self, irradiation: str, rev: str | None = None) -> bool:
        check_safe_name(irradiation, what="irradiation name")
        return self._git.blob_id(f"{irradiation}/{CHRONOLOGY}", self.commit_id(rev)) is not None

    def _require_irradiation(self, irradiation: str, commit: str) -> None:
        if not self.has_irradiation(irradiation, commit):
            raise IrradiationNotFoundError(
                f"no irradiation {irradiation!r} in {self.name} at {commit[:12]}"
            )

    def levels(self, irradiation: str, rev: str | None = None) -> list[str]:
        """Level names: the ``*.json`` files of the irradiation except ``productions.json``."""
        commit = self.commit_id(rev)
        self._require_irradiation(irradiation, commit)
        names = self._names(irradiation, commit, ".json")
        return [n for n in names if f"{n}.json" != PRODUCTIONS_MAP]

    def level(self, irradiation: str, level: str, rev: str | None = None) -> Level:
        """The decoded level file (either form); invalid JSON → CorruptFileError.

        The returned object may be shared with later calls: treat ``document`` as read-only
        and edit through :func:`~ardvc.formats.irradiation.apply_updates`.
        """
        check_safe_name(irradiation, what="irradiation name")
        check_safe_name(level, what="level name")
        commit = self.commit_id(rev)
        path = level_path(irradiation, level)

        def decode(raw: bytes, ref: FileRef) -> Level:
            return decode_level(raw, path=ref.path, repo=ref.repo, commit=ref.commit)

        found = self._decoded("level", path, commit, decode)
        if found is None:
            self._require_irradiation(irradiation, commit)
            raise LevelNotFoundError(
                f"irradiation {irradiation} has no level {level!r} "
                f"({self.name}:{path} at {commit[:12]})"
            )
        return found

    def position(
        self, irradiation: str, level: str, position: int | str, rev: str | None = None
    ) -> Position:
        """The first position whose number equals ``int(position)``."""
        commit = self.commit_id(rev)
        number = _position_number(position)
        found = self.level(irradiation, level, commit).find(number)
        if found is None:
            raise PositionNotFoundError(
                f"{irradiation} level {level} has no position {number} "
                f"({self.name}:{level_path(irradiation, level)} at {commit[:12]}), so no J",
                hint="check the analysis's irradiation_position or enter the position",
            )
        return found

    def flux(
        self, irradiation: str, level: str, position: int | str, rev: str | None = None
    ) -> Flux:
        """J of a position; absent J or Pychron's placeholder ``0`` raise FluxNotSetError."""
        commit = self.commit_id(rev)
        pos = self.position(irradiation, level, position, commit)
        if not pos.j or pos.j_err is None:
            raise FluxNotSetError(
                f"{irradiation} level {level} position {pos.position} has no J "
                f"(j={pos.j!r}, j_err={pos.j_err!r}) in {self.name} at {commit[:12]}",
                hint="fit the flux of this level (Pychron would have computed age 0)",
            )
        return Flux(
            irradiation,
            level,
            pos.position,
            pos.identifier_text,
            pos.j,
            pos.j_err,
            pos.lambda_k,
            pos.position_jerr,
            commit,
        )

    # --- chronology and productions -----------------------------------------------------

    def chronology(self, irradiation: str, rev: str | None = None) -> Chronology:
        """The irradiation's segments; zero segments is valid (``NoIrradiation``)."""
        check_safe_name(irradiation, what="irradiation name")
        commit = self.commit_id(rev)
        path = f"{irradiation}/{CHRONOLOGY}"

        def decode(raw: bytes, ref: FileRef) -> Chronology:
            return decode_chronology(raw, path=ref.path, repo=ref.repo, commit=ref.commit)

        found = self._decoded("chronology", path, commit, decode)
        if found is None:
            raise ChronologyNotFoundError(
                f"no chronology for irradiation {irradiation!r} "
                f"({self.name}:{path} at {commit[:12]}), so no decay factors",
                hint="add the irradiation with its chronology first",
            )
        return found

    def production_map(self, irradiation: str, rev: str | None = None) -> ProductionMap:
        check_safe_name(irradiation, what="irradiation name")
        commit = self.commit_id(rev)
        path = f"{irradiation}/{PRODUCTIONS_MAP}"

        def decode(raw: bytes, ref: FileRef) -> ProductionMap:
            return decode_production_map(raw, path=ref.path, repo=ref.repo, commit=ref.commit)

        found = self._decoded("production-map", path, commit, decode)
        if found is None:
            self._require_irradiation(irradiation, commit)
            raise ProductionNotFoundError(
                f"irradiation {irradiation} has no {PRODUCTIONS_MAP} "
                f"({self.name} at {commit[:12]}): no level has a production"
            )
        return found

    def production_names(self, irradiation: str, rev: str | None = None) -> list[str]:
        """Files in ``<Irradiation>/productions/`` (without ``.json``)."""
        check_safe_name(irradiation, what="irradiation name")
        return self._names(f"{irradiation}/{PRODUCTIONS_DIR}", self.commit_id(rev), ".json")

    def production_file(self, irradiation: str, name: str, rev: str | None = None) -> Production:
        """A production file as stored, possibly empty (see :meth:`Production.require`).

        ``name`` may be ``""``: Pychron saved productions with an empty name as
        ``productions/.json`` (NM-285, NM-286, NM-291, NM-294).
        """
        check_safe_name(irradiation, what="irradiation name")
        if name:
            check_safe_name(name, what="production name")
        commit = self.commit_id(rev)
        path = production_path(irradiation, name)

        def decode(raw: bytes, ref: FileRef) -> Production:
            return decode_production(raw, path=ref.path, repo=ref.repo, commit=ref.commit)

        found = self._decoded("production", path, commit, decode)
        if found is None:
            raise ProductionNotFoundError(
                f"no production {name!r} for irradiation {irradiation} "
                f"({self.name}:{path} at {commit[:12]})"
            )
        return found

    def production(self, irradiation: str, level: str, rev: str | None = None) -> Production:
        """The level's production through ``productions.json``, with every ratio present.

        Raises ProductionNotFoundError (no map entry, or the named file is missing),
        EmptyProductionError (``{}``) or MissingInputError (some ratios absent).
        """
        commit = self.commit_id(rev)
        mapping = self.production_map(irradiation, commit)
        name = mapping.for_level(level)
        if not name:
            raise ProductionNotFoundError(
                f"level {level} of {irradiation} has no production in "
                f"{self.name}:{mapping.path} at {commit[:12]}",
                hint="assign a production to the level (set_level_production)",
            )
        production = self.production_file(irradiation, name, commit)
        production.require()
        return production
