"""Directory manifests (``.dir`` objects): the files of a tracked folder.

Canonical JSON ``{"algorithm": "blake3", "entries": [{"hash", "relpath", "size"}, …]}``
with entries sorted by ``relpath`` (posix separators) and keys sorted, so one folder
state has exactly one manifest and one oid (BLAKE3 of the bytes, plus ``.dir``). The
algorithm is written into the manifest (dvc-machinery.md §14.1): a manifest never means
one hash by the absence of a field. Empty folders are not represented.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from ardvc.cache.hashing import ALGORITHM, hash_bytes, is_oid
from ardvc.errors import CorruptObjectError

DIR_SUFFIX = ".dir"


@dataclass(frozen=True, slots=True)
class Entry:
    relpath: str
    hash: str
    size: int


@dataclass(frozen=True, slots=True)
class Manifest:
    entries: tuple[Entry, ...]

    @classmethod
    def of(cls, entries: Iterable[Entry]) -> Manifest:
        return cls(tuple(sorted(entries, key=lambda e: e.relpath)))

    @property
    def size(self) -> int:
        return sum(e.size for e in self.entries)

    def encode(self) -> bytes:
        return encode_entries((e.relpath, e.hash, e.size) for e in self.entries)

    def oid(self) -> str:
        return manifest_oid(self.encode())


def encode_entries(entries: Iterable[tuple[str, str, int]]) -> bytes:
    """The canonical bytes of a manifest of ``(relpath, hash, size)`` entries, already
    sorted by path (without building :class:`Entry` values: 10⁵ entries add up)."""
    return join_fragments([encode_fragment(entries)])


def encode_fragment(entries: Iterable[tuple[str, str, int]]) -> bytes:
    """The encoded entries of a run of consecutive ``(relpath, hash, size)`` entries:
    :func:`join_fragments` of the runs in order is :func:`encode_entries` of them all."""
    rows = [{"hash": h, "relpath": r, "size": n} for r, h, n in entries]
    return orjson.dumps(rows, option=orjson.OPT_SORT_KEYS)[1:-1]


def join_fragments(fragments: Iterable[bytes]) -> bytes:
    body = b",".join(f for f in fragments if f)
    return b'{"algorithm":"%s","entries":[%s]}' % (ALGORITHM.encode(), body)


def manifest_oid(raw: bytes) -> str:
    return hash_bytes(raw) + DIR_SUFFIX


def decode(raw: bytes, oid: str) -> Manifest:
    """A manifest from its object bytes (already verified against ``oid``)."""
    try:
        data = orjson.loads(raw)
        if data.get("algorithm") != ALGORITHM:
            raise ValueError(f"algorithm {data.get('algorithm')!r}")
        entries = tuple(
            Entry(str(e["relpath"]), str(e["hash"]), int(e["size"])) for e in data["entries"]
        )
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise CorruptObjectError(oid, f"manifest ({exc})") from exc
    for entry in entries:
        if not is_oid(entry.hash) or entry.hash.endswith(DIR_SUFFIX):
            raise CorruptObjectError(oid, f"manifest entry {entry.relpath!r}")
        parts = entry.relpath.split("/")
        if entry.relpath.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise CorruptObjectError(oid, f"manifest entry {entry.relpath!r} escapes its folder")
    return Manifest(entries)
