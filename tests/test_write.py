"""Writing analyses and modifier files: Pychron's layout, messages and styles, read back by
ardvc and by an independent minimal reader."""

from __future__ import annotations

import json
import subprocess
import uuid as uuidlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import minimal_reader
from ardvc.data import DataRepo
from ardvc.data.write import NewAnalysis, write_collection, write_modifiers
from ardvc.errors import UsageError
from ardvc.formats.jsonio import loads
from ardvc.gitstore import Author, GitRepo
from conftest import clone_bundle

AUTHOR = Author("Test Analyst", "analyst@lab.example")
SOURCE_UUID = "d3f3b3a7-3cf5-4bb3-9c2d-f160f87397a9"
SOURCE_COMMIT = "c919ed7dbc538568b0964e28896dd3fdbdc235ab"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def real_analysis(bundle_bare: Callable[[str], Path]) -> NewAnalysis:
    """The files of Cornudas 69421-02F as acquisition would hand them over."""
    source = DataRepo(GitRepo(bundle_bare("Cornudas")))
    a = source.analysis(SOURCE_UUID, SOURCE_COMMIT)
    parts: dict[str, Any] = {}
    for modifier, field in (
        (None, "main"), (".data", "raw_data"), ("intercepts", "intercepts"),
        ("baselines", "baselines"), ("blanks", "blanks"), ("icfactors", "icfactors"),
        ("extraction", "extraction"), ("peakcenter", "peakcenter"),
    ):  # fmt: skip
        parts[field] = loads(a.raw_bytes(modifier), path=str(a.path(modifier)))
    spec = source.git.read(f"{parts['main']['spec_sha']}.json", SOURCE_COMMIT)
    parts["spectrometer"] = json.loads(spec)
    parts["main"]["uuid"] = str(uuidlib.uuid4())
    return NewAnalysis(**parts, log="collection log\n")


@pytest.mark.shared
def test_collection_commits_follow_pychron(
    tmp_path: Path, bundle_bare: Callable[[str], Path]
) -> None:
    repo = DataRepo.create(tmp_path, "Test Repo", AUTHOR)
    assert repo.name == "TestRepo"
    assert repo.git.read("README.md") == b"# TestRepo"
    new = real_analysis(bundle_bare)
    results = write_collection(repo, new, AUTHOR, previous_blank="bu-FD-F-788")
    messages = git(repo.git.path, "log", "--format=%s").splitlines()
    assert messages == [
        "<COLLECTION> log",
        "<ICFactor> default",
        "<BLANKS> preceding bu-FD-F-788",
        "<ISOEVO> default collection fits",
        "<COLLECTION>",
        "Initial commit",
    ]
    uid = new.uuid
    shard, tail = uid[:2], uid[2:]
    first = git(repo.git.path, "show", "--name-only", "--format=", results[0].commit or "")
    # the spectrometer file is new here, so it travels with the first commit
    spec = new.spectrometer or {}
    assert sorted(first.split()) == sorted(
        [
            f"{shard}/{tail}.json",
            f"{shard}/.data/{tail}.dat.json",
            f"{shard}/extraction/{tail}.extr.json",
            f"{shard}/peakcenter/{tail}.peak.json",
            f"{json.loads(repo.git.read(f'{shard}/{tail}.json'))['spec_sha']}.json",
        ]
    )
    assert git(repo.git.path, "status", "--porcelain") == ""
    # ardvc reads back exactly what it was given
    back = repo.analysis(uid)
    assert back.intercepts is not None
    for key, entry in (new.intercepts or {}).items():
        got = back.intercepts.get(key)
        assert got is not None and (got.value, got.error) == (entry["value"], entry["error"])
    assert back.main.record_id == "69421-02F"
    assert back.log_text == "collection log\n"
    assert len(spec) >= 3
    # ... and so does a reader built only from the format reference and git's CLI
    for key, entry in (new.intercepts or {}).items():
        got_plain = minimal_reader.intercept(repo.git.path, "HEAD", uid, key)
        assert got_plain == (entry["value"], entry["error"])
    plain_main = minimal_reader.read(repo.git.path, "HEAD", uid)
    assert plain_main is not None and plain_main["identifier"] == "69421"
    raw = minimal_reader.git_show(repo.git.path, "HEAD", f"{shard}/{tail}.json")
    assert raw is not None and not raw.endswith(b"\n") and b'\n    "aliquot": 2,' in raw


@pytest.mark.shared
def test_spectrometer_file_written_once_and_single_commit(
    tmp_path: Path, bundle_bare: Callable[[str], Path]
) -> None:
    repo = DataRepo.create(tmp_path, "Batch", AUTHOR)
    write_collection(repo, real_analysis(bundle_bare), AUTHOR)
    second = real_analysis(bundle_bare)
    results = write_collection(repo, second, AUTHOR, single_commit=True)
    assert len(results) == 1
    names = git(repo.git.path, "show", "--name-only", "--format=", results[0].commit or "")
    assert not any(n.count("/") == 0 for n in names.split())  # no spectrometer rewrite
    assert len(names.split()) == 9  # main, .data, 6 modifiers, log
    with pytest.raises(UsageError, match="written once"):
        write_collection(repo, second, AUTHOR)
    bad = real_analysis(bundle_bare)
    bad.main["uuid"] = "66681-03L"
    with pytest.raises(UsageError, match="uuid4"):
        write_collection(repo, bad, AUTHOR)


@pytest.mark.shared
def test_rewrite_keeps_the_files_style(tmp_path: Path) -> None:
    """A Python-2-era baselines file (", " separators) keeps its style when one value changes,
    so the diff shows that value only."""
    path = clone_bundle("IR1003", tmp_path / "IR1003")
    repo = DataRepo(GitRepo(path))
    name = "65602-02A"
    before = repo.git.read("656/baselines/02-02A.base.json")
    assert b", \n" in before
    doc = json.loads(before)
    detector = next(k for k, v in doc.items() if isinstance(v, dict) and "value" in v)
    doc[detector]["value"] = 0.125
    result = write_modifiers(
        repo, {(name, "baselines"): doc}, "<ISOEVO>.baselines fits=H1(average)", AUTHOR
    )
    diff = git(path, "diff", "--numstat", f"{result.commit}~1", str(result.commit))
    assert diff.split()[:2] == ["1", "1"]
    assert repo.analysis(name).baselines.get(detector).value == 0.125  # type: ignore[union-attr]
    assert git(path, "status", "--porcelain") == ""


@pytest.mark.shared
def test_tags_go_to_reduction_unless_a_legacy_file_exists(tmp_path: Path) -> None:
    path = clone_bundle("IR998", tmp_path / "IR998")
    repo = DataRepo(GitRepo(path))
    legacy = repo.locate("65761-05", "tags")
    assert legacy == "657/tags/61-05.tags.json"
    untagged = next(a for a in repo.analyses() if not a.has("tags"))
    tag = {"name": "omit", "note": "test", "subgroup": ""}
    write_modifiers(
        repo,
        {("65761-05", "tags"): tag, (untagged.name, "tags"): tag},
        "<TAG> omit   65761-05 - 65761-05",
        AUTHOR,
    )
    assert repo.analysis("65761-05").tag == "omit"
    assert repo.analysis(untagged.name).path(
        "tags",
    ) == (f"reduction/{untagged.name[:3]}/tags/{untagged.name[3:]}.tags.json")
    assert minimal_reader.read(path, "HEAD", untagged.name, "tags") == tag


def test_frozen_flux_and_production_override(tmp_path: Path) -> None:
    repo = DataRepo.create(tmp_path, "Frozen", AUTHOR)
    from ardvc.gitstore import commit_files

    commit_files(
        repo.git,
        {
            "NM-999.json": b'{"12345": {"j": [0.0038, 1.8e-07]}}',
            "NM-999.A.production.json": json.dumps(
                {"K4039": [0.0088, 0.0004], "Ca3937": [0.0007, 1e-05], "name": "frozen"}
            ).encode(),
        },
        "<FLUX_FREEZE>",
        AUTHOR,
    )
    assert repo.frozen_flux("NM-999") == {"12345": (0.0038, 1.8e-07)}
    assert repo.frozen_flux("NM-000") is None
    production = repo.frozen_production("NM-999", "A")
    assert production is not None and production.value("K4039") == (0.0088, 0.0004)
    assert repo.frozen_production("NM-999", "B") is None
