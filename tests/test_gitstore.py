"""Index-free commits, the mass-deletion guard, compare-and-swap, worktree sync, history."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from pathlib import Path

import pygit2
import pytest

from ardvc.errors import (
    BranchNotFoundError,
    ConcurrentUpdateError,
    FileNotInRepoError,
    MassDeletionError,
    UnsafeNameError,
)
from ardvc.gitstore import Author, CommitStep, GitRepo, commit_files, commit_series, path_history
from ardvc.gitstore.commit import REF_MOVE_NOTE
from ardvc.gitstore.messages import blanks_collection, fits_message, message_tag, tag_message
from ardvc.gitstore.worktree import JOURNAL

AUTHOR = Author("Test Analyst", "analyst@lab.example")


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return out.stdout


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo.init(tmp_path / "Repo")


def test_first_commit_creates_branch_and_files(repo: GitRepo) -> None:
    result = commit_files(repo, {"README.md": b"# Repo", "a/b/c.json": b"{}"}, "Initial", AUTHOR)
    assert result.commit is not None and result.parent is None
    assert repo.branch_head("master") == result.commit
    assert repo.read("a/b/c.json") == b"{}"
    assert sorted(f.path for f in repo.files()) == ["README.md", "a/b/c.json"]
    # the working tree and index follow, so plain git sees a clean checkout
    assert (repo.path / "a/b/c.json").read_bytes() == b"{}"
    assert git(repo.path, "status", "--porcelain") == ""
    assert git(repo.path, "log", "--format=%an <%ae>|%s").strip() == (
        "Test Analyst <analyst@lab.example>|Initial"
    )


def test_commit_contains_exactly_the_given_paths(repo: GitRepo) -> None:
    commit_files(repo, {"keep.txt": b"1", "other.txt": b"2"}, "one", AUTHOR)
    # something staged by another tool must not leak into ardvc's commit
    (repo.path / "staged.txt").write_text("not mine")
    git(repo.path, "add", "staged.txt")
    result = commit_files(repo, {"keep.txt": b"changed"}, "two", AUTHOR)
    changed = git(repo.path, "show", "--name-status", "--format=", result.commit or "").split()
    assert changed == ["M", "keep.txt"]
    assert not repo.exists("staged.txt")
    assert "staged.txt" in git(repo.path, "diff", "--cached", "--name-only")


def test_no_change_makes_no_commit_unless_allowed(repo: GitRepo) -> None:
    first = commit_files(repo, {"f": b"x"}, "one", AUTHOR)
    again = commit_files(repo, {"f": b"x"}, "same", AUTHOR)
    assert again.commit is None and repo.branch_head("master") == first.commit
    empty = commit_files(repo, {}, "<ISOEVO> default collection fits", AUTHOR, allow_empty=True)
    assert empty.commit is not None and empty.parent == first.commit


def test_mass_deletion_guard(repo: GitRepo) -> None:
    files = {f"d/{i:02d}.json": b"{}" for i in range(12)}
    commit_files(repo, files, "many", AUTHOR)
    head = repo.branch_head("master")
    with pytest.raises(MassDeletionError, match="delete 12 files"):
        commit_files(repo, dict.fromkeys(files), "wipe", AUTHOR)
    with pytest.raises(MassDeletionError):
        commit_files(repo, {"d": None}, "wipe folder", AUTHOR)
    assert repo.branch_head("master") == head
    few = commit_files(repo, {"d/00.json": None, "d/01.json": None}, "two", AUTHOR)
    assert few.deleted == ("d/00.json", "d/01.json")
    forced = commit_files(repo, {"d": None}, "on purpose", AUTHOR, force_deletions=True)
    assert len(forced.deleted) == 10 and not repo.exists("d")
    assert not (repo.path / "d").exists()


def test_unsafe_paths_refused(repo: GitRepo) -> None:
    for bad in ("../x", "/abs", "a/../b", ".git/config", "a//b", "x\x00"):
        with pytest.raises(UnsafeNameError):
            commit_files(repo, {bad: b"1"}, "bad", AUTHOR)


def test_expected_parent_and_concurrent_move(repo: GitRepo) -> None:
    first = commit_files(repo, {"f": b"1"}, "one", AUTHOR)
    commit_files(repo, {"f": b"2"}, "two", AUTHOR)
    with pytest.raises(ConcurrentUpdateError):
        commit_files(repo, {"f": b"3"}, "stale", AUTHOR, expected_parent=first.commit)
    assert repo.read("f") == b"2"


def test_concurrent_writers_never_lose_a_commit(repo: GitRepo) -> None:
    commit_files(repo, {"start": b"0"}, "start", AUTHOR)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                commit_files(GitRepo(repo.path), {f"w{n}/{i}.json": b"{}"}, f"w{n} {i}", AUTHOR)
        except Exception as exc:  # noqa: BLE001 - collected, asserted empty below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len([f for f in repo.files() if f.path.startswith("w")]) == 45
    assert int(git(repo.path, "rev-list", "--count", "master")) == 46


def test_other_branch_and_data_collection(repo: GitRepo) -> None:
    commit_files(repo, {"a": b"1"}, "one", AUTHOR)
    with pytest.raises(BranchNotFoundError):
        commit_files(repo, {"b": b"2"}, "x", AUTHOR, branch="data_collection")
    repo.create_branch("data_collection")
    result = commit_files(repo, {"b": b"2"}, "<COLLECTION>", AUTHOR, branch="data_collection")
    assert result.branch == "data_collection" and result.worktree is None
    assert repo.exists("b", "data_collection") and not repo.exists("b", "master")
    assert not (repo.path / "b").exists()  # master is checked out and untouched
    assert git(repo.path, "status", "--porcelain") == ""


def test_worktree_sync_keeps_local_edits(repo: GitRepo) -> None:
    commit_files(repo, {"f.json": b"old"}, "one", AUTHOR)
    (repo.path / "f.json").write_bytes(b"edited by hand")
    result = commit_files(repo, {"f.json": b"new"}, "two", AUTHOR)
    assert result.worktree is not None and result.worktree.kept_local_edits == ["f.json"]
    assert not result.worktree.ok
    assert (repo.path / "f.json").read_bytes() == b"edited by hand"
    assert repo.read("f.json") == b"new"


def test_synced_files_carry_their_stat_data_in_the_git_index(repo: GitRepo) -> None:
    """Entries are staged from the blob id, not by re-reading the file; their stat data
    must still be the file's, or git would re-hash every such file at each status."""
    commit_files(repo, {"a/old.json": b"1", "tool.sh": b"#!/bin/sh"}, "one", AUTHOR)
    (repo.path / "tool.sh").chmod(0o755)
    git(repo.path, "add", "tool.sh")
    git(repo.path, "-c", "user.name=x", "-c", "user.email=x@y", "commit", "-qm", "exec")
    commit_files(
        repo,
        {"a/old.json": b"22", "a/b/new.json": b"333", "tool.sh": b"#!/bin/sh\n"},
        "two",
        AUTHOR,
    )
    debug = git(repo.path, "ls-files", "--debug", "-s").splitlines()
    entries: dict[str, dict[str, str]] = {}
    for line in debug:
        if not line.startswith(" "):
            mode, blob, _, path = line.split(maxsplit=3)
            entries[path] = {"mode": mode, "blob": blob}
            continue
        fields = line.split()
        for key, value in zip(fields[::2], fields[1::2], strict=True):
            entries[path][key.rstrip(":")] = value
    for path, content in [
        ("a/old.json", b"22"),
        ("a/b/new.json", b"333"),
        ("tool.sh", b"#!/bin/sh\n"),
    ]:
        st = (repo.path / path).stat()
        entry = entries[path]
        assert entry["blob"] == str(pygit2.hash(content))
        assert entry["size"] == str(st.st_size)
        assert entry["ino"] == str(st.st_ino & 0xFFFFFFFF)
        assert entry["mtime"] == f"{st.st_mtime_ns // 10**9}:{st.st_mtime_ns % 10**9}"
        assert entry["ctime"] == f"{st.st_ctime_ns // 10**9}:{st.st_ctime_ns % 10**9}"
        assert entry["uid"] == str(st.st_uid) and entry["gid"] == str(st.st_gid)
    assert entries["tool.sh"]["mode"] == "100755" and entries["a/old.json"]["mode"] == "100644"
    # git trusts the entries: nothing to refresh, nothing modified
    assert git(repo.path, "diff-files", "--name-only") == ""
    assert git(repo.path, "status", "--porcelain") == ""


def test_a_torn_worktree_journal_does_not_stop_the_next_commit(repo: GitRepo) -> None:
    commit_files(repo, {"f.json": b"one"}, "one", AUTHOR)
    # a kill while an older ardvc wrote the journal in place, before its branch moved
    (repo.git_dir / JOURNAL).write_bytes(b"")
    result = commit_files(repo, {"f.json": b"two"}, "two", AUTHOR)
    assert result.worktree is not None and result.worktree.ok, result.worktree
    assert (repo.path / "f.json").read_bytes() == b"two"
    assert not (repo.git_dir / JOURNAL).exists()
    assert git(repo.path, "status", "--porcelain") == ""


def test_reads_at_any_commit(repo: GitRepo) -> None:
    one = commit_files(repo, {"f": b"1"}, "one", AUTHOR).commit
    commit_files(repo, {"f": b"2"}, "two", AUTHOR)
    assert repo.read("f", one) == b"1" and repo.read("f") == b"2"
    blob = repo.blob_id("f", one)
    assert blob is not None and repo.read_blob(blob) == b"1"
    with pytest.raises(FileNotInRepoError):
        repo.read("missing")
    with pytest.raises(BranchNotFoundError):
        repo.read("f", "no-such-branch")


def test_history_of_a_path(repo: GitRepo) -> None:
    a = commit_files(repo, {"x/f": b"1", "g": b"1"}, "<COLLECTION>", AUTHOR).commit
    commit_files(repo, {"g": b"2"}, "unrelated", AUTHOR)
    c = commit_files(repo, {"x/f": b"2"}, "<ISOEVO>.intercepts fits=Ar40(linear)", AUTHOR).commit
    d = commit_files(repo, {"x/f": None}, "removed", AUTHOR).commit
    changes = list(path_history(repo, ["x/f"]))
    assert [ch.commit for ch in changes] == [d, c, a]
    assert [ch.tag for ch in changes] == [None, "ISOEVO", "COLLECTION"]
    assert changes[0].after is None and changes[2].before is None
    assert changes[1].before == changes[2].after


def test_messages() -> None:
    assert message_tag("<ISOEVO>.intercepts fits=Ar40(linear)") == "ISOEVO"
    assert message_tag("<DEFINE EQUIL> x") == "DEFINE EQUIL"
    assert message_tag("Merge branch 'master'") is None
    assert blanks_collection("bu-NF-F-236") == "<BLANKS> preceding bu-NF-F-236"
    assert blanks_collection(None) == "<BLANKS> preceding "
    assert tag_message("omit", "65762-01A", "65762-02E") == "<TAG> omit   65762-01A - 65762-02E"
    assert fits_message("<ISOEVO>", "intercepts", [("Ar40", "parabolic"), ("Ar39", "linear")]) == (
        "<ISOEVO>.intercepts fits=Ar40(parabolic),Ar39(linear)"
    )


@pytest.mark.shared
def test_history_on_real_repository(bundle_bare) -> None:  # type: ignore[no-untyped-def]
    """Lusk01121 66681-03L: collection commits, then the 2021 bulk IC-factor edit."""
    repo = GitRepo(bundle_bare("Lusk01121"))
    icfa = list(path_history(repo, ["666/icfactors/81-03L.icfa.json"], "master"))
    assert [c.message for c in icfa][:1] == [
        "<ICFactor> bulk edit scaled icfactor by 0.9932318104906938"
    ]
    assert icfa[-1].tag == "ICFactor" and icfa[-1].message.startswith("<ICFactor> default")
    inte = list(path_history(repo, ["666/intercepts/81-03L.inte.json"], "master"))
    assert inte[-1].commit.startswith("6107c7c")
    assert inte[-1].message == "<ISOEVO> default collection fits"
    main = list(path_history(repo, ["666/81-03L.json"], "master"))
    assert main[-1].commit.startswith("b866bb3") and main[-1].tag == "COLLECTION"


def test_pygit2_sees_what_git_cli_sees(repo: GitRepo) -> None:
    commit_files(repo, {"a/b.json": b'{"x": 1}'}, "one", AUTHOR)
    assert git(repo.path, "show", "HEAD:a/b.json") == '{"x": 1}'
    assert git(repo.path, "fsck", "--strict").strip() == ""
    assert isinstance(repo.raw, pygit2.Repository)


def test_commit_policy_defaults(tmp_path: Path) -> None:
    from ardvc.gitstore import CommitPolicy

    repo = GitRepo.init(tmp_path / "P", policy=CommitPolicy(max_deletions=2, update_worktree=False))
    commit_files(repo, {f"f{i}": b"x" for i in range(3)}, "three", AUTHOR)
    assert not (repo.path / "f0").exists()  # no working-tree update by policy
    with pytest.raises(MassDeletionError, match=r"core\.max_deletions = 2"):
        commit_files(repo, dict.fromkeys(["f0", "f1", "f2"]), "wipe", AUTHOR)
    repo.create_branch("data_collection")
    on_dc = GitRepo(repo.path, CommitPolicy(branch="data_collection"))
    result = commit_files(on_dc, {"g": b"1"}, "<COLLECTION>", AUTHOR)
    assert result.branch == "data_collection" and not repo.exists("g", "master")


def test_commit_series_publishes_once_and_stale_ref_locks_of_dead_ardvc_go(repo: GitRepo) -> None:
    commit_files(repo, {"a.txt": b"1"}, "first", AUTHOR)
    before = len(list(repo.raw.references["refs/heads/master"].log()))
    steps = [CommitStep({"b.txt": b"2"}, "<COLLECTION>"), CommitStep({"c.txt": b"3"}, "<ISOEVO>")]
    results = commit_series(repo, steps, AUTHOR)
    assert [repo.resolve(r.commit).message.strip() for r in results] == ["<COLLECTION>", "<ISOEVO>"]
    assert len(list(repo.raw.references["refs/heads/master"].log())) == before + 1
    # git's ref lock, left by an ardvc process killed inside the ref transaction
    dead = subprocess.Popen(["true"])
    dead.wait()
    lock = repo.git_dir / "refs" / "heads" / "master.lock"
    note = {"pid": dead.pid, "host": socket.gethostname(), "ref": "refs/heads/master"}
    (repo.git_dir / REF_MOVE_NOTE).write_bytes(json.dumps(note).encode())
    lock.write_text("")
    commit_files(repo, {"d.txt": b"4"}, "after the kill", AUTHOR)  # recovers, then commits
    assert not lock.exists() and not (repo.git_dir / REF_MOVE_NOTE).exists()
    # a lock nobody noted is someone else's (a git CLI running now): kept, commit refused
    lock.write_text("")
    with pytest.raises(ConcurrentUpdateError, match="locked by another git process"):
        commit_files(repo, {"e.txt": b"5"}, "while git holds the lock", AUTHOR)
    assert lock.exists()
    lock.unlink()
