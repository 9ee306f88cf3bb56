"""``ardvc init``, ``--from-pychron``, lab discovery, ``config``, ``ls``, ``repo create``,
``show`` — through the real console script where it matters."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ardvc.api import Lab
from ardvc.cli.main import main
from ardvc.errors import LabNotFoundError
from ardvc.workspace import Workspace, find_root


def ardvc(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed console script, as a user would."""
    exe = Path(sys.executable).with_name("ardvc")
    return subprocess.run(
        [str(exe), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_init_creates_the_workspace(tmp_path: Path) -> None:
    lab_root = tmp_path / "mylab"
    proc = ardvc("init", str(lab_root))
    assert proc.returncode == 0, proc.stderr
    assert "created MetaRepo MetaData" in proc.stdout
    ws = Workspace(lab_root)
    for folder in ws.skeleton():
        assert folder.is_dir(), folder
    assert stat.S_IMODE(ws.config_local_file.stat().st_mode) == 0o600
    assert 'meta_repo = "MetaData"' in ws.config_file.read_text()
    meta = lab_root / "MetaData"
    log = subprocess.run(
        ["git", "log", "--format=%an|%s", "--name-only"], cwd=meta, capture_output=True, text=True
    ).stdout.split("\n")
    assert log[0] == "Test Analyst|initialized MetaRepo MetaData"
    files = {line for line in log[1:] if line}
    assert {"README.md", "molecular_weights.json", "irradiation_holders/Placeholder.txt",
            "load_holders/Placeholder.txt", "productions/Placeholder.json"} <= files  # fmt: skip
    assert subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=meta, capture_output=True,
                          text=True).stdout.strip() == "1"  # fmt: skip
    again = ardvc("init", str(lab_root))
    assert again.returncode == 0 and "already an ardvc lab; nothing changed" in again.stdout
    assert (lab_root / "logs" / "ardvc.log").exists()
    # the placeholder production is refused as empty when used
    from ardvc.errors import EmptyProductionError
    from ardvc.formats.production import decode_production

    production = decode_production(
        (meta / "productions/Placeholder.json").read_bytes(), path="productions/Placeholder.json"
    )
    with pytest.raises(EmptyProductionError):
        production.require()


def test_init_without_identity_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARDVC_USER_NAME")
    monkeypatch.delenv("ARDVC_USER_EMAIL")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    proc = ardvc("init", str(tmp_path / "lab"))
    assert proc.returncode == 1
    assert "no commit author configured" in proc.stderr and "user.name" in proc.stderr
    assert not (tmp_path / "lab" / ".ardvc").exists()


def test_lab_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    Lab.init(a)
    Lab.init(b)
    deep = a / "repositories" / "x" / "y"
    deep.mkdir(parents=True)
    assert find_root(cwd=deep).root == a.resolve()
    assert find_root(env={"ARDVC_ROOT": str(b)}, cwd=deep).root == b.resolve()
    assert find_root(a, env={"ARDVC_ROOT": str(b)}, cwd=deep).root == a.resolve()
    with pytest.raises(LabNotFoundError, match="--root"):
        find_root(tmp_path / "nowhere")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LabNotFoundError, match="default location"):
        find_root(cwd=tmp_path)
    proc = ardvc("ls", cwd=deep)
    assert proc.returncode == 0 and str(a.resolve()) in proc.stdout
    proc = ardvc("ls", cwd=tmp_path, env={"ARDVC_ROOT": str(b)})
    assert str(b.resolve()) in proc.stdout
    proc = ardvc("ls", cwd=tmp_path)
    assert proc.returncode == 1 and "no ardvc lab" in proc.stderr and "ardvc init" in proc.stderr


def test_config_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Lab.init(tmp_path / "lab")
    monkeypatch.chdir(tmp_path / "lab")
    assert run("config", "core.max_deletions", "25")[0] == 0
    assert run("config", "core.max_deletions")[1].strip() == "25"
    code, out = run("config", "remote.github.token", "ghp_secret")
    assert code == 1
    assert "ghp_secret" not in (tmp_path / "lab/.ardvc/config").read_text()
    assert run("config", "--local", "remote.github.token", "ghp_secret")[0] == 0
    code, out = run("config", "--list", "--show-origin")
    assert code == 0
    assert "ghp_secret" not in out and "***" in out
    assert "config.local" in out and "built-in" in out
    assert run("config", "--unset", "core.max_deletions")[0] == 0
    assert run("config", "core.max_deletions")[1].strip() == "10"
    code, out = run("config", "core.max_deletions", "lots")
    assert code == 1
    code, out = run("-c", "core.max_deletions=3", "config", "core.max_deletions", "--show-origin")
    assert out.split() == ["3", "cli:", "command", "line"]


def test_repo_create_and_unsafe_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Lab.init(tmp_path / "lab")
    monkeypatch.chdir(tmp_path / "lab")
    code, out = run("repo", "create", "Foo Bar")
    assert code == 0 and "FooBar" in out
    assert (tmp_path / "lab/repositories/FooBar/README.md").read_text() == "# FooBar"
    code, _ = run("repo", "create", "..")
    assert code == 2
    code, _ = run("repo", "create", "Foo_Bar")  # normalises to FooBar, which exists
    assert code == 1
    code, out = run("ls", "--json")
    assert json.loads(out)[0]["name"] == "FooBar"


@pytest.mark.shared
def test_adopt_pychron_in_place(pychron_dvc_dir: Path, tmp_path: Path) -> None:
    dvc = tmp_path / ".dvc"
    shutil.copytree(pychron_dvc_dir, dvc, symlinks=True)

    def snapshot() -> dict[str, float]:
        return {
            str(p.relative_to(dvc)): p.stat().st_mtime_ns
            for p in dvc.rglob("*")
            if p.is_file() and ".ardvc" not in p.parts and "logs" not in p.parts
        }

    before = snapshot()
    proc = ardvc("init", "--from-pychron", str(dvc))
    assert proc.returncode == 0, proc.stderr
    assert "MetaRepo MetaData, 3 data repositories" in proc.stdout
    assert snapshot() == before  # nothing rewritten, nothing added outside .ardvc/ and logs/
    for repo in ("MetaData", "repositories/IR998"):
        status = subprocess.run(["git", "status", "--porcelain"], cwd=dvc / repo,
                                capture_output=True, text=True).stdout  # fmt: skip
        assert status == ""
    assert "already an ardvc lab" in ardvc("init", "--from-pychron", str(dvc)).stdout
    ls = ardvc("ls", "--json", cwd=dvc / "repositories")
    counts = {r["name"]: (r["analyses"], r["collection_only"]) for r in json.loads(ls.stdout)}
    assert counts == {"Cornudas": (381, 33), "IR998": (119, None), "Lusk01121": (426, None)}
    show = ardvc("show", "69421-02F", "--repo", "Cornudas", "--at", "c919ed7", "--json", cwd=dvc)
    data = json.loads(show.stdout)
    assert data["uuid"] == "d3f3b3a7-3cf5-4bb3-9c2d-f160f87397a9"
    ar40 = next(row for row in data["isotopes"] if row["isotope"] == "Ar40")
    assert ar40["intercept"] == {"value": 962.9735436994521, "error": 0.07930102975354295}
    assert ar40["detector"] == "H2" and (ar40["n"], ar40["fn"]) == (340, 338)
    table = ardvc("show", "66681-03L", cwd=dvc)
    assert table.returncode == 0 and "LS-248" in table.stdout and "L2(CDD)" in table.stdout
    missing = ardvc("show", "99999-01", cwd=dvc)
    assert missing.returncode == 1 and "no analysis '99999-01'" in missing.stderr


def test_adopt_refuses_what_is_not_pychron(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    proc = ardvc("init", "--from-pychron", str(tmp_path / "empty"))
    assert proc.returncode == 1 and "no MetaRepo git repository" in proc.stderr
    assert not (tmp_path / "empty" / ".ardvc").exists()


def test_lab_configuration_reaches_every_commit(tmp_path: Path) -> None:
    from ardvc.errors import MassDeletionError
    from ardvc.gitstore import Author, commit_files

    Lab.init(tmp_path / "lab")
    lab = Lab.open(tmp_path / "lab", overrides={"core.max_deletions": "1"})
    repo = lab.create_repository("Batch")
    assert repo.git.policy.max_deletions == 1 and lab.meta.git.policy.max_deletions == 1
    author = Author("a", "a@b")
    commit_files(repo.git, {"a": b"1", "b": b"2"}, "two", author)
    with pytest.raises(MassDeletionError):
        commit_files(repo.git, {"a": None, "b": None}, "both", author)
    with pytest.raises(MassDeletionError):  # the MetaRepo obeys it too
        commit_files(lab.meta.git, {"README.md": None, "molecular_weights.json": None}, "x", author)
    quiet = Lab.open(tmp_path / "lab", overrides={"core.worktree_sync": "false"})
    batch = quiet.repo("Batch")
    commit_files(batch.git, {"c": b"3"}, "three", author)
    assert not (batch.git.path / "c").exists()
