"""Which repository paths the index can hold something of.

Why: a commit of artifact pointers and of the ``.gitignore`` lines that keep their content
out of git (``ardvc add``) changes nothing the index holds, so ardvc does not sync the
index after it — on a command line, importing the SQL layer alone takes most of a second —
and the index's health does not count such commits as missing from it.
"""

from __future__ import annotations

from collections.abc import Iterable

from ardvc.cache.pointer import SUFFIX as POINTER_SUFFIX

NEVER_INDEXED = (POINTER_SUFFIX, ".gitignore")
"""Endings of paths the index never reads."""


def indexed_paths(paths: Iterable[str]) -> bool:
    """Whether changing ``paths`` can change the index: any path but an artifact pointer or
    a ``.gitignore``."""
    return any(not path.endswith(NEVER_INDEXED) for path in paths)
