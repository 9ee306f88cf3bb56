"""Pychron's commit-message tags (pychron-format.md §6).

Tools grep the literal prefixes (``rollback to collection`` looks for
``<ISOEVO> default collection fits``), so they are kept byte-identical here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

COLLECTION = "<COLLECTION>"
ISOEVO = "<ISOEVO>"
BLANKS = "<BLANKS>"
ICFACTOR = "<ICFactor>"
TAG = "<TAG>"
SUBGROUP = "<SUBGROUP>"
IA = "<IA>"
MANUAL = "<MANUAL>"
DEFINE_EQUIL = "<DEFINE EQUIL>"
IMPORT = "<IMPORT>"
SYNC = "<SYNC>"
CSV = "<CSV>"

COLLECTION_LOG = f"{COLLECTION} log"
ISOEVO_COLLECTION = f"{ISOEVO} default collection fits"
ICFACTOR_COLLECTION = f"{ICFACTOR} default"

HISTORY_TAGS = (
    "TAG",
    "ISOEVO",
    "BLANKS",
    "ICFactor",
    "DEFINE EQUIL",
    "MASS SPEC REDUCED",
    "COLLECTION",
    "IMPORT",
    "MANUAL",
)

_TAG_RE = re.compile(r"^<([\w ]+)>")


def message_tag(message: str) -> str | None:
    """``"<ISOEVO>.intercepts fits=…"`` → ``"ISOEVO"``; ``None`` for untagged messages."""
    match = _TAG_RE.match(message)
    return match.group(1) if match else None


def blanks_collection(previous_blank: str | None) -> str:
    """``<BLANKS> preceding <runid>`` (empty run ID when there is no previous blank)."""
    return f"{BLANKS} preceding {previous_blank or ''}"


def fits_message(tag: str, modifier: str, fits: Iterable[tuple[str, str]], prefix: str = "") -> str:
    """``<ISOEVO>.intercepts fits=Ar40(parabolic),…`` built from what was written."""
    listed = ",".join(f"{key}({fit})" for key, fit in fits)
    lead = f"{prefix} " if prefix else ""
    return f"{tag}.{modifier} {lead}fits={listed}"


def tag_message(tag: str, first: str, last: str) -> str:
    """``<TAG> omit   65762-01A - 65762-02E`` (tag left-justified to 6 characters)."""
    return f"{TAG} {tag:<6} {first} - {last}"
