"""Making the workspace hold what a pointer names, from the cache.

Objects are verified (re-hashed) before they are placed, so a corrupt object never reaches
the workspace. Workspace content is never lost: a file (or folder entry) that differs from
the pointer and whose content the cache does not hold is refused unless ``force``; with
``force`` it is replaced. Files a folder holds beyond its manifest are removed only with
``force`` too. Placements are atomic per file (temp + rename) and recorded in the state
DB, so the status right after a checkout hashes nothing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ardvc.cache import manifest as manifests
from ardvc.cache.hashing import chunked_map
from ardvc.cache.links import place
from ardvc.cache.manifest import Entry
from ardvc.cache.pointer import Pointer
from ardvc.cache.store import Cache
from ardvc.cache.tree import Built, WalkedFile, build, lab_rel, remember
from ardvc.errors import CacheError, ObjectMissingError


@dataclass
class CheckoutResult:
    path: Path
    placed: int = 0
    removed: int = 0
    unchanged: bool = False
    link: str | None = None
    refused: list[str] = field(default_factory=list)


def _workspace(cache: Cache, path: Path) -> Built | None:
    if not os.path.lexists(path):
        return None
    return build(cache.state, cache.root, path, jobs=cache.settings.hash_jobs)


def checkout(
    cache: Cache,
    path: Path,
    pointer: Pointer,
    *,
    force: bool = False,
    on_file: Callable[[], None] | None = None,
) -> CheckoutResult:
    """Make ``path`` hold ``pointer``'s content (see the module docstring)."""
    result = CheckoutResult(path)
    current = _workspace(cache, path)
    if current is not None and current.hash == pointer.hash and current.kind == pointer.kind:
        result.unchanged = True
        return result
    if not cache.odb.exists(pointer.oid):
        raise ObjectMissingError(
            f"{lab_rel(cache.root, path)}: its content {pointer.hash[:16]}… is not in the cache",
            hint="ardvc cache pull fetches it from the cache remote",
        )
    if pointer.kind == "file":
        if current is not None and current.kind == "dir":
            _refuse_or_remove_dir(cache, path, current, force, result)
            if result.refused:
                return result
        elif current is not None and not force and not cache.odb.exists(current.hash):
            result.refused.append(lab_rel(cache.root, path))
            return result
        cache.odb.check(pointer.oid)
        result.link = place(cache.odb.path_str(pointer.oid), path, cache.settings.link_types,
                            pointer.size)  # fmt: skip
        result.placed = 1
        if on_file:
            on_file()
        walked = WalkedFile(path.name, str(path), os.lstat(path))
        _remember(cache, path, pointer, [(walked, pointer.hash)])
        return result
    entries = manifests.decode(cache.odb.read_bytes(pointer.oid), pointer.oid).entries
    _checkout_dir(cache, path, entries, current, force, result, on_file)
    if not result.refused:
        files = [(WalkedFile(e.relpath, str(path / e.relpath), os.lstat(path / e.relpath)),
                  e.hash) for e in entries]  # fmt: skip
        _remember(cache, path, pointer, files)
    return result


def _refuse_or_remove_dir(
    cache: Cache, path: Path, current: Built, force: bool, result: CheckoutResult
) -> None:
    lost = [f.rel for f, h in current.files if not cache.odb.exists(h)]
    if lost and not force:
        result.refused += [f"{lab_rel(cache.root, path)}/{rel}" for rel in lost]
        return
    shutil.rmtree(path)
    result.removed += len(current.files)


def _checkout_dir(
    cache: Cache,
    path: Path,
    entries: tuple[Entry, ...],
    current: Built | None,
    force: bool,
    result: CheckoutResult,
    on_file: Callable[[], None] | None,
) -> None:
    have: dict[str, str] = {}
    if current is not None and current.kind == "file":
        if not force and not cache.odb.exists(current.hash):
            result.refused.append(lab_rel(cache.root, path))
            return
        path.unlink()
    elif current is not None:
        if not current.files:  # the memo answered: hash per file to compare
            current = build(cache.state, cache.root, path, jobs=cache.settings.hash_jobs,
                            use_memo=False)  # fmt: skip
        have = {f.rel: h for f, h in current.files}
    wanted = {e.relpath: e for e in entries}
    extra = [rel for rel in have if rel not in wanted]
    changed = [rel for rel in have if rel in wanted and have[rel] != wanted[rel].hash]
    at_risk = [rel for rel in extra + changed if not cache.odb.exists(have[rel])]
    if at_risk and not force:
        result.refused += [f"{lab_rel(cache.root, path)}/{rel}" for rel in at_risk]
        return
    for rel in extra:
        (path / rel).unlink()
        result.removed += 1
    todo = [e for e in entries if have.get(e.relpath) != e.hash]
    types = cache.settings.link_types
    missing = [e.relpath for e in todo if not cache.odb.exists(e.hash)]
    if missing:
        raise ObjectMissingError(
            f"{lab_rel(cache.root, path)}: {len(missing)} files are not in the cache "
            f"(first: {missing[0]})",
            hint="ardvc cache pull fetches them from the cache remote",
        )

    def put(entry: Entry) -> str:
        cache.odb.check(entry.hash)
        return place(cache.odb.path_str(entry.hash), path / entry.relpath, types, entry.size)

    for _, kind in chunked_map(put, todo, cache.settings.jobs):
        result.link = result.link or kind
        result.placed += 1
        if on_file:
            on_file()
    _prune_empty(path)


def _prune_empty(folder: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(folder, topdown=False):
        if not dirnames and not filenames and Path(dirpath) != folder:
            try:
                os.rmdir(dirpath)
            except OSError as exc:
                raise CacheError(f"cannot remove the empty folder {dirpath}: {exc}") from exc


def _remember(
    cache: Cache, path: Path, pointer: Pointer, files: list[tuple[WalkedFile, str]]
) -> None:
    built = Built(pointer.kind, pointer.hash, pointer.size, pointer.nfiles, files=files,
                  clock=0)  # fmt: skip
    remember(cache.state, cache.root, path, built, cache.object_inode, written=True)
