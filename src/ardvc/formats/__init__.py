"""msgspec schemas and codecs for Pychron's file kinds (pychron-format.md §3–§5, §8)."""

# --- data-repository file kinds (schemas, registry) ---------------------------------------
from ardvc.formats.analysis_file import AnalysisFile, IsotopeInfo, parse_timestamp
from ardvc.formats.extraction import ExtractionFile, Position, ResponseStream, decode_stream
from ardvc.formats.fits import FitEntry, FitsFile, OutlierFilter, decode_fits
from ardvc.formats.ia import IAAnalysis, IAFile, IAFile2018, IAFile2022, UValue, decode_ia
from ardvc.formats.kinds import KINDS, SPECTROMETER, PathKind, classify_path, decode_file
from ardvc.formats.monitor import MonitorEntry, MonitorFile, decode_monitor
from ardvc.formats.peakcenter import PeakCenterFile, PeakScan, decode_peakcenter
from ardvc.formats.rawdata import RawData
from ardvc.formats.references import (
    Reference,
    ReferenceEntry,
    ReferencesFile,
    decode_references,
    detector_of_key,
)
from ardvc.formats.schema import FileStruct, convert, normalise_error_type, parse_fit
from ardvc.formats.spectrometer_file import SpectrometerFile, spec_sha
from ardvc.formats.tags import DEFAULT_TAG, EXCLUDING_TAGS, TagFile, is_excluding

__all__ = [
    "DEFAULT_TAG",
    "EXCLUDING_TAGS",
    "KINDS",
    "SPECTROMETER",
    "AnalysisFile",
    "ExtractionFile",
    "FileStruct",
    "FitEntry",
    "FitsFile",
    "IAAnalysis",
    "IAFile",
    "IAFile2018",
    "IAFile2022",
    "IsotopeInfo",
    "MonitorEntry",
    "MonitorFile",
    "OutlierFilter",
    "PathKind",
    "PeakCenterFile",
    "PeakScan",
    "Position",
    "RawData",
    "Reference",
    "ReferenceEntry",
    "ReferencesFile",
    "ResponseStream",
    "SpectrometerFile",
    "TagFile",
    "UValue",
    "classify_path",
    "convert",
    "decode_file",
    "decode_fits",
    "decode_ia",
    "decode_monitor",
    "decode_peakcenter",
    "decode_references",
    "decode_stream",
    "detector_of_key",
    "is_excluding",
    "normalise_error_type",
    "parse_fit",
    "parse_timestamp",
    "spec_sha",
]
