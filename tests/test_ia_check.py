"""Acceptance: ``ardvc ia check`` on every interpreted-age file of data/README.md."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from ardvc.cli.main import main
from test_reduce_ia import IA_CASES

pytestmark = pytest.mark.shared

# group value → (status, words the note must contain) as data/README.md documents them
EXPECTED_GROUPS: dict[str, dict[str, tuple[str, str]]] = {
    "657/ia/61.ia.json": {
        "weighted mean error": ("match", "as SEM"),  # stored plain SEM, file says MSEM ⊕ J
        "plateau": ("match", ""),
        "plateau error": ("match", "as SEM"),
        "integrated": ("match", ""),
        "integrated error": ("not determinable", "2018"),
        "isochron": ("not determinable", "2018"),
    },
    "657/ia/61_00000.ia.json": {"weighted mean error": ("match", "as SEM")},
    "657/ia/61_00001.ia.json": {"weighted mean error": ("match", "as MSEM")},
    "657/ia/61_00002.ia.json": {"weighted mean error": ("match", "as MSEM")},
    "657/ia/61_00003.ia.json": {"weighted mean error": ("match", "as MSEM")},
    "657/ia/63_00001.ia.json": {"weighted mean error": ("match", "as SEM")},
    "657/ia/67.ia.json": {"weighted mean error": ("match", "as SEM")},
    "657/ia/73.ia.json": {"plateau": ("match", ""), "plateau error": ("match", "as SEM")},
    "694/ia/21_00000.ia.json": {
        "weighted mean error": ("match", "as MSEM ⊕ J"),
        "plateau error": ("match", "as MSEM"),
        "integrated error": ("match", "with J"),
        "isochron": ("match", ""),
        "isochron error": ("match", "SE ⊕ J"),
    },
    "694/ia/27_00000.ia.json": {
        "plateau": ("match", ""),
        "integrated error": ("match", "with J"),
        "weighted mean": ("not determinable", "69427-01A left out"),
        "isochron": ("not determinable", "69427-01A left out"),
    },
}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize(("repo", "path", "commit", "meta_commit"), IA_CASES)
def test_ia_check_reproduces(
    repo: str, path: str, commit: str, meta_commit: str, bundle_bare: Callable[[str], Path]
) -> None:
    code, out = run(
        "ia", "check", path, "--json", "--timezone", "America/Denver",
        "--data-repo", str(bundle_bare(repo)), "--meta-repo", str(bundle_bare("MetaData")),
        "--data-commit", commit,
    )  # fmt: skip
    report = json.loads(out)
    assert code == 0, report["failures"]
    # the default MetaRepo state is its last commit before the IA commit, as the README pins
    assert report["meta_commit"] == meta_commit
    assert report["ok"] and report["analyses"]
    assert all(row["status"] == "match" for row in report["analyses"])
    assert max(row["rel"] for row in report["analyses"]) < 1e-9
    groups = {g["name"]: g for g in report["groups"]}
    for name, (status, words) in EXPECTED_GROUPS[path].items():
        assert groups[name]["status"] == status, (name, groups[name])
        assert words in groups[name]["note"], (name, groups[name]["note"])
    assert all(g["status"] != "mismatch" for g in report["groups"]), report["groups"]


def test_truncated_ia_files_fail_clearly(bundle_bare: Callable[[str], Path]) -> None:
    repo, meta = str(bundle_bare("IR998")), str(bundle_bare("MetaData"))
    for path, commit in (
        ("657/ia/63.ia.json", "675bf0e5a6377477c7c64fb4159d3f7170267b60"),
        ("657/ia/63_00000.ia.json", "fe568b4dd697b06f1014d6fed1bf4b559b261b58"),
    ):
        result = CliRunner().invoke(
            main,
            [
                "ia",
                "check",
                path,
                "--data-repo",
                repo,
                "--meta-repo",
                meta,
                "--data-commit",
                commit,
            ],
        )
        assert result.exit_code == 1
        assert f"corrupt file IR998:{path} at {commit[:12]}" in result.output


def test_wrong_conventions_fail_and_strict(bundle_bare: Callable[[str], Path]) -> None:
    args = (
        "ia", "check", "694/ia/21_00000.ia.json", "--json",
        "--data-repo", str(bundle_bare("Cornudas")), "--meta-repo", str(bundle_bare("MetaData")),
        "--data-commit", "c919ed7dbc538568b0964e28896dd3fdbdc235ab",
    )  # fmt: skip
    code, out = run(*args, "--timezone", "America/Denver", "--conventions", "pychron-2018")
    assert code == 1
    report = json.loads(out)
    assert {r["name"].split()[1] for r in report["analyses"] if r["status"] == "mismatch"} == {
        "age_err"
    }
    # naive decay days move the ages by ~2.6e-7: fails at 1e-9, passes at 1e-6
    assert run(*args, "--timezone", "naive")[0] == 1
    assert run(*args, "--timezone", "naive", "--rtol", "1e-6")[0] == 0
    assert run(*args, "--timezone", "America/Denver", "--strict")[0] == 0
