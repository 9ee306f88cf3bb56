"""Build a new git tree from a base tree and explicit changes, without a git index.

This is the heart of ardvc's commit safety: a commit contains the base tree plus exactly the
(path, content) pairs the caller gave. Nothing that happens to be staged, and nothing missing
from a stale index, can slip into it (Pychron's MetaRepo was wiped three times that way).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pygit2

from ardvc.errors import UnsafeNameError
from ardvc.formats.names import check_safe_name
from ardvc.gitstore.objects import name_of, tree_at

BLOB_MODE = pygit2.GIT_FILEMODE_BLOB
TREE_MODE = pygit2.GIT_FILEMODE_TREE

Content = bytes | None
"""New file content, or ``None`` to delete the path."""


@dataclass(slots=True)
class TreeEdit:
    """What building one tree did: blobs written per path and files deleted."""

    written: dict[str, str] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def check_repo_path(path: str) -> list[str]:
    """Split a repository-relative path, refusing anything that could escape or hit ``.git``."""
    if not path or path.startswith("/"):
        raise UnsafeNameError(f"unsafe path {path!r}: must be relative to the repository")
    parts = path.split("/")
    for part in parts:
        check_safe_name(part, what="path component")
        if part.lower() == ".git":
            raise UnsafeNameError(f"unsafe path {path!r}: ardvc never writes inside .git")
    return parts


def build_tree(
    repo: pygit2.Repository,
    base: pygit2.Tree | None,
    changes: Mapping[str, Content],
) -> tuple[pygit2.Oid, TreeEdit]:
    """Write blobs and trees for ``changes`` applied to ``base``; return the new root tree id."""
    nested: dict[str, dict[str, Content]] = {}
    for path, content in changes.items():
        parts = check_repo_path(path)
        nested.setdefault(parts[0], {})["/".join(parts[1:])] = content
    edit = TreeEdit()
    oid, _ = _build(repo, base, nested, "", edit)
    return oid, edit


def _count_files(repo: pygit2.Repository, tree: pygit2.Tree, prefix: str, out: list[str]) -> None:
    for entry in tree:
        if entry.type_str == "tree":
            _count_files(repo, tree_at(repo, entry.id), f"{prefix}{name_of(entry)}/", out)
        else:
            out.append(prefix + name_of(entry))


def _build(
    repo: pygit2.Repository,
    base: pygit2.Tree | None,
    changes: dict[str, dict[str, Content]],
    prefix: str,
    edit: TreeEdit,
) -> tuple[pygit2.Oid, int]:
    """The new tree's id and its number of entries (an empty folder is dropped by the
    caller; counting here spares reading the tree back)."""
    builder = repo.TreeBuilder(base) if base is not None else repo.TreeBuilder()
    for name, sub in changes.items():
        existing: pygit2.Object | None = builder.get(name)
        path = prefix + name
        if "" in sub:  # this component is the file itself
            content = sub[""]
            if len(sub) > 1:
                raise UnsafeNameError(f"{path!r} is given both as a file and as a folder")
            if content is None:
                if existing is None:
                    continue
                if existing.type_str == "tree":
                    _count_files(repo, tree_at(repo, existing.id), path + "/", edit.deleted)
                else:
                    edit.deleted.append(path)
                builder.remove(name)
                continue
            blob = repo.create_blob(content)
            if existing is not None and existing.id == blob and existing.type_str == "blob":
                edit.unchanged.append(path)
                continue
            mode = (
                existing.filemode
                if existing is not None and existing.type_str == "blob"
                else BLOB_MODE
            )
            builder.insert(name, blob, mode)
            edit.written[path] = str(blob)
            continue
        subbase = (
            tree_at(repo, existing.id)
            if existing is not None and existing.type_str == "tree"
            else None
        )
        if existing is not None and subbase is None:
            # a file is replaced by a folder of the same name
            edit.deleted.append(path)
        grouped: dict[str, dict[str, Content]] = {}
        for rest, content in sub.items():
            head, _, tail = rest.partition("/")
            grouped.setdefault(head, {})[tail] = content
        oid, entries = _build(repo, subbase, grouped, path + "/", edit)
        if entries == 0:
            if existing is not None:
                builder.remove(name)
        else:
            builder.insert(name, oid, TREE_MODE)
    return builder.write(), len(builder)
