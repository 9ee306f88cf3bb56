"""Plumbing shared by the MetaRepo readers: resolve a revision, read and decode blobs once.

Reads go through git objects at a resolved commit (never the working tree); decoded files
are cached by (kind, path, commit), which are immutable.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import pygit2

from ardvc.formats.metabase import FileRef
from ardvc.gitstore import GitRepo

T = TypeVar("T")
CACHE_SIZE = 4096


class MetaBase:
    """One MetaRepo's git repository and a decode cache."""

    def __init__(self, git: GitRepo) -> None:
        self._git = git
        self._cache: OrderedDict[tuple[str, str, str], Any] = OrderedDict()

    @property
    def git(self) -> GitRepo:
        return self._git

    @property
    def name(self) -> str:
        return self._git.name

    def commit_id(self, rev: str | None = None) -> str:
        """The full commit id ``rev`` resolves to (every read pins one)."""
        return str(self._git.resolve(rev).id)

    # --- plumbing -----------------------------------------------------------------------

    def _ref(self, path: str, commit: str) -> FileRef:
        return FileRef(path, self.name, commit)

    def _raw(self, path: str, commit: str) -> bytes | None:
        oid = self._git.blob_id(path, commit)
        return None if oid is None else self._git.read_blob(oid)

    def _decoded(
        self, kind: str, path: str, commit: str, decode: Callable[[bytes, FileRef], T]
    ) -> T | None:
        """Decode ``path`` at ``commit`` once; ``None`` when the file does not exist."""
        key = (kind, path, commit)
        if key in self._cache:
            self._cache.move_to_end(key)
            cached: T = self._cache[key]
            return cached
        raw = self._raw(path, commit)
        if raw is None:
            return None
        value = decode(raw, self._ref(path, commit))
        self._cache[key] = value
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return value

    def _tree(self, path: str, commit: str) -> pygit2.Tree | None:
        tree = self._git.tree(commit)
        if not path:
            return tree
        try:
            obj = tree / path
        except KeyError:
            return None
        return obj if isinstance(obj, pygit2.Tree) else None

    def _names(self, folder: str, commit: str, suffix: str) -> list[str]:
        tree = self._tree(folder, commit)
        if tree is None:
            return []
        names = (e.name or "" for e in tree if e.type_str == "blob")
        return sorted(n[: -len(suffix)] for n in names if n.endswith(suffix))
