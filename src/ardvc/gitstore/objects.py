"""Typed access to pygit2 objects: pygit2's stubs return ``Object`` and ``str | None``."""

from __future__ import annotations

import pygit2

from ardvc.errors import GitStoreError


def tree_at(repo: pygit2.Repository, oid: pygit2.Oid | str) -> pygit2.Tree:
    obj = repo[oid]
    if not isinstance(obj, pygit2.Tree):
        raise GitStoreError(f"{oid} is not a tree")
    return obj


def blob_at(repo: pygit2.Repository, oid: pygit2.Oid | str) -> pygit2.Blob:
    obj = repo[oid]
    if not isinstance(obj, pygit2.Blob):
        raise GitStoreError(f"{oid} is not a blob")
    return obj


def commit_at(repo: pygit2.Repository, oid: pygit2.Oid | str) -> pygit2.Commit:
    obj = repo[oid]
    commit = obj.peel(pygit2.Commit)
    return commit


def name_of(entry: pygit2.Object) -> str:
    """A tree entry's name (always set for entries, ``None`` only for bare objects)."""
    name = entry.name
    if name is None:
        raise GitStoreError(f"tree entry {entry.id} has no name")
    return name


def lookup(tree: pygit2.Tree, path: str) -> pygit2.Object | None:
    """The object at ``path`` inside ``tree``, or ``None``."""
    if not path:
        return tree
    try:
        return tree / path
    except KeyError:
        return None
