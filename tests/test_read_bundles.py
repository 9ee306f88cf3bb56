"""Acceptance: every analysis of every shipped repository loads, at HEAD and in history.

Counts at the branch heads are the ones in ../shared/data/README.md. Historical commits are
cross-checked against ``git ls-tree`` read by the git CLI, an independent reader.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ardvc.data import DataRepo
from ardvc.gitstore import GitRepo

pytestmark = pytest.mark.shared

# README.md "Inventory": analyses at master (and at data_collection where it exists).
EXPECTED = {
    "IR998": {"master": 119},
    "Cornudas": {"master": 381, "data_collection": 414},
    "Lusk01121": {"master": 426},
    "Felix_blank180": {"master": 187},
    "FractionatedRes": {"master": 167},
    "IR1003": {"master": 13},
    "Irradiation-NM-293": {"master": 525},
    "SwansonB": {"master": 420},
    "Timescale": {"master": 443, "data_collection": 453},
}


def _git_main_files(repo: Path, rev: str) -> set[str]:
    """Main files as the git CLI lists them: <dir>/<name>.json, one level deep."""
    out = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", rev],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    return {
        p for p in out
        if p.count("/") == 1 and p.endswith(".json")
        and not p.startswith((".", "reduction/", "csv/"))
    }  # fmt: skip


def _historical(repo: Path, count: int = 2) -> list[str]:
    """Commits a third and two thirds of the way along master's first-parent history."""
    revs = subprocess.run(
        ["git", "rev-list", "--first-parent", "master"],
        cwd=repo, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    return [revs[len(revs) * k // (count + 1)] for k in range(1, count + 1)]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_analysis_loads_at_heads_and_in_history(
    name: str, bundle_bare: Callable[[str], Path]
) -> None:
    path = bundle_bare(name)
    repo = DataRepo(GitRepo(path))
    revs: dict[str, int | None] = dict(EXPECTED[name])
    revs.update(dict.fromkeys(_historical(path)))
    for rev, expected in revs.items():
        analyses = list(repo.analyses(rev))
        if expected is not None:
            assert len(analyses) == expected, (name, rev)
        assert {a.path(None) for a in analyses} == _git_main_files(path, rev), (name, rev)
        for analysis in analyses:
            analysis.load_all()
            main = analysis.main
            # the main file and its modifiers agree on what was measured
            assert main.identifier and main.aliquot >= 0
            if analysis.intercepts is not None:
                measured = set(main.isotopes)
                assert set(analysis.intercepts.entries) <= measured | {"Ar41"} or measured
            assert analysis.tag in {"ok", "omit", "invalid", "outlier", "skip", "omit_isochron"}


def test_known_values_through_the_analysis_api(bundle_bare: Callable[[str], Path]) -> None:
    cornudas = DataRepo(GitRepo(bundle_bare("Cornudas")))
    a = cornudas.analysis("69421-02F", "c919ed7dbc538568b0964e28896dd3fdbdc235ab")
    assert a.uuid == "d3f3b3a7-3cf5-4bb3-9c2d-f160f87397a9"
    assert a.path(None) == "d3/f3b3a7-3cf5-4bb3-9c2d-f160f87397a9.json"
    ar40 = a.intercepts.get("Ar40")  # type: ignore[union-attr]
    assert ar40 is not None and ar40.value == 962.9735436994521
    assert ar40.error == 0.07930102975354295 and sorted(ar40.outlier_excluded or []) == [166, 318]
    assert a.icfactors.by_detector()["H1"].value == 1.00069175528331  # type: ignore[union-attr]
    # only on the collection branch (format §7): 33 analyses of March 2023
    only = {m.name for m in cornudas.main_files("data_collection")} - {
        m.name for m in cornudas.main_files("master")
    }
    assert len(only) == 33
    lusk = DataRepo(GitRepo(bundle_bare("Lusk01121")))
    by_runid = lusk.analysis("66681-03L")
    by_uuid = lusk.analysis("a251fda6-5bd9-4c5d-bb5b-c77bcd8dbaec")
    assert by_runid.files == by_uuid.files
    assert by_runid.icfactors.get("L2(CDD)").value == 0.9932318104906938  # type: ignore[union-attr]
    # the same analysis before the 2021 bulk edit
    before = lusk.analysis("66681-03L", "7825b18ebbfae3cf77b3236a4448d07a9d7477ad~1")
    assert before.icfactors.get("L2(CDD)").fit == "default"  # type: ignore[union-attr]
    ir998 = DataRepo(GitRepo(bundle_bare("IR998")))
    tagged = {a.tag for a in ir998.analyses()}
    assert {"ok", "omit", "skip"} <= tagged
    fractionated = DataRepo(GitRepo(bundle_bare("FractionatedRes")))
    assert fractionated.analysis("a-01-F-2571").tag == "invalid"
