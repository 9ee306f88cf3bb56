"""Tag files ``tags/<tail>.tags.json`` and ``reduction/<shard>/tags/…`` (pychron-format.md §5.10).

A tag decides whether an analysis takes part in a reduction. Pychron stopped writing these
files in 2020 (tags went to SQL only); ardvc keeps them in git so exclusions are
reproducible. A missing tag file means ``ok``.
"""

from __future__ import annotations

from ardvc.formats.schema import FileStruct

DEFAULT_TAG = "ok"
EXCLUDING_TAGS = frozenset({"omit", "invalid", "outlier", "skip"})
"""Tags that remove an analysis from every calculation."""
KNOWN_TAGS = ("ok", "omit", "invalid", "outlier", "skip", "omit_isochron")


def is_excluding(tag: str | None) -> bool:
    """True when ``tag`` excludes the analysis; ``None``/empty means ``ok``."""
    return bool(tag) and str(tag).strip().lower() in EXCLUDING_TAGS


class TagFile(FileStruct, kw_only=True):
    """``{"name", "note", "subgroup"}``; older files carry only ``{"name"}``."""

    name: str
    note: str = ""
    subgroup: str = ""

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a tag file needs a non-empty 'name'")

    @property
    def excluded(self) -> bool:
        return is_excluding(self.name)
