"""``ardvc fit --save``: refitted intercepts and baselines written back to clones of real
Pychron repositories, Pychron ≥ 2021 style (pychron-format.md §5.3, §5.4, §6.2)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner

from ardvc import __version__
from ardvc.api import Lab
from ardvc.cli.main import main
from ardvc.data import DataRepo
from ardvc.errors import ConcurrentUpdateError, UsageError
from ardvc.formats.jsonio import detect_style
from ardvc.gitstore import Author, GitRepo, commit_files
from ardvc.reduction.fit_files import (
    UnrefittableEntriesError,
    plan_fits,
    require_branch_head,
    save_fit_plan,
    save_fits,
)
from ardvc.reduction.refit import FitOverrides, refit_many
from ardvc.reduction.select import select_analyses

pytestmark = pytest.mark.shared
Bundles = Callable[[str], Path]
AUTHOR = Author("Test Analyst", "analyst@lab.example")
WRITTEN_KEYS = {
    "value", "error", "fit", "error_type", "filter_outliers_dict", "n", "fn",
    "outlier_excluded", "user_excluded", "include_baseline_error", "reviewed", "ardvc",
}  # fmt: skip


def clone(bundle_bare: Bundles, name: str, target: Path) -> Path:
    subprocess.run(
        ["git", "clone", "--quiet", str(bundle_bare(name)), str(target)],
        check=True,
        capture_output=True,
    )
    return target


def changed_paths(repo: DataRepo, commit: str) -> set[str]:
    out = subprocess.run(
        ["git", "diff-tree", "--no-commit-id", "--name-only", "-r", commit],
        cwd=repo.git.path, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return set(out.split())


def raw(repo: DataRepo, path: str, rev: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(repo.git.read(path, rev))
    return data


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b) if b else abs(a - b)


@pytest.fixture
def ir998(bundle_bare: Bundles, tmp_path: Path) -> DataRepo:
    return DataRepo(GitRepo(clone(bundle_bare, "IR998", tmp_path / "IR998")))


def _files(repo: DataRepo, rev: str) -> dict[str, str]:
    """path → blob id of every intercepts/baselines file at ``rev``."""
    out = subprocess.run(
        ["git", "ls-tree", "-r", rev], cwd=repo.git.path, check=True, capture_output=True,
        text=True,
    ).stdout  # fmt: skip
    files = {}
    for line in out.splitlines():
        meta, path = line.split("\t")
        if "/intercepts/" in path or "/baselines/" in path:
            files[path] = meta.split()[2]
    return files


def test_save_with_stored_settings(ir998: DataRepo) -> None:
    """IR998 65761 (23 analyses): two commits with Pychron's messages, only intercepts and
    baselines touched; the values read back are the refits, a second refit reproduces every
    saved entry exactly, and everything else in the files is kept."""
    head = ir998.git.head_id()
    assert head is not None
    analyses = select_analyses(ir998, head, identifiers=["65761"])
    assert len(analyses) == 23
    before = _files(ir998, head)
    branch = ir998.git.target_branch(None)
    moves = len(list(ir998.git.raw.references[f"refs/heads/{branch}"].log()))
    results = save_fits(ir998, analyses, None, AUTHOR)
    assert len(results) == 2
    # both commits published by one branch move: never intercepts without baselines
    assert len(list(ir998.git.raw.references[f"refs/heads/{branch}"].log())) == moves + 1
    inter, base = (ir998.git.resolve(r.commit) for r in results)
    assert [str(c.parents[0].id) for c in (inter, base)] == [head, str(inter.id)]
    assert inter.message.startswith("<ISOEVO>.intercepts fits=")
    assert base.message.startswith("<ISOEVO>.baselines fits=")
    inter_paths, base_paths = (
        changed_paths(ir998, str(inter.id)),
        changed_paths(ir998, str(base.id)),
    )
    assert len(inter_paths) == len(base_paths) == 23
    assert all("/intercepts/" in p for p in inter_paths)
    assert all("/baselines/" in p for p in base_paths)
    after_head = str(base.id)
    after = _files(ir998, after_head)
    untouched = set(before) - inter_paths - base_paths
    assert untouched and all(before[p] == after[p] for p in untouched)

    rows = {(r.analysis, r.series, r.key): r for r in refit_many(analyses)}
    fits: dict[str, set[tuple[str, str]]] = {"intercepts": set(), "baselines": set()}
    for analysis in analyses:
        for modifier, series in (("intercepts", "signal"), ("baselines", "baseline")):
            path = analysis.path(modifier)
            assert path is not None
            old, new = raw(ir998, path, head), raw(ir998, path, after_head)
            old_bytes, new_bytes = ir998.git.read(path, head), ir998.git.read(path, after_head)
            assert detect_style(old_bytes) == detect_style(new_bytes)
            assert set(old) == set(new)
            for key, entry in new.items():
                if not isinstance(entry, dict) or not entry:
                    assert entry == old[key]  # top-level "reviewed": true, {} detectors
                    continue
                row = rows[(analysis.name, series, key)]
                assert (entry["value"], entry["error"]) == (row.value, row.error)
                assert (entry["n"], entry["fn"]) == (row.n, row.fn)
                assert entry["outlier_excluded"] == sorted(row.outliers)
                assert entry["fit"] == old[key]["fit"]  # stored spelling kept
                assert entry["error_type"] == old[key].get("error_type", "SEM")
                assert entry["reviewed"] is True and entry["user_excluded"] == []
                assert entry["ardvc"] == {
                    "version": __version__,
                    "data_blob": analysis.files[".data"].blob_id,
                    "data_commit": head,
                    "fit_used": row.kind_used,
                }
                assert set(entry) == set(old[key]) | WRITTEN_KEYS
                for other in set(old[key]) - WRITTEN_KEYS:
                    assert entry[other] == old[key][other]
                fits[modifier].add((key, entry["fit"]))
            assert new.get("reviewed") == old.get("reviewed")
    for modifier, commit in (("intercepts", inter), ("baselines", base)):
        listed = ",".join(f"{k}({f})" for k, f in sorted(fits[modifier]))
        assert commit.message == f"<ISOEVO>.{modifier} fits={listed}"

    # ardvc reads the refits back, and refitting with the stored settings reproduces them
    again = select_analyses(ir998, after_head, identifiers=["65761"])
    second = refit_many(again)
    assert len(second) == len(rows)
    for r in second:
        first = rows[(r.analysis, r.series, r.key)]
        assert r.problem is None and r.stored_value == first.value
        assert rel(r.value, first.value) <= 1e-12 and rel(r.error, first.error) <= 1e-12
        assert r.stored_fn == r.fn and r.outliers_match
        assert r.reproduces(1e-12)


def test_save_refuses_problems_unless_skipped(ir998: DataRepo) -> None:
    head = ir998.git.head_id()
    assert head is not None
    analysis = ir998.analysis("65761-05", head)
    fits = analysis.intercepts
    assert fits is not None
    entries = dict(fits.entries)
    entries["Ar40"] = msgspec.structs.replace(entries["Ar40"], fit="custom:a*exp(-b*x)+c")
    analysis._decoded["intercepts"] = msgspec.structs.replace(fits, entries=entries)
    plan = plan_fits(ir998, [analysis])
    assert [(r.key, r.series) for r in plan.problems] == [("Ar40", "signal")]
    with pytest.raises(UnrefittableEntriesError, match="custom fit expression") as info:
        save_fit_plan(ir998, plan, AUTHOR)
    assert "nothing was written" in str(info.value) and "--skip-problems" in str(info.value.hint)
    assert ir998.git.head_id() == head
    results = save_fit_plan(ir998, plan, AUTHOR, skip_problems=True)
    path = analysis.path("intercepts")
    assert path is not None and results[-1].commit is not None
    old, new = raw(ir998, path, head), raw(ir998, path, results[-1].commit)
    assert new["Ar40"] == old["Ar40"]  # left exactly as stored
    assert "ardvc" in new["Ar39"] and "ardvc" not in new["Ar40"]
    assert "Ar40(" not in ir998.git.resolve(results[0].commit).message


def test_save_refuses_a_moved_branch_and_an_old_revision(ir998: DataRepo) -> None:
    head = ir998.git.head_id()
    assert head is not None
    plan = plan_fits(ir998, [ir998.analysis("65761-05", head)])
    note = commit_files(ir998.git, {"notes.txt": b"moved"}, "<MANUAL> a note", AUTHOR)
    with pytest.raises(ConcurrentUpdateError, match="nothing was written"):
        save_fit_plan(ir998, plan, AUTHOR)
    assert ir998.git.head_id() == note.commit
    with pytest.raises(UsageError, match="--at"):
        require_branch_head(ir998, head)
    with pytest.raises(UsageError, match="not at the head"):
        plan_fits(ir998, [ir998.analysis("65761-05", head)])


@pytest.fixture
def lab(bundle_bare: Bundles, tmp_path: Path) -> Lab:
    root = tmp_path / "lab"
    Lab.init(root)
    clone(bundle_bare, "Cornudas", root / "repositories" / "Cornudas")
    return Lab.open(root)


def run(lab: Lab, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--root", str(lab.root), *args])
    return result.exit_code, result.output


def test_cli_save_with_another_fit(lab: Lab) -> None:
    """``--fit Ar40=linear`` is recorded in the files and in the message; ``ardvc fit``
    afterwards (stored settings) reproduces every saved entry."""
    repo = lab.repo("Cornudas")
    head = repo.git.head_id()
    assert head is not None
    code, out = run(lab, "fit", "--repo", "Cornudas", "--identifier", "69427", "--fit",
                    "Ar40=linear", "--save")  # fmt: skip
    assert code == 0, out
    tip = repo.git.resolve()
    inter = tip.parents[0]
    assert str(inter.parents[0].id) == head
    assert inter.message == (
        "<ISOEVO>.intercepts fits=Ar36(linear),Ar37(linear),Ar38(linear),Ar39(linear),Ar40(linear)"
    )
    assert tip.message == (
        "<ISOEVO>.baselines fits=AX(average),H1(average),H2(average),L1(average),L2(CDD)(average)"
    )
    assert f"committed {inter.id} {inter.message}" in out
    analyses = select_analyses(repo, None, identifiers=["69427"])
    assert len(analyses) == 10
    for analysis in analyses:
        fits = analysis.intercepts
        assert fits is not None
        entry = fits.entries["Ar40"]
        assert entry.fit == "linear" and entry.error_type == "SEM" and entry.reviewed
    # a constant all-zero ion-counter baseline is saved as Pychron computes it, 0 ± 0, flagged
    cdd = json.loads(repo.analysis("fed507be-92a0-4177-a5ae-c88433a2cb7d").raw_bytes("baselines"))
    assert (cdd["L2(CDD)"]["value"], cdd["L2(CDD)"]["error"], cdd["L2(CDD)"]["fn"]) == (0, 0, 0)
    assert cdd["L2(CDD)"]["ardvc"]["status"].startswith("ALL_EXCLUDED")
    rows = refit_many(analyses, FitOverrides({"Ar40": "linear"}))
    stored = {(r.analysis, r.series, r.key): r for r in refit_many(analyses)}
    assert all(stored[(r.analysis, r.series, r.key)].stored_value == r.value for r in rows)
    code, out = run(lab, "fit", "--repo", "Cornudas", "--identifier", "69427", "--rtol", "1e-12")
    assert code == 0, out
    assert "100 of 100 stored entries reproduced" in out and "nothing written" in out
    code, out = run(lab, "fit", "--repo", "Cornudas", "--identifier", "69427", "--save",
                    "--at", head)  # fmt: skip
    assert code == 2 and "--at" in out
    assert repo.git.resolve().id == tip.id
    code, out = run(lab, "fit", "--repo", "Cornudas", "--identifier", "69427", "--skip-problems")
    assert code == 2 and "only applies with --save" in out


def test_refit_rows_are_what_was_saved(lab: Lab) -> None:
    """The JSON output of ``fit --save`` is the rows that were written."""
    result = CliRunner().invoke(
        main,
        ["--root", str(lab.root), "fit", "--repo", "Cornudas", "69421-02F", "--save", "--json"],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    analysis = lab.repo("Cornudas").analysis("69421-02F")
    fits = analysis.intercepts
    assert fits is not None
    by_key = {(p["series"], p["key"]): p for p in payload}
    assert fits.entries["Ar40"].value == by_key[("signal", "Ar40")]["value"]
    assert len(payload) == 10
    assert all(p["problem"] is None for p in payload)
