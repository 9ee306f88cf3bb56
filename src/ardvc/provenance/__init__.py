"""Provenance you can query: value history (``ardvc log``), blame and value-level diffs of
an analysis, read from git. Nothing here writes."""

from ardvc.provenance.blame import BlameLine, blame
from ardvc.provenance.history import Revision, ValueDiff, value_diff, value_history
from ardvc.provenance.valuediff import FileDiff, ValueChange

__all__ = [
    "BlameLine",
    "FileDiff",
    "Revision",
    "ValueChange",
    "ValueDiff",
    "blame",
    "value_diff",
    "value_history",
]
