"""Tagging analyses in git: the files, the ``<TAG>`` commit, the index, the reduction,
the analysis' history, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ardvc.api import Lab
from ardvc.errors import UsageError
from lab_from_bundles import make_lab

pytestmark = pytest.mark.shared
ARDVC = str(Path(sys.executable).with_name("ardvc"))
CORNUDAS_02F = "d3f3b3a7-3cf5-4bb3-9c2d-f160f87397a9"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip


@pytest.fixture(scope="module")
def lab(bundle_bare: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return make_lab(bundle_bare, tmp_path_factory.mktemp("history") / "lab", ("Cornudas", "IR998"))


def test_tagging_commits_tag_files_and_is_seen_everywhere(lab: Lab) -> None:
    repo = lab.repo("Cornudas")
    head = repo.git.head_id()
    result = lab.tag("Cornudas", ["69421-02B", "69421-02A"], "omit", note="gas leak")
    assert result.commit is not None and result.parent == head
    repo_dir = lab.workspace.repository_dir("Cornudas")
    message = git(repo_dir, "log", "-1", "--format=%s", result.commit).strip()
    assert message == "<TAG> omit   69421-02A - 69421-02B"
    written = sorted(result.written)
    assert all(p.startswith("reduction/") and "/tags/" in p for p in written) and len(written) == 2
    for path in written:
        assert json.loads(git(repo_dir, "show", f"{result.commit}:{path}")) == {
            "name": "omit",
            "note": "gas leak",
            "subgroup": "",
        }
    # the index follows (ardvc's own commits sync it), and a reduction leaves them out
    tagged = {r.record_id: r.tag for r in lab.find(repo=["Cornudas"], identifier=["69421"])}
    assert tagged["69421-02A"] == tagged["69421-02B"] == "omit" and tagged["69421-02C"] == "ok"
    report = lab.sample("Cornudas", "69421")
    groups = report.require_groups()
    assert [report.reduction.results[i].record_id for i in groups.omitted] == [
        "69421-02A",
        "69421-02B",
    ]
    # the same tag again commits nothing; a tag back to ok keeps the note
    assert lab.tag("Cornudas", ["69421-02A"], "OMIT").commit is None
    again = lab.tag("Cornudas", ["69421-02A"], "ok")
    path = next(p for p in again.written)
    assert json.loads(git(repo_dir, "show", f"{again.commit}:{path}"))["note"] == "gas leak"
    # the history of 02A now starts with the two tag commits
    history = lab.history("69421-02A", repo="Cornudas", kinds=["tags"])
    assert [e.commit for e in history[:2]] == [again.commit, result.commit]
    assert history[0].tag == "TAG"
    assert [(c.field, c.before, c.after) for c in history[0].files[0].changes] == [
        ("name", "omit", "ok")
    ]


@pytest.mark.parametrize("bad", ["", "omit it", "x" * 41, "../ok"])
def test_bad_tag_names_are_refused_before_anything_is_written(lab: Lab, bad: str) -> None:
    head = lab.repo("Cornudas").git.head_id()
    with pytest.raises(UsageError, match="not a usable tag name"):
        lab.tag("Cornudas", ["69421-02C"], bad)
    assert lab.repo("Cornudas").git.head_id() == head


def test_tag_cli(lab: Lab) -> None:
    done = subprocess.run(
        [ARDVC, "--root", str(lab.root), "tag", "invalid", "65761-05", "--repo", "IR998"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "tagged 1 analyses invalid in IR998" in done.stdout
    assert lab.analysis("65761-05", repo="IR998").tag == "invalid"
    # IR998 keeps its legacy tag files where they are (pychron-format.md §5.10)
    assert lab.analysis("65761-05", repo="IR998").path("tags") == "657/tags/61-05.tags.json"
