"""Adding folders in chunks (ardvc.cache.bulk / ingest / workers): the worker-process path,
the inline path and the per-file path store exactly the same; a killed worker leaves no
partial object; hard links refused across file systems fall back to copies."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import tempfile
import time
from pathlib import Path

import orjson
import pytest
from blake3 import blake3

from ardvc import Lab
from ardvc.cache import add as add_module
from ardvc.cache import bulk, ingest
from ardvc.cache import status as st
from ardvc.cache.hashing import LARGE_FILE, is_oid
from ardvc.cache.links import unprotect
from ardvc.cache.manifest import encode_entries, encode_fragment, join_fragments
from ardvc.cache.tree import build, signature_of, signature_of_fragments
from ardvc.cache.walking import signature_fragment
from ardvc.errors import CacheError
from ardvc.labcache import LabCache
from components import component_missing

FILES = 300


def _folder(folder: Path, seed: int = 5) -> dict[str, bytes]:
    """~300 files in nested folders: duplicates, an empty file, odd names, one large file."""
    rng = __import__("random").Random(seed)
    content: dict[str, bytes] = {}
    for i in range(FILES):
        sub = ("raw", "raw/deep", "video")[i % 3]
        data = rng.randbytes(rng.randrange(1, 3000))
        content[f"{sub}/frame {i:03d}.png"] = data
    content["raw/dup-a.bin"] = content["raw/dup-b.bin"] = b"same bytes" * 50
    content["video/säule.txt"] = "Säule".encode()
    content["empty.txt"] = b""
    content["big.bin"] = rng.randbytes(LARGE_FILE + 123)
    for rel, data in content.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    time.sleep(0.02)  # nothing written in the clock tick of the add (racy rows)
    return content


def _lab(root: Path, link: str = "hardlink") -> Lab:
    Lab.init(root)
    lab = Lab.open(root)
    lab.config.set("cache.type", link)
    lab.create_repository("Art")
    return lab


def _pool(lc: LabCache, monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes for any folder, in chunks of 40 files."""
    lc.cache.settings.processes = 2
    lc.cache.settings.pool_min = 1
    monkeypatch.setattr(bulk, "CHUNK", 40)


def _outcome(lab: Lab, lc: LabCache, folder: Path) -> dict[str, object]:
    """Everything an add leaves behind that must not depend on the path taken."""
    cache = lc.cache
    ptr = (folder.parent / "snapshots.ardvc").read_bytes()
    pointer = orjson.loads(ptr)
    manifest = cache.odb.read_bytes(pointer["hash"] + ".dir")
    rel = folder.relative_to(lab.root).as_posix()
    rows = cache.state.files_under(rel)
    for path, row in rows.items():  # every row holds the file's final stat
        now = os.lstat(lab.root / path)
        assert (row.dev, row.ino, row.size, row.mtime_ns, row.ctime_ns) == (
            now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns, now.st_ctime_ns
        ), path  # fmt: skip
        assert row.mtime_ns < row.clock_ns
    memo = cache.state.dir_memo(rel)
    assert memo is not None and memo.oid == pointer["hash"] + ".dir"
    tmp = cache.odb.tmp_dir
    assert not (tmp.is_dir() and list(tmp.iterdir()))  # no temp left
    names = [p for p in cache.odb.files_dir.rglob("*") if p.is_file()]
    assert all(is_oid(p.parent.name + p.name) for p in names)  # nothing but objects
    return {
        "pointer": ptr,
        "manifest": manifest,
        "objects": sorted(cache.odb.oids()),
        "rows": {p.split("/", 3)[-1]: (r.hash, r.size) for p, r in rows.items()},
    }


def test_worker_inline_and_per_file_paths_store_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcomes = {}
    for way in ("workers", "inline", "per-file"):
        lab = _lab(tmp_path / way)
        folder = lab.repo("Art").git.path / "snapshots"
        content = _folder(folder)
        lc = lab.cache()
        with monkeypatch.context() as m:
            if way == "workers":
                _pool(lc, m)
            elif way == "per-file":
                m.setattr(add_module, "chunked_mode", lambda cache, path: None)
            (report,) = lc.add([folder])
        staged = report.staged[0]
        assert staged.hashed == len(content) and staged.link == "hardlink"
        assert staged.added == len(content) - 1  # the duplicate is one object
        outcomes[way] = _outcome(lab, lc, folder)
        for rel, data in content.items():  # every file is its object, read-only
            f = folder / rel
            assert f.read_bytes() == data
            obj = lc.cache.odb.path(blake3(data).hexdigest())
            if data:
                assert os.path.samestat(f.stat(), obj.stat()), rel
                assert stat.S_IMODE(f.stat().st_mode) == 0o444
        assert lc.verify().ok
        assert [r.state for r in lc.status()] == [st.OK]
        assert build(lc.cache.state, lab.root, folder, jobs=1).memo_hit  # status hashes nothing
    assert outcomes["workers"] == outcomes["inline"] == outcomes["per-file"]


def test_copy_mode_keeps_the_workspace_files_and_agrees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcomes = {}
    for way in ("workers", "per-file"):
        lab = _lab(tmp_path / way, "copy")
        folder = lab.repo("Art").git.path / "snapshots"
        content = _folder(folder)
        before = {rel: os.lstat(folder / rel) for rel in content}
        lc = lab.cache()
        with monkeypatch.context() as m:
            if way == "workers":
                _pool(lc, m)
            else:
                m.setattr(add_module, "chunked_mode", lambda cache, path: None)
            (report,) = lc.add([folder])
        assert report.staged[0].link == "copy"
        for rel, old in before.items():  # untouched: same inode, same mode, own bytes
            now = os.lstat(folder / rel)
            assert (now.st_ino, now.st_mode, now.st_mtime_ns) == (
                old.st_ino, old.st_mode, old.st_mtime_ns
            )  # fmt: skip
            assert now.st_nlink == 1
        outcomes[way] = _outcome(lab, lc, folder)
        assert lc.verify().ok
    assert outcomes["workers"] == outcomes["per-file"]


def test_add_again_reads_only_what_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lab = _lab(tmp_path / "lab")
    folder = lab.repo("Art").git.path / "snapshots"
    _folder(folder)
    lc = lab.cache()
    _pool(lc, monkeypatch)
    (first,) = lc.add([folder])
    (again,) = lc.add([folder])
    assert again.staged[0].hashed == 0 and again.staged[0].added == 0 and again.commit is None
    lost = folder / "video" / "frame 002.png"
    os.unlink(lc.cache.odb.path(blake3(lost.read_bytes()).hexdigest()))  # an object gone
    (restored,) = lc.add([folder])
    assert restored.staged[0].hashed == 1 and restored.staged[0].added == 1
    assert restored.staged[0].pointer == first.staged[0].pointer
    edited = folder / "raw" / "frame 000.png"
    unprotect(edited)
    edited.write_bytes(b"a new frame")
    time.sleep(0.02)
    (changed,) = lc.add([folder])
    assert changed.staged[0].hashed == 1 and changed.staged[0].added == 1
    assert changed.staged[0].pointer.hash != first.staged[0].pointer.hash
    assert [r.state for r in lc.status()] == [st.OK]
    assert lc.verify().ok


def _add_workers() -> list[int]:
    """This process's add worker processes (children running ardvc.cache.ingest)."""
    out: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except FileNotFoundError:
                continue  # gone meanwhile
            if b"ardvc.cache.ingest" in cmdline:
                out.append(int(pid))
    return out


def test_a_killed_worker_leaves_no_partial_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = _lab(tmp_path / "lab")
    folder = lab.repo("Art").git.path / "snapshots"
    content = _folder(folder)
    lc = lab.cache()
    _pool(lc, monkeypatch)
    monkeypatch.setattr(bulk, "CHUNK", 10)  # 31 chunks: the kill lands mid-add
    killed: list[int] = []

    def kill_a_worker(_n: int) -> None:
        if not killed:
            workers = _add_workers()
            assert workers, "no worker process to kill"
            os.kill(workers[0], signal.SIGKILL)
            killed.append(workers[0])

    with pytest.raises(CacheError, match=r"worker process .* died"):
        lc.add([folder], progress=kill_a_worker)
    assert killed
    repo = lab.repo("Art").git
    assert not repo.exists("snapshots.ardvc", repo.head_id())  # nothing was committed
    odb = lc.cache.odb
    visible = list(odb.oids())
    assert visible  # the kill came after objects were stored
    assert lc.verify().ok  # every visible object is whole
    assert not [
        p for p in odb.files_dir.rglob("*") if p.is_file() and not is_oid(p.parent.name + p.name)
    ]
    assert not (odb.tmp_dir.is_dir() and list(odb.tmp_dir.iterdir()))
    (report,) = lc.add([folder])  # a clean run finishes the job
    assert report.staged[0].pointer.nfiles == len(content)
    assert [r.state for r in lc.status()] == [st.OK]
    assert lc.verify().ok


def _other_file_system(near: Path) -> Path | None:
    """A folder on another file system than ``near`` (/dev/shm is tmpfs on Linux)."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(near).st_dev:
        return None
    return Path(tempfile.mkdtemp(dir=shm, prefix="ardvc-test-"))


def test_hard_links_refused_across_file_systems_fall_back_to_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = _other_file_system(tmp_path)
    if other is None:
        component_missing("/dev/shm on its own file system", "no second file system")
    try:
        lab = _lab(tmp_path / "lab", "hardlink,copy")
        cache_dir = lab.workspace.cache_dir
        shutil.rmtree(cache_dir, ignore_errors=True)
        cache_dir.parent.mkdir(parents=True, exist_ok=True)
        cache_dir.symlink_to(other)  # the cache on tmpfs, the workspace on this disk
        folder = lab.repo("Art").git.path / "snapshots"
        content = _folder(folder)
        modes = {rel: os.lstat(folder / rel).st_mode for rel in content}
        lc = lab.cache()
        _pool(lc, monkeypatch)
        (report,) = lc.add([folder])
        assert report.staged[0].link == "copy"
        assert {rel: os.lstat(folder / rel).st_mode for rel in content} == modes  # not 0444
        assert lc.verify().ok and len(list(lc.cache.odb.oids())) == len(content)  # + .dir
        assert [r.state for r in lc.status()] == [st.OK]
        only = _lab(tmp_path / "only", "hardlink")
        (only.workspace.cache_dir).parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(only.workspace.cache_dir, ignore_errors=True)
        only.workspace.cache_dir.symlink_to(other / "second")
        (other / "second").mkdir()
        target = only.repo("Art").git.path / "snapshots"
        _folder(target)
        with pytest.raises(CacheError, match="hard links"):
            only.cache().add([target])
    finally:
        shutil.rmtree(other, ignore_errors=True)


def test_ingest_reports_vanished_and_irregular_files(tmp_path: Path) -> None:
    files_dir, tmp = tmp_path / "files", tmp_path / "tmp"
    tmp.mkdir()
    for i in range(256):
        (files_dir / f"{i:02x}").mkdir(parents=True)
    real = tmp_path / "real.bin"
    real.write_bytes(b"real bytes")
    link = tmp_path / "link.bin"
    link.symlink_to(real)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # must not block the worker
    items: list[ingest.Item] = [(str(tmp_path / "gone.bin"), None), (str(link), None),
                                (str(fifo), None), (str(real), None)]  # fmt: skip
    ((_, (results, mode)),) = ingest.store_chunks(
        ingest.Target(str(files_dir), str(tmp), "hardlink"), [(0, items)]
    )
    assert [r[1] for r in results] == [
        ingest.CHANGED,
        ingest.NOT_REGULAR,
        ingest.NOT_REGULAR,
        ingest.LINKED | ingest.STORED,
    ]
    assert mode == "hardlink" and results[3][0] == blake3(b"real bytes").hexdigest()
    assert os.path.samestat(real.stat(), (files_dir / results[3][0][:2] / results[3][0][2:]).stat())


def test_manifest_and_signature_fragments_join_to_the_whole() -> None:
    entries = [("a/b", "1" * 64, 3), ('a/c"x', "2" * 64, 0), ("é", "3" * 64, 5)]
    assert encode_entries(entries) == orjson.dumps(
        {"algorithm": "blake3",
         "entries": [{"hash": h, "relpath": r, "size": n} for r, h, n in entries]},
        option=orjson.OPT_SORT_KEYS,
    )  # fmt: skip
    parts = [encode_fragment(entries[:1]), encode_fragment([]), encode_fragment(entries[1:])]
    assert join_fragments(parts) == encode_entries(entries)
    keys = [("a", 1, 2, 3, 4, 5), ("b\udcff", 1, 2, 3, 4, 5), ("c", 6, 7, 8, 9, 10)]
    pieces = [signature_fragment(keys[:2]), signature_fragment([]), signature_fragment(keys[2:])]
    assert signature_of_fragments(pieces) == signature_of(keys)
    assert signature_of(keys) != signature_of(keys[:2])
