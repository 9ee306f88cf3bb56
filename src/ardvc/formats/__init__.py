"""msgspec schemas and codecs for Pychron's file kinds (pychron-format.md §3–§5, §8).

The names below are imported from their modules on first use, so importing one module
of the package (``ardvc.formats.jsonio`` for every configuration write) does not load
every schema and NumPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_WHERE = {
    "AnalysisFile": "ardvc.formats.analysis_file",
    "DEFAULT_TAG": "ardvc.formats.tags",
    "EXCLUDING_TAGS": "ardvc.formats.tags",
    "ExtractionFile": "ardvc.formats.extraction",
    "FileStruct": "ardvc.formats.schema",
    "FitEntry": "ardvc.formats.fits",
    "FitsFile": "ardvc.formats.fits",
    "IAAnalysis": "ardvc.formats.ia",
    "IAFile": "ardvc.formats.ia",
    "IAFile2018": "ardvc.formats.ia",
    "IAFile2022": "ardvc.formats.ia",
    "IsotopeInfo": "ardvc.formats.analysis_file",
    "KINDS": "ardvc.formats.kinds",
    "MonitorEntry": "ardvc.formats.monitor",
    "MonitorFile": "ardvc.formats.monitor",
    "OutlierFilter": "ardvc.formats.fits",
    "PathKind": "ardvc.formats.kinds",
    "PeakCenterFile": "ardvc.formats.peakcenter",
    "PeakScan": "ardvc.formats.peakcenter",
    "Position": "ardvc.formats.extraction",
    "RawData": "ardvc.formats.rawdata",
    "Reference": "ardvc.formats.references",
    "ReferenceEntry": "ardvc.formats.references",
    "ReferencesFile": "ardvc.formats.references",
    "ResponseStream": "ardvc.formats.extraction",
    "SPECTROMETER": "ardvc.formats.kinds",
    "SpectrometerFile": "ardvc.formats.spectrometer_file",
    "TagFile": "ardvc.formats.tags",
    "UValue": "ardvc.formats.ia",
    "classify_path": "ardvc.formats.kinds",
    "convert": "ardvc.formats.schema",
    "decode_file": "ardvc.formats.kinds",
    "decode_fits": "ardvc.formats.fits",
    "decode_ia": "ardvc.formats.ia",
    "decode_monitor": "ardvc.formats.monitor",
    "decode_peakcenter": "ardvc.formats.peakcenter",
    "decode_references": "ardvc.formats.references",
    "decode_stream": "ardvc.formats.extraction",
    "detector_of_key": "ardvc.formats.references",
    "is_excluding": "ardvc.formats.tags",
    "normalise_error_type": "ardvc.formats.schema",
    "parse_fit": "ardvc.formats.schema",
    "parse_timestamp": "ardvc.formats.analysis_file",
    "spec_sha": "ardvc.formats.spectrometer_file",
}

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


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
