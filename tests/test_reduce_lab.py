"""Reduction through the lab API and the CLI on a lab built from the embedded real data
(no ../shared needed): the stored Cornudas age comes back, and analyses with missing
inputs come back as per-analysis errors while the rest reduces."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest
from click.testing import CliRunner

from ardvc.api import Lab
from ardvc.cli.main import main
from ardvc.data.write import write_collection
from ardvc.demodata import cornudas_analysis, metarepo_files
from ardvc.formats.irradiation import PositionUpdate
from ardvc.gitstore import commit_files

AGE, AGE_ERR = 31.843196079528557, 0.034624951742485297  # Cornudas 21_00000.ia.json, 02F
SETTINGS = ("timezone=America/Denver",)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    root = tmp_path_factory.mktemp("reduce-lab") / "lab"
    Lab.init(root)
    lab = Lab.open(root)
    author = lab.author()
    commit_files(lab.meta.git, metarepo_files(), "added NM-322 (embedded data)", author)
    # a level whose production is the empty placeholder, and a position without J
    commit_files(lab.meta.git, {"NM-322/productions/PlaceHolder.json": b"{}"}, "empty", author)
    lab.meta.add_level("NM-322", "Z", author, production="PlaceHolder")
    lab.meta.set_positions("NM-322", "Z", [PositionUpdate(position=1, identifier="1")], author)
    repo = lab.create_repository("Demo")
    write_collection(repo, cornudas_analysis(), author)
    variants = {
        "no-position": {"irradiation_position": 99},
        "no-chronology": {"irradiation": "NM-999"},
        "empty-production": {"irradiation_level": "Z", "irradiation_position": 1},
        "nan-intercept": {},
    }
    for n, (name, change) in enumerate(variants.items()):
        new = cornudas_analysis(str(uuid.uuid4()))
        new.main.update(change, aliquot=90 + n, comment=name)
        if name == "nan-intercept":
            assert new.intercepts is not None
            new.intercepts["Ar39"]["value"] = float("nan")
        write_collection(repo, new, author, single_commit=True)
    return lab


def test_lab_reduce_reproduces_and_isolates_failures(lab: Lab) -> None:
    reduction = lab.reduce("Demo", conventions="pychron-2022", settings=SETTINGS)
    by_comment = {}
    for result in reduction.results:
        a = lab.repo("Demo").analysis(result.uuid or "")
        by_comment[a.main.comment] = result
    good = next(r for r in reduction.results if r.record_id == "69421-02F")
    assert good.ok
    assert abs(good.age / AGE - 1) < 1e-12 and abs(good.age_err / AGE_ERR - 1) < 1e-12
    assert good.provenance["parameters"]["conventions"]["name"] == "pychron-2022"
    assert good.provenance["parameters"]["conventions"]["timezone"] == "America/Denver"
    assert "position 99" in str(by_comment["no-position"].error)
    assert "NM-999" in str(by_comment["no-chronology"].error)
    assert "holds no ratios" in str(by_comment["empty-production"].error)
    assert "not finite" in str(by_comment["nan-intercept"].error)
    for name in ("no-position", "no-chronology", "empty-production", "nan-intercept"):
        bad = by_comment[name]
        assert not bad.ok and bad.age != bad.age  # NaN, never 0
    assert len(reduction.results) == 5


def test_cli_reduce_outputs(lab: Lab) -> None:
    runner = CliRunner()
    base = ["--root", str(lab.root), "reduce", "--repo", "Demo", "--conventions", "pychron-2022",
            "--set", "timezone=America/Denver"]  # fmt: skip
    table = runner.invoke(main, base)
    assert table.exit_code == 0, table.output
    assert "69421-02F" in table.output and "1 reduced, 4 with problems" in table.output
    as_json = runner.invoke(main, [*base, "--json", "69421-02F"])
    payload = json.loads(as_json.output)
    assert payload[0]["age"] == pytest.approx(AGE, rel=1e-12)
    assert payload[0]["provenance"]["files"]["intercepts"]
    as_csv = runner.invoke(main, [*base, "--csv"])
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert len(rows) == 5 and sum(1 for r in rows if r["error"]) == 4
    bad = runner.invoke(main, [*base, "--set", "nonsense=1"])
    assert bad.exit_code == 2


def test_settings_change_the_numbers_and_are_recorded(lab: Lab) -> None:
    full = lab.reduce("Demo", ["69421-02F"], settings=(*SETTINGS, "covariance=full"))
    compat = lab.reduce("Demo", ["69421-02F"], conventions="pychron-2022", settings=SETTINGS)
    a, b = full.results[0], compat.results[0]
    assert a.age == pytest.approx(b.age, rel=1e-15)  # same value, different errors
    assert a.age_err != b.age_err
    assert a.provenance["parameters"]["conventions"]["covariance"] == "full"
    lee = lab.reduce("Demo", ["69421-02F"], settings=(*SETTINGS, "atmosphere=lee2006"))
    assert lee.results[0].age != b.age
    assert lee.results[0].provenance["parameters"]["constants"]["atm4036"] == 298.56


def test_reduce_from_raw_data(lab: Lab) -> None:
    """Refitting 02F's reduction-time fits from its blobs gives the stored age again."""
    refit = lab.reduce(
        "Demo", ["69421-02F"], conventions="pychron-2022", settings=SETTINGS, refit=True
    )
    r = refit.results[0]
    assert r.ok and abs(r.age / AGE - 1) < 1e-12 and abs(r.age_err / AGE_ERR - 1) < 1e-9
    assert r.provenance["parameters"]["intercepts"] == "refit from raw data"
    fits = {(f["series"], f["key"]): f for f in r.provenance["fits"]}
    assert fits[("signal", "Ar40")]["fit"] == "parabolic" and fits[("signal", "Ar40")]["fn"] == 338


def test_cli_fit(lab: Lab) -> None:
    runner = CliRunner()
    base = ["--root", str(lab.root), "fit", "--repo", "Demo", "69421-02F"]
    result = runner.invoke(main, base)
    assert result.exit_code == 0, result.output
    assert "10 of 10 stored entries reproduced" in result.output
    changed = runner.invoke(main, [*base, "--fit", "Ar40=linear", "--json"])
    rows = {(r["series"], r["key"]): r for r in json.loads(changed.output)}
    assert rows[("signal", "Ar40")]["fit"] == "linear"
    assert rows[("signal", "Ar40")]["rel_value"] > 1e-4  # linear is not what was stored
    assert rows[("signal", "Ar39")]["rel_value"] < 1e-12
    bad = runner.invoke(main, [*base, "--fit", "Ar40=custom:x**2"])
    assert bad.exit_code == 2 and "custom" in bad.output
