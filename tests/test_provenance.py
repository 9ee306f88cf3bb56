"""Provenance queries on clones of the shared Pychron bundles: ``ardvc log`` (value
history), ``ardvc blame`` and ``ardvc diff``, checked against what git itself says (the
git CLI, read independently of ardvc)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ardvc.api import Lab
from ardvc.cli.main import main
from ardvc.data import DataRepo
from ardvc.errors import UsageError
from ardvc.formats.jsonio import PYTHON2, dumps
from ardvc.gitstore import Author, GitRepo, commit_files
from ardvc.provenance import blame, value_diff, value_history
from ardvc.provenance.history import Watch
from test_fit_save import clone

pytestmark = pytest.mark.shared
Bundles = Callable[[str], Path]
AUTHOR = Author("Test Analyst", "analyst@lab.example")
BULK = "7825b18ebbfae3cf77b3236a4448d07a9d7477ad"
SCALE = 0.9932318104906938
LUSK_RUN = "66681-03L"


def git(path: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=path, check=True, capture_output=True, text=True)
    return done.stdout


def git_json(path: Path, rev: str, file: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(git(path, "show", f"{rev}:{file}"))
    return data


@pytest.fixture(scope="module")
def lab(bundle_bare: Bundles, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    root = tmp_path_factory.mktemp("provenance") / "lab"
    clone(bundle_bare, "MetaData", root / "MetaData")
    for name in ("Lusk01121", "IR998", "Cornudas"):
        clone(bundle_bare, name, root / "repositories" / name)
    Lab.adopt_pychron(root)
    return Lab.open(root)


@pytest.fixture
def ir998(bundle_bare: Bundles, tmp_path: Path) -> DataRepo:
    return DataRepo(GitRepo(clone(bundle_bare, "IR998", tmp_path / "IR998")))


def test_log_shows_the_2021_bulk_icfactor_edit(lab: Lab) -> None:
    """Every analysis of Lusk01121: the bulk edit scaled L2(CDD) and nothing else, and
    ``ardvc log`` reports exactly git's before/after values."""
    path = lab.repo("Lusk01121").git.path
    changed = git(path, "show", "--name-only", "--format=", BULK).split()
    assert len(changed) == 426 and all("/icfactors/" in p for p in changed)
    for file in changed:  # the relation, read from git directly
        before, after = git_json(path, f"{BULK}^", file), git_json(path, BULK, file)
        assert after["L2(CDD)"]["value"] == before["L2(CDD)"]["value"] * SCALE
        assert after["L2(CDD)"]["scalar"] == SCALE
        assert {k: v for k, v in after.items() if k != "L2(CDD)"} == {
            k: v for k, v in before.items() if k != "L2(CDD)"
        }
    revisions = lab.history(LUSK_RUN, kinds=["icfactors"])
    bulk = revisions[0]
    assert bulk.commit == BULK
    assert bulk.tag == "ICFactor" and bulk.author == "Jake Ross"
    assert bulk.summary == f"<ICFactor> bulk edit scaled icfactor by {SCALE}"
    (diff,) = bulk.files
    assert diff.item == "icfactors" and diff.status == "modified"
    file = "666/icfactors/81-03L.icfa.json"
    before, after = git_json(path, f"{BULK}^", file), git_json(path, BULK, file)
    changes = {(c.key, c.field): c for c in diff.changes}
    assert {k for k, _ in changes} == {"L2(CDD)"}  # no other detector is listed
    value = changes[("L2(CDD)", "value")]
    assert (value.before, value.after) == (before["L2(CDD)"]["value"], after["L2(CDD)"]["value"])
    assert value.after == value.before * SCALE and value.ratio == SCALE
    error = changes[("L2(CDD)", "error")]
    assert (error.before, error.after) == (before["L2(CDD)"]["error"], after["L2(CDD)"]["error"])
    assert changes[("L2(CDD)", "fit")].after == "bulk_edit"
    # the other commit is the collection-time default, where the file was added
    assert [r.files[0].status for r in revisions[1:]] == ["added"]
    assert revisions[1].summary == "<ICFactor> default"


def test_log_cli(lab: Lab) -> None:
    root = str(lab.root)
    result = CliRunner().invoke(main, ["--root", root, "log", LUSK_RUN, "--kind", "icfactors"])
    assert result.exit_code == 0, result.output
    assert BULK[:12] in result.output
    assert f"L2(CDD) value: 1.0 → {SCALE!r}  (×{SCALE!r})" in result.output
    result = CliRunner().invoke(main, ["--root", root, "log", LUSK_RUN, "--json", "-n", "1"])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.output)
    assert entry["commit"] == BULK and entry["files"][0]["changes"][0]["ratio"] == SCALE


def _git_log(path: Path, paths: list[str]) -> list[str]:
    return git(path, "log", "--format=%H", "HEAD", "--", *paths).split()


@pytest.mark.parametrize(
    ("repo", "name"), [("Lusk01121", LUSK_RUN), ("Cornudas", "69421-02F"), ("IR998", "65761-05")]
)
def test_history_commits_equal_git_log(lab: Lab, repo: str, name: str) -> None:
    """The commits ``ardvc log`` lists for every file kind are exactly those ``git log``
    lists for every path a reader could find them at (same history simplification)."""
    data = lab.repo(repo)
    analysis = data.analysis(name)
    watch = Watch.of(analysis)
    paths = [p for group in watch.candidates.values() for p in group]
    for folder, prefix in watch.ia_folders:
        paths += [f"{folder}/{prefix}.ia.json", f"{folder}/{prefix}_*.ia.json"]
    ours = [r.commit for r in value_history(data, name, items=[*watch.candidates, "ia"])]
    assert ours == _git_log(data.git.path, paths)
    assert len(ours) >= 5  # collection (main, .data, ISOEVO, BLANKS, ICFactor) at least


def test_truncated_ia_is_reported_not_fatal(lab: Lab) -> None:
    """IR998's 61.ia.json was committed truncated twice in 2018: the log names the file
    as unreadable and goes on."""
    revisions = lab.history("65761-05", repo="IR998", kinds=["ia"])
    unreadable = [f for r in revisions for f in r.files if f.status == "unreadable"]
    assert unreadable and all(f.item == "ia:61.ia.json" for f in unreadable)
    assert all("corrupt file 657/ia/61.ia.json" in (f.error or "") for f in unreadable)
    added = [f for r in revisions for f in r.files if f.item == "ia:61.ia.json" and f.changes]
    groups = {(c.key, c.field): c.after for f in added for c in f.changes}
    assert groups[("group", "age")] is not None


def test_moves_and_format_only_rewrites(ir998: DataRepo) -> None:
    """A tag moved under reduction/ with a new value is one 'moved' change; an intercepts
    file rewritten in another JSON style without a value change is 'format-only'."""
    raw = ir998.git
    old_tag, new_tag = "657/tags/61-05.tags.json", "reduction/657/tags/61-05.tags.json"
    tag = json.loads(raw.read(old_tag))
    tag["name"] = "omit"
    inte = "657/intercepts/61-05.inte.json"
    text = raw.read(inte)
    rewritten = dumps(json.loads(text), PYTHON2)
    assert rewritten != text
    commit_files(raw, {old_tag: None, new_tag: json.dumps(tag).encode()}, "<TAG> omit", AUTHOR)
    commit_files(raw, {inte: rewritten}, "<MANUAL> restyle", AUTHOR)
    restyle, moved = list(value_history(ir998, "65761-05", limit=2))
    (fmt,) = restyle.files
    assert (fmt.item, fmt.status, fmt.changes) == ("intercepts", "format-only", [])
    (move,) = moved.files
    assert (move.status, move.before_path, move.after_path) == ("moved", old_tag, new_tag)
    assert [(c.field, c.before, c.after) for c in move.changes] == [("name", "ok", "omit")]


def test_blame_passes_over_rewrites_and_follows_values(ir998: DataRepo, lab: Lab) -> None:
    lines = {line.quantity: line for line in lab.blame(LUSK_RUN, "Ar36")}
    path = lab.repo("Lusk01121").git.path
    assert lines["icfactor"].commit == BULK and lines["icfactor"].key == "L2(CDD)"
    assert lines["icfactor"].previous == (1.0, 1e-20)
    assert lines["icfactor"].value == SCALE
    for quantity, file in (
        ("intercept", "666/intercepts/81-03L.inte.json"),
        ("baseline", "666/baselines/81-03L.base.json"),
        ("blank", "666/blanks/81-03L.blan.json"),
    ):
        (only,) = _git_log(path, [file])  # written once, at collection
        assert lines[quantity].commit == only and lines[quantity].previous is None
    stored = git_json(path, "HEAD", "666/intercepts/81-03L.inte.json")["Ar36"]
    assert (lines["intercept"].value, lines["intercept"].error) == (
        stored["value"],
        stored["error"],
    )
    # a commit that only marks the entry reviewed does not take the blame
    inte = "657/intercepts/61-05.inte.json"
    entries = json.loads(ir998.git.read(inte))
    before = {line.quantity: line.commit for line in blame(ir998, "65761-05", "Ar40")}
    entries["Ar40"]["reviewed"] = not entries["Ar40"].get("reviewed", False)
    commit_files(ir998.git, {inte: json.dumps(entries).encode()}, "<ISOEVO> review", AUTHOR)
    assert {line.quantity: line.commit for line in blame(ir998, "65761-05", "Ar40")} == before
    entries["Ar40"]["value"] = entries["Ar40"]["value"] * 2
    made = commit_files(ir998.git, {inte: json.dumps(entries).encode()}, "<ISOEVO> x2", AUTHOR)
    after = {line.quantity: line for line in blame(ir998, "65761-05", "Ar40")}
    assert after["intercept"].commit == made.commit
    assert after["intercept"].value == 2 * after["intercept"].previous[0]  # type: ignore[index]
    with pytest.raises(UsageError, match="no isotope 'Ar99'"):
        blame(ir998, "65761-05", "Ar99")


def test_diff_between_revisions(lab: Lab) -> None:
    data = lab.repo("Cornudas")
    first, last = "12c8dcfe", "c919ed7"
    result = value_diff(data, "69421-02F", first, last)
    by_item = {f.item: f for f in result.files}
    assert set(by_item) == {"intercepts", "baselines", "blanks", "icfactors", "ia:21_00000.ia.json"}
    path = data.git.path
    inte = by_item["intercepts"].after_path
    assert inte is not None
    old, new = git_json(path, first, inte), git_json(path, last, inte)
    got = {(c.key, c.field): (c.before, c.after) for c in by_item["intercepts"].changes}
    for isotope in ("Ar36", "Ar37", "Ar38", "Ar39", "Ar40"):
        want = (old[isotope]["value"], new[isotope]["value"])
        assert got[(isotope, "value")] == want and want[0] != want[1]
    # the same analysis, same revision twice: nothing differs
    assert value_diff(data, "69421-02F", last, last).files == []
    cli = CliRunner().invoke(
        main,
        [
            "--root",
            str(lab.root),
            "diff",
            "69421-02F",
            first,
            last,
            "--repo",
            "Cornudas",
            "--kind",
            "icfactors",
        ],
    )
    assert cli.exit_code == 0, cli.output
    assert "H1 value: 1.0 → 1.00069175528331" in cli.output
    assert "1 files with value changes" in cli.output
