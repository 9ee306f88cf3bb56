"""Pointer files: ``PATH.ardvc`` — what a data repository commits for an artifact.

A few lines of canonical JSON (the algorithm, the content hash, the size; for a folder
also the manifest's file count) that git versions, while the content lives in the cache.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from ardvc.cache.hashing import ALGORITHM, is_oid
from ardvc.cache.manifest import DIR_SUFFIX
from ardvc.errors import PointerError

SUFFIX = ".ardvc"
FORMAT = 1


@dataclass(frozen=True, slots=True)
class Pointer:
    """``name`` is the artifact's file or folder name, next to its pointer file."""

    name: str
    hash: str
    size: int
    kind: str = "file"
    nfiles: int | None = None
    algorithm: str = ALGORITHM

    @property
    def oid(self) -> str:
        """The object that holds the content (a manifest for a folder)."""
        return self.hash + DIR_SUFFIX if self.kind == "dir" else self.hash

    def encode(self) -> bytes:
        data: dict[str, object] = {
            "ardvc": FORMAT,
            "algorithm": self.algorithm,
            "hash": self.hash,
            "kind": self.kind,
            "path": self.name,
            "size": self.size,
        }
        if self.kind == "dir":
            data["nfiles"] = self.nfiles
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def decode(raw: bytes, where: str) -> Pointer:
    try:
        data = orjson.loads(raw)
        pointer = Pointer(
            name=str(data["path"]),
            hash=str(data["hash"]),
            size=int(data["size"]),
            kind=str(data.get("kind", "file")),
            nfiles=None if data.get("nfiles") is None else int(data["nfiles"]),
            algorithm=str(data["algorithm"]),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PointerError(
            f"pointer file {where} is unreadable: {exc}",
            hint="restore it from git (git checkout -- FILE) or re-add the artifact",
        ) from exc
    if pointer.algorithm != ALGORITHM:
        raise PointerError(f"pointer file {where} uses {pointer.algorithm!r}, not {ALGORITHM}")
    if (
        pointer.kind not in ("file", "dir")
        or not is_oid(pointer.hash)
        or pointer.hash.endswith(DIR_SUFFIX)
    ):
        raise PointerError(f"pointer file {where} names no valid {ALGORITHM} content")
    if "/" in pointer.name or pointer.name in ("", ".", ".."):
        raise PointerError(f"pointer file {where} names {pointer.name!r}, not a sibling")
    return pointer


def pointer_path_for(artifact: str) -> str:
    return artifact + SUFFIX


def artifact_path_for(pointer_path: str) -> str:
    return pointer_path.removesuffix(SUFFIX)
