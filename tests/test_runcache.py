"""The run-cache: its API, and the reduction engine using it (a repeat is a lookup)."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from ardvc.api import Lab
from ardvc.cache.runcache import RunCache, stage_key
from ardvc.cli.main import main
from ardvc.data.analysis import Analysis
from ardvc.data.write import write_collection
from ardvc.demodata import cornudas_analysis, metarepo_files
from ardvc.formats.irradiation import PositionUpdate
from ardvc.gitstore import commit_files
from ardvc.reduction.memo import code_version

AGE = 31.843196079528557  # Cornudas 21_00000.ia.json, 69421-02F
SETTINGS = ("timezone=America/Denver",)


def test_stage_key_is_canonical_and_sensitive() -> None:
    inputs, params = {"a": "1", "b": "2"}, {"x": 1, "y": [1, 2]}
    key = stage_key("reduce", "v1", inputs, params)
    assert key == stage_key("reduce", "v1", {"b": "2", "a": "1"}, {"y": [1, 2], "x": 1})
    others = [
        stage_key("fit", "v1", inputs, params),
        stage_key("reduce", "v2", inputs, params),
        stage_key("reduce", "v1", {**inputs, "b": "3"}, params),
        stage_key("reduce", "v1", inputs, {**params, "x": 2}),
    ]
    assert key not in others and len(set(others)) == 4


def test_records_newest_wins_damage_is_dropped_and_gc(tmp_path: Path) -> None:
    rc = RunCache(tmp_path / "runs")
    key = stage_key("s", "v", {}, {})
    assert rc.get(key) is None
    first = rc.put(key, {"n": 1}, objects=["a" * 64])
    time.sleep(0.01)
    second = rc.put(key, {"n": 2})
    assert rc.get(key) == {"n": 2} and first != second
    assert rc.path(key, second) == tmp_path / "runs" / key[:2] / key / second
    assert rc.referenced_objects() == {"a" * 64}
    assert rc.status().records == 2 and rc.status().keys == 1
    path = rc.path(key, second)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b'"n":2', b'"n":3'))
    assert rc.get(key) == {"n": 1}  # the damaged newest record is removed, not returned
    assert not path.exists()
    rc.put(key, {"n": 4})
    assert len(rc.gc(keep=1, dry_run=True)) == 1 and rc.status().records == 2
    assert len(rc.gc(keep=1)) == 1 and rc.get(key) == {"n": 4}


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    Lab.init(tmp_path / "lab")
    lab = Lab.open(tmp_path / "lab")
    commit_files(lab.meta.git, metarepo_files(), "added NM-322 (embedded data)", lab.author())
    repo = lab.create_repository("Demo")
    write_collection(repo, cornudas_analysis(), lab.author())
    return lab


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    original = Analysis.decoded

    def counted(self: Analysis, modifier: str | None) -> object:
        reads.append(str(modifier))
        return original(self, modifier)

    monkeypatch.setattr(Analysis, "decoded", counted)
    return reads


def test_a_repeated_reduction_is_a_lookup_with_identical_results(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = lab.reduce("Demo", conventions="pychron-2022", settings=SETTINGS)
    assert not first.from_run_cache
    assert math.isclose(first.results[0].age, AGE, rel_tol=1e-12)
    assert lab.cache().cache.runs.status().records == 1
    reads = _count_reads(monkeypatch)
    second = lab.reduce("Demo", conventions="pychron-2022", settings=SETTINGS)
    assert second.from_run_cache
    assert [r.as_dict() for r in second.results] == [r.as_dict() for r in first.results]
    assert second.results[0].age == first.results[0].age
    assert set(reads) <= {"None"}  # only main files (the selection), no other file decoded
    assert second.chain is not None and first.chain is not None  # computed on first use
    assert second.chain.age.value.tolist() == first.chain.age.value.tolist()
    assert second.rows == first.rows
    fresh = lab.reduce("Demo", conventions="pychron-2022", settings=SETTINGS, run_cache=False)
    assert [r.as_dict() for r in fresh.results] == [r.as_dict() for r in first.results]


def test_a_changed_parameter_or_input_blob_misses(lab: Lab) -> None:
    base = lab.reduce("Demo", conventions="pychron-2022", settings=SETTINGS)
    other = lab.reduce("Demo", conventions="pychron-2018", settings=SETTINGS)
    assert not other.from_run_cache and other.results[0].age_err != base.results[0].age_err
    # an input blob: the intercepts file of the analysis
    repo = lab.repo("Demo")
    analysis = repo.analysis(base.results[0].uuid or "")
    path = analysis.path("intercepts")
    assert path is not None
    data = orjson.loads(repo.git.read(path))
    data["Ar40"]["value"] *= 1.001
    commit_files(repo.git, {path: orjson.dumps(data)}, "<ISOEVO> test", lab.author())
    changed = lab.reduce("Demo", conventions="pychron-2022", settings=SETTINGS)
    assert not changed.from_run_cache and changed.results[0].age != base.results[0].age
    assert lab.reduce("Demo", conventions="pychron-2022", settings=SETTINGS).from_run_cache


def test_metarepo_changes_miss_only_when_they_matter(lab: Lab) -> None:
    base = lab.reduce("Demo", conventions="pychron-2022", settings=SETTINGS)
    author = lab.author()
    lab.meta.add_irradiation("NM-777", author)  # elsewhere in the MetaRepo: still a hit
    unrelated = lab.reduce("Demo", conventions="pychron-2022", settings=SETTINGS)
    assert unrelated.from_run_cache
    assert unrelated.meta_commit != base.meta_commit
    assert unrelated.results[0].provenance["meta_commit"] == unrelated.meta_commit
    assert unrelated.results[0].age == base.results[0].age
    # J of the analysis' own level: a miss, and a different age
    main = lab.repo("Demo").analysis(base.results[0].uuid or "").main
    irr, level, pos = str(main.irradiation), str(main.irradiation_level), main.irradiation_position
    assert pos is not None
    flux = lab.meta.flux(irr, level, int(pos))
    update = PositionUpdate(position=int(pos), j=float(flux.j) * 1.01)
    lab.meta.set_positions(irr, level, [update], author)
    moved = lab.reduce("Demo", conventions="pychron-2022", settings=SETTINGS)
    assert not moved.from_run_cache and moved.results[0].age != base.results[0].age


def test_run_cache_cli(lab: Lab) -> None:
    lab.reduce("Demo", conventions="pychron-2022", settings=SETTINGS)
    lab.reduce("Demo", conventions="pychron-2018", settings=SETTINGS)
    runner = CliRunner()
    out = runner.invoke(main, ["--root", str(lab.root), "run-cache", "status", "--json"])
    assert out.exit_code == 0 and json.loads(out.output)["records"] == 2
    out = runner.invoke(main, ["--root", str(lab.root), "run-cache", "gc", "--keep", "0"])
    assert out.exit_code == 0 and "removed 2" in out.output
    assert code_version().startswith("0.")
