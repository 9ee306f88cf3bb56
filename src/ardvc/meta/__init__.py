"""The MetaRepo: irradiations, levels and J, chronologies, productions, holders,
spectrometer sensitivities and constants (pychron-format.md §8)."""

from ardvc.formats.chronology import Chronology, ChronologySegment
from ardvc.formats.holders import Holder, Hole
from ardvc.formats.irradiation import (
    DecayConstants,
    FluxResult,
    Level,
    MonitorAnalysis,
    Position,
    PositionUpdate,
)
from ardvc.formats.production import PRODUCTION_KEYS, Production, ProductionMap
from ardvc.formats.spectrometer import Cocktail, SensitivityRecord
from ardvc.meta.errors import (
    AlreadyExistsError,
    FluxNotSetError,
    HolderNotFoundError,
    IrradiationNotFoundError,
    LevelNotFoundError,
    ProductionNotFoundError,
    SensitivityNotFoundError,
    SpectrometerNotFoundError,
)
from ardvc.meta.initial import initial_files
from ardvc.meta.instruments import InstrumentReader
from ardvc.meta.read import Flux, MetaReader
from ardvc.meta.repo import MetaRepo, open_meta

__all__ = [
    "PRODUCTION_KEYS",
    "AlreadyExistsError",
    "Chronology",
    "ChronologySegment",
    "Cocktail",
    "DecayConstants",
    "Flux",
    "FluxNotSetError",
    "FluxResult",
    "Holder",
    "HolderNotFoundError",
    "Hole",
    "InstrumentReader",
    "IrradiationNotFoundError",
    "Level",
    "LevelNotFoundError",
    "MetaReader",
    "MetaRepo",
    "MonitorAnalysis",
    "Position",
    "PositionUpdate",
    "Production",
    "ProductionMap",
    "ProductionNotFoundError",
    "SensitivityNotFoundError",
    "SensitivityRecord",
    "SpectrometerNotFoundError",
    "initial_files",
    "open_meta",
]
