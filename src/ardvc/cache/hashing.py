"""BLAKE3 content hashes of bytes and files.

BLAKE3 is a fast cryptographic hash that parallelises within one file (dvc-machinery.md
§2: 4 GB/s on one core where md5 does 0.7). Large files are hashed from a memory map with
all cores; small files are read whole with plain ``os`` calls (a thread pool is available
for slow file systems, see ``CacheSettings.hash_jobs``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from blake3 import blake3

ALGORITHM = "blake3"
HEX_LENGTH = 64
LARGE_FILE = 4 << 20
"""From this size a file is hashed from a memory map with every core."""
CHUNK = 256
"""Small files per thread-pool task: fewer, larger tasks keep Python's overhead low."""

T = TypeVar("T")
R = TypeVar("R")


def default_jobs(configured: int = 0) -> int:
    """``cache.jobs``, or every core plus a few for I/O waits."""
    return configured if configured > 0 else min(32, (os.cpu_count() or 1) + 4)


def hash_bytes(data: bytes | memoryview) -> str:
    return str(blake3(data).hexdigest())


def hash_file(path: Path | str, size: int | None = None) -> str:
    """The BLAKE3 hex digest of a file's content."""
    if size is None:
        size = os.stat(path).st_size
    if size >= LARGE_FILE:
        hasher = blake3(max_threads=blake3.AUTO)
        hasher.update_mmap(os.fspath(path))
        return str(hasher.hexdigest())
    with open(path, "rb") as handle:
        return str(blake3(handle.read()).hexdigest())


def is_oid(text: str) -> bool:
    """A file oid (64 hex digits) or a manifest oid (the same plus ``.dir``)."""
    core = text.removesuffix(".dir")
    return len(core) == HEX_LENGTH and all(c in "0123456789abcdef" for c in core)


def chunked_map(
    func: Callable[[T], R], items: Sequence[T], jobs: int, chunk: int = CHUNK
) -> Iterator[tuple[T, R]]:
    """``(item, func(item))`` for every item, computed by ``jobs`` threads in chunks, in
    completion order of the chunks (each chunk's items in order)."""
    if jobs <= 1 or len(items) <= chunk:
        for item in items:
            yield item, func(item)
        return

    def run(part: Sequence[T]) -> list[tuple[T, R]]:
        return [(item, func(item)) for item in part]

    from concurrent.futures import ThreadPoolExecutor  # not in add's worker processes

    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="ardvc-hash") as pool:
        parts = [items[i : i + chunk] for i in range(0, len(items), chunk)]
        for done in pool.map(run, parts):
            yield from done


def hash_files(
    paths: Iterable[tuple[Path, int]], jobs: int
) -> Iterator[tuple[tuple[Path, int], str]]:
    """Hash ``(path, size)`` pairs: large files one after another (each already uses every
    core), small ones on ``jobs`` threads."""
    items = list(paths)
    large = [p for p in items if p[1] >= LARGE_FILE]
    small = [p for p in items if p[1] < LARGE_FILE]
    for item in large:
        yield item, hash_file(item[0], item[1])
    yield from chunked_map(lambda item: hash_file(item[0], item[1]), small, jobs)
