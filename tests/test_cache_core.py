"""The cache's building blocks: objects, manifests, the state DB, links and locks."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import orjson
import pytest
from blake3 import blake3

from ardvc.cache import manifest as manifests
from ardvc.cache import tree, walking
from ardvc.cache.hashing import LARGE_FILE, hash_file
from ardvc.cache.links import parse_types, place, unprotect
from ardvc.cache.locks import Holder, WorkspaceLock
from ardvc.cache.objects import ObjectStore, WriteBatch
from ardvc.cache.pointer import Pointer, decode
from ardvc.cache.rwlock import RWLock, overlaps
from ardvc.cache.state import StateDB
from ardvc.cache.tree import build
from ardvc.errors import (
    CacheError,
    ConfigError,
    CorruptObjectError,
    LockTimeoutError,
    PointerError,
)


def test_objects_are_content_addressed_read_only_and_deduplicated(tmp_path: Path) -> None:
    odb = ObjectStore(tmp_path / "cache")
    data = os.urandom(3000)
    oid = odb.add_bytes(data)
    assert oid == blake3(data).hexdigest()
    path = odb.path(oid)
    assert path == tmp_path / "cache" / "files" / "blake3" / oid[:2] / oid[2:]
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert odb.add_bytes(data) == oid  # dedup: the same object, no second file
    assert list(odb.oids()) == [oid]
    assert odb.read_bytes(oid) == data
    assert not list((tmp_path / "cache" / "tmp").iterdir())  # no temp left behind


def test_large_file_is_hashed_from_its_private_copy(tmp_path: Path) -> None:
    odb = ObjectStore(tmp_path / "cache")
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(LARGE_FILE + 12345))
    oid, added = odb.add_file(src)
    assert added and oid == blake3(src.read_bytes()).hexdigest() == hash_file(src)
    assert odb.add_file(src) == (oid, False)
    assert odb.verify(oid) is None


def test_a_bit_flip_is_detected_on_read_and_by_verify(tmp_path: Path) -> None:
    odb = ObjectStore(tmp_path / "cache")
    data = b"laser snapshot " * 100
    oid = odb.add_bytes(data)
    path = odb.path(oid)
    path.chmod(0o644)
    raw = bytearray(path.read_bytes())
    raw[17] ^= 0x04  # one bit
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptObjectError) as err:
        odb.read_bytes(oid)
    assert oid[:16] in str(err.value)
    assert odb.verify(oid) == blake3(bytes(raw)).hexdigest()


def test_batch_writes_appear_only_on_commit(tmp_path: Path) -> None:
    odb = ObjectStore(tmp_path / "cache")
    batch = WriteBatch(odb)
    blobs = [os.urandom(100) for _ in range(5)]
    for b in blobs:
        batch.stage(b, blake3(b).hexdigest())
    assert list(odb.oids()) == []  # staged temps are not objects
    assert batch.commit() == 5
    assert sorted(odb.oids()) == sorted(blake3(b).hexdigest() for b in blobs)


def test_manifest_is_canonical_and_refuses_escapes() -> None:
    a = manifests.Manifest.of([manifests.Entry("b/x", "1" * 64, 3),
                               manifests.Entry("a", "2" * 64, 5)])  # fmt: skip
    raw = a.encode()
    data = orjson.loads(raw)
    assert data["algorithm"] == "blake3"
    assert [e["relpath"] for e in data["entries"]] == ["a", "b/x"]
    assert raw == manifests.Manifest.of(reversed(a.entries)).encode()
    assert a.oid().endswith(".dir") and manifests.decode(raw, a.oid()) == a
    bad = orjson.dumps({"algorithm": "blake3",
                        "entries": [{"hash": "1" * 64, "relpath": "../x", "size": 1}]})  # fmt: skip
    with pytest.raises(CorruptObjectError):
        manifests.decode(bad, "x")
    with pytest.raises(CorruptObjectError):
        manifests.decode(b"[1, 2]", "x")


def test_pointer_round_trip_and_bad_pointers() -> None:
    p = Pointer("snaps", "a" * 64, 10, "dir", 3)
    assert decode(p.encode(), "x") == p and p.oid == "a" * 64 + ".dir"
    assert b'"algorithm": "blake3"' in p.encode()
    good = {"path": "a", "hash": "a" * 64, "size": 1, "algorithm": "blake3"}
    bad = [{**good, "hash": "zz"}, {**good, "path": "a/b"}, {**good, "algorithm": "md5"}]
    for raw in [b"{", *(orjson.dumps(b) for b in bad)]:
        with pytest.raises(PointerError):
            decode(raw, "where")


def _tree(root: Path, n: int) -> Path:
    folder = root / "data"
    for i in range(n):
        sub = folder / f"d{i % 4}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i}.png").write_bytes(os.urandom(50 + i))
    return folder


def test_state_db_hashes_nothing_on_a_noop_and_sees_changes(tmp_path: Path) -> None:
    folder = _tree(tmp_path, 40)
    time.sleep(0.02)  # files older than the hashing clock: not racy
    state = StateDB(tmp_path / "state")
    calls: list[str] = []

    def hasher(f: object) -> str:
        calls.append(f.rel)  # type: ignore[attr-defined]
        return hash_file(f.path)  # type: ignore[attr-defined]

    first = build(state, tmp_path, folder, jobs=2, hasher=hasher)
    assert first.hashed == 40 and len(calls) == 40 and first.nfiles == 40
    calls.clear()
    again = build(state, tmp_path, folder, jobs=2, hasher=hasher)
    assert again.memo_hit and calls == [] and again.hash == first.hash
    # an in-place change that keeps the size: only that file is hashed again
    target = folder / "d1" / "f1.png"
    target.write_bytes(os.urandom(51))
    changed = build(state, tmp_path, folder, jobs=2, hasher=hasher)
    assert calls == ["d1/f1.png"] and changed.hash != first.hash
    # a rewrite that restores the old mtime is still seen (ctime is in the key)
    calls.clear()
    before = target.stat()
    target.write_bytes(os.urandom(51))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert build(state, tmp_path, folder, jobs=2, hasher=hasher).hash != changed.hash
    assert calls == ["d1/f1.png"]


def test_a_big_folder_is_walked_on_helper_processes_with_the_same_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the threshold, a status walks the folder on helper processes: the signature
    must be the one the walk in this process computes, changes must still be seen, and a
    symlink must still be refused."""
    folder = _tree(tmp_path, 60)
    (folder / "top.txt").write_bytes(b"a file beside the sub-folders")
    (folder / "d0" / "deeper").mkdir()
    (folder / "d0" / "deeper" / "x.png").write_bytes(b"x")
    (folder / "d2" / "left.ardvc-tmp").write_bytes(b"a killed add's temp file")
    monkeypatch.setattr(tree, "PARALLEL_SCAN_FILES", 10)
    used: list[bool] = []

    def helpers(path: Path, processes: int) -> tuple[list[str], int] | None:
        out = walking.fragments_in_parallel(path, processes)
        used.append(out is not None)
        return out

    monkeypatch.setattr(tree, "fragments_in_parallel", helpers)
    apart = walking.fragments_in_parallel(folder, 3)
    assert apart is not None and apart[1] == 62
    here = tree.signature_of(walking.stat_keys(walking.walk_rows(folder, with_stat=True)))
    assert tree.signature_of_fragments(apart[0]) == here
    time.sleep(0.02)
    state = StateDB(tmp_path / "state")
    calls: list[str] = []

    def hasher(f: object) -> str:
        calls.append(f.rel)  # type: ignore[attr-defined]
        return hash_file(f.path)  # type: ignore[attr-defined]

    first = build(state, tmp_path, folder, jobs=1, hasher=hasher, scan_processes=2)
    assert first.hashed == 62 and not first.memo_hit
    again = build(state, tmp_path, folder, jobs=1, hasher=hasher, scan_processes=2)
    assert again.memo_hit and again.hash == first.hash and used == [True]
    calls.clear()
    (folder / "d3" / "f3.png").write_bytes(os.urandom(53))
    changed = build(state, tmp_path, folder, jobs=1, hasher=hasher, scan_processes=2)
    assert calls == ["d3/f3.png"] and changed.hash != first.hash and used == [True, True]
    (folder / "d1" / "link.png").symlink_to(folder / "top.txt")
    assert walking.fragments_in_parallel(folder, 2) is None  # the helpers refuse it ...
    with pytest.raises(CacheError, match="symlink"):  # ... and the walk here says why
        build(state, tmp_path, folder, jobs=1, hasher=hasher, scan_processes=2)


def test_racy_file_is_hashed_again(tmp_path: Path) -> None:
    """A file modified in the same timestamp tick as its hashing is never trusted."""
    state = StateDB(tmp_path / "state")
    f = tmp_path / "a.bin"
    f.write_bytes(b"one")
    clock = state.fs_clock()
    st = f.stat()
    state.record([("a.bin", st, "h-old", st.st_mtime_ns)])  # clock == mtime: racy
    assert state.files(["a.bin"])["a.bin"].matches(st) is None
    state.record([("a.bin", st, "h-ok", clock)])
    assert st.st_mtime_ns < clock
    assert state.files(["a.bin"])["a.bin"].matches(st) == "h-ok"


def test_link_types_fall_back_per_file_and_unprotect(tmp_path: Path) -> None:
    odb = ObjectStore(tmp_path / "cache")
    oid = odb.add_bytes(b"x" * 1000)
    target = tmp_path / "ws" / "a.bin"
    kind = place(odb.path_str(oid), target, ("reflink", "hardlink", "copy"), 1000)
    same_fs_reflink = kind == "reflink"
    assert kind in ("reflink", "hardlink")
    if not same_fs_reflink:  # ext4: no reflink, so the hardlink is the object itself
        assert target.stat().st_ino == odb.path(oid).stat().st_ino
        assert unprotect(target)
        assert target.stat().st_ino != odb.path(oid).stat().st_ino
        assert target.stat().st_mode & stat.S_IWUSR
        target.write_bytes(b"edited")
        assert odb.read_bytes(oid) == b"x" * 1000  # the cache is untouched
    copy = tmp_path / "ws" / "b.bin"
    assert place(odb.path_str(oid), copy, ("copy",), 1000) == "copy"
    assert copy.stat().st_ino != odb.path(oid).stat().st_ino
    empty = tmp_path / "ws" / "empty"
    assert place(odb.path_str(oid), empty, ("hardlink",), 0) == "copy"
    assert empty.read_bytes() == b""
    with pytest.raises(ConfigError):
        parse_types("symlink,copy")


def test_rwlock_overlap_rules() -> None:
    assert overlaps("repositories/A/x", "repositories/A")
    assert overlaps("cache", "cache")
    assert not overlaps("repositories/A/x", "repositories/A/xy")


def test_rwlock_waits_for_a_writer_then_proceeds(tmp_path: Path) -> None:
    lock = RWLock(tmp_path / "rwlock", WorkspaceLock(tmp_path / "lock"))
    order: list[str] = []
    held = threading.Event()

    def writer() -> None:
        with lock.hold("gc", writes=["cache"], timeout=5):
            held.set()
            time.sleep(0.4)
            order.append("writer done")

    thread = threading.Thread(target=writer)
    thread.start()
    held.wait(5)
    with lock.hold("add", reads=["cache"], timeout=10):
        order.append("reader in")
    thread.join()
    assert order == ["writer done", "reader in"]
    with lock.hold("add", reads=["cache"], writes=["repositories/A/x"], timeout=1):
        with lock.hold("add2", reads=["cache"], writes=["repositories/A/y"], timeout=1):
            pass  # readers share; disjoint writers coexist
        with pytest.raises(LockTimeoutError) as err, lock.hold("gc", writes=["cache"], timeout=0.3):
            pass
        assert "being read by" in str(err.value) and "'add'" in str(err.value)
    assert orjson.loads((tmp_path / "rwlock").read_bytes()) == {"read": {}, "write": {}}


def test_stale_entries_of_dead_processes_are_dropped_and_reported(tmp_path: Path) -> None:
    table = tmp_path / "rwlock"
    dead = Holder(pid=2**22 + 12345, host=Holder.me("x").host, command="ardvc add x", since=1.0)
    far = Holder(pid=1, host="another-host", command="ardvc gc", since=1.0)
    writers = {"repositories/A/x": dead.as_json(), "repositories/B": far.as_json()}
    table.write_bytes(orjson.dumps({"read": {}, "write": writers}))
    lock = RWLock(table, WorkspaceLock(tmp_path / "lock"))
    with lock.hold("add", writes=["repositories/A/x"], timeout=1):
        pass
    assert [(p, h.pid) for p, h in lock.stale] == [("repositories/A/x", dead.pid)]
    # a holder on another host is not presumed dead
    with (
        pytest.raises(LockTimeoutError) as err,
        lock.hold("add", writes=["repositories/B/y"], timeout=0.2),
    ):
        pass
    assert "another-host" in str(err.value)


def test_nfs_safe_hardlink_lock_breaks_a_dead_holders_claim(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    dead = Holder(pid=2**22 + 54321, host=Holder.me("x").host, command="ardvc gc")
    claim = tmp_path / "lock.claim-of-dead"
    claim.write_bytes(orjson.dumps(dead.as_json()))
    os.link(claim, path)
    lock = WorkspaceLock(path, hardlink=True, timeout=2)
    with lock.hold("add"):
        assert path.exists()
    assert not path.exists() and lock.stale_removed == [dead]
    live = WorkspaceLock(path, hardlink=True, timeout=0.3)
    second = WorkspaceLock(path, hardlink=True, timeout=0.3)
    with live.hold("first"), pytest.raises(LockTimeoutError) as err, second.hold("second"):
        pass
    assert f"pid {os.getpid()}" in str(err.value)
