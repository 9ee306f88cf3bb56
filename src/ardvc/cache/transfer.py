"""Moving objects and run records between the cache and a cache remote.

Files go first, on ``jobs`` threads; a manifest goes only after every file it lists is
on the remote (and is fetched into the cache only after its files are), so a manifest
anywhere implies its files. Every object is verified: before upload (a corrupt local
object is never spread) and after download (a corrupt remote object never enters the
cache). Failures are collected per object and raised together as
:class:`~ardvc.errors.TransferError` after everything else was moved; the report says
exactly what moved. Run records move incrementally: only those the remote index has not
seen are uploaded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ardvc.cache import manifest as manifests
from ardvc.cache.flush import sync_filesystem
from ardvc.cache.hashing import hash_bytes, hash_file
from ardvc.cache.remote import CacheRemote
from ardvc.cache.remote_index import RemoteIndex
from ardvc.cache.store import Cache
from ardvc.errors import CorruptObjectError, ObjectMissingError, TransferError

Progress = Callable[[int], None]


@dataclass
class TransferReport:
    direction: str
    remote: str
    moved: list[str] = field(default_factory=list)
    already: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    runs: int = 0
    bytes: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True, slots=True)
class CloudStatus:
    """Referenced objects by where they are."""

    both: set[str]
    local_only: set[str]
    remote_only: set[str]
    missing: set[str]


def remote_index(cache: Cache, remote: CacheRemote) -> RemoteIndex:
    return RemoteIndex(cache.workspace.tmp_dir / "index" / remote.name)


def on_remote(
    remote: CacheRemote, index: RemoteIndex, oids: set[str], *, refresh: bool = False
) -> set[str]:
    """Which of ``oids`` the remote holds, asking it only about those the index does not
    know; an indexed manifest that vanished clears the index (see remote_index)."""
    if refresh:
        index.clear()
    known = index.known(oids)
    dirs = [o for o in known if o.endswith(manifests.DIR_SUFFIX)]
    if dirs and not all(remote.exists(d) for d in dirs):
        index.clear()
        known = set()
    found = remote.present(oids - known)
    index.add(found)
    return known | found


def _parallel(
    work: Callable[[str], int], oids: Iterable[str], jobs: int, report: TransferReport,
    progress: Progress | None,
) -> list[str]:  # fmt: skip
    done: list[str] = []

    def one(oid: str) -> tuple[str, int | None, str | None]:
        try:
            return oid, work(oid), None
        except Exception as exc:  # noqa: BLE001 — collected per object, raised as TransferError
            return oid, None, f"{type(exc).__name__}: {exc}"

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="ardvc-xfer") as pool:
        for oid, size, error in pool.map(one, sorted(oids)):
            if error is not None:
                report.failed[oid] = error
            else:
                done.append(oid)
                report.bytes += size or 0
            if progress:
                progress(1)
    return done


def _entries(cache: Cache, oid: str) -> list[str]:
    return [e.hash for e in manifests.decode(cache.odb.read_bytes(oid), oid).entries]


def push(
    cache: Cache,
    remote: CacheRemote,
    oids: set[str],
    *,
    progress: Progress | None = None,
    refresh: bool = False,
) -> TransferReport:
    """Upload ``oids`` (files and manifests, expanded) the remote lacks, then new run
    records. Raises :class:`TransferError` (with ``.report``) when anything failed."""
    report = TransferReport("push", remote.name)
    index = remote_index(cache, remote)
    try:
        present = on_remote(remote, index, oids, refresh=refresh)
        report.already = len(present)
        todo = oids - present
        files = {o for o in todo if not o.endswith(manifests.DIR_SUFFIX)}
        dirs = todo - files

        def send(oid: str) -> int:
            local = cache.odb.path_str(oid)
            if not os.path.exists(local):
                raise ObjectMissingError("not in the local cache")
            actual = hash_file(local)
            if actual != oid.removesuffix(manifests.DIR_SUFFIX):
                raise CorruptObjectError(oid, local, actual)
            remote.upload(local, remote.object_path(oid))
            return os.stat(local).st_size

        sent = _parallel(send, files, remote.jobs, report, progress)
        index.add(sent)
        ready = []
        for d in sorted(dirs):
            try:
                lacking = [e for e in _entries(cache, d) if e in report.failed]
            except (ObjectMissingError, CorruptObjectError) as exc:
                report.failed[d] = str(exc)
                continue
            if lacking:
                report.failed[d] = f"not sent: {len(lacking)} of its files failed"
            else:
                ready.append(d)
        sent_dirs = _parallel(send, ready, remote.jobs, report, progress)
        index.add(sent_dirs)
        report.moved = sent + sent_dirs
        report.runs = _push_runs(cache, remote, index, report)
    finally:
        index.close()
    if report.failed:
        _raise(report, len(oids))
    return report


def _push_runs(
    cache: Cache, remote: CacheRemote, index: RemoteIndex, report: TransferReport
) -> int:
    known = index.known_runs()
    new = [e for e in cache.runs.entries() if e not in known]

    def send(entry: str) -> int:
        key, value = entry.split("/")
        data = cache.runs.path(key, value).read_bytes()
        if hash_bytes(data) != value:
            raise CorruptObjectError(value, str(cache.runs.path(key, value)))
        remote.upload_bytes(data, remote.run_path(key, value))
        return len(data)

    done = _parallel(send, [f"{k}/{v}" for k, v in new], remote.jobs, report, None)
    index.add_runs(_pair(d) for d in done)
    return len(done)


def fetch(
    cache: Cache,
    remote: CacheRemote,
    wanted: set[str],
    *,
    progress: Progress | None = None,
) -> TransferReport:
    """Download what the cache lacks of ``wanted`` (manifests are expanded) and the
    remote's run records. Raises :class:`TransferError` (with ``.report``) on failures."""
    report = TransferReport("fetch", remote.name)
    index = remote_index(cache, remote)
    fetched_dirs: dict[str, bytes] = {}
    try:
        files = {o for o in wanted if not o.endswith(manifests.DIR_SUFFIX)}
        for d in sorted(wanted - files):
            try:
                if cache.odb.exists(d):
                    files.update(_entries(cache, d))
                    continue
                data = remote.read_bytes(remote.object_path(d))
                if manifests.manifest_oid(data) != d:
                    raise CorruptObjectError(d, f"{remote.name}:{remote.object_path(d)}")
                files.update(e.hash for e in manifests.decode(data, d).entries)
                fetched_dirs[d] = data
            except Exception as exc:  # noqa: BLE001 — collected per object, raised below
                report.failed[d] = f"{type(exc).__name__}: {exc}"
        todo = {o for o in files if not cache.odb.exists(o)}
        report.already = len(files) - len(todo)
        staged: dict[str, str] = {}

        def get(oid: str) -> int:
            tmp = cache.odb.temp_path()
            try:
                remote.download(remote.object_path(oid), str(tmp))
                actual = hash_file(tmp)
                if actual != oid:
                    raise CorruptObjectError(
                        oid, f"{remote.name}:{remote.object_path(oid)}", actual
                    )
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            staged[oid] = str(tmp)
            return tmp.stat().st_size

        got = _parallel(get, todo, remote.jobs, report, progress)
        if staged:
            sync_filesystem(cache.odb.tmp_dir)
            for oid in got:
                cache.odb.install(Path(staged[oid]), oid)
        index.add(got)
        for d, data in fetched_dirs.items():
            entries = [e.hash for e in manifests.decode(data, d).entries]
            if all(cache.odb.exists(e) for e in entries):
                cache.odb.add_bytes(data, d)
                got.append(d)
            else:
                report.failed.setdefault(d, "not stored: some of its files failed")
        report.moved = got
        report.runs = _fetch_runs(cache, remote, index, report)
    finally:
        index.close()
    if report.failed:
        _raise(report, len(wanted))
    return report


def _fetch_runs(
    cache: Cache, remote: CacheRemote, index: RemoteIndex, report: TransferReport
) -> int:
    local = set(cache.runs.entries())
    new = sorted(remote.all_runs() - local)

    def get(entry: str) -> int:
        key, value = entry.split("/")
        data = remote.read_bytes(remote.run_path(key, value))
        if not cache.runs.store_raw(key, value, data):
            raise CorruptObjectError(value, f"{remote.name}:{remote.run_path(key, value)}")
        return len(data)

    done = _parallel(get, [f"{k}/{v}" for k, v in new], remote.jobs, report, None)
    index.add_runs(_pair(d) for d in done)
    return len(done)


def _pair(entry: str) -> tuple[str, str]:
    key, _, value = entry.partition("/")
    return key, value


def cloud_status(
    cache: Cache, remote: CacheRemote, oids: set[str], *, refresh: bool = False
) -> CloudStatus:
    index = remote_index(cache, remote)
    try:
        there = on_remote(remote, index, oids, refresh=refresh)
    finally:
        index.close()
    here = {o for o in oids if cache.odb.exists(o)}
    return CloudStatus(here & there, here - there, there - here, oids - here - there)


def _raise(report: TransferReport, total: int) -> None:
    first = next(iter(sorted(report.failed.items())))
    error = TransferError(
        f"{len(report.failed)} of {total} objects failed to {report.direction} "
        f"({'to' if report.direction == 'push' else 'from'} {report.remote}); "
        f"{len(report.moved)} moved. First: {first[0][:16]}…: {first[1]}",
        report.failed,
        hint="fix the cause and run the command again: what moved is kept",
        report=report,
    )
    raise error
