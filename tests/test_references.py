"""Blanks and IC factors from references: real stored series, what the shared bundles can and
cannot reproduce, and writing on a lab built from the embedded Cornudas analysis."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from ardvc.api import Lab
from ardvc.cli.main import main
from ardvc.data import DataRepo
from ardvc.data.write import write_collection
from ardvc.demodata import cornudas_analysis
from ardvc.errors import ConcurrentUpdateError
from ardvc.gitstore import GitRepo, commit_files
from ardvc.reduce.interpolation import parse_series_fit, predict, relative_hours
from ardvc.reduction.gather import isotope_row
from ardvc.reduction.reference_files import commit_message, save_plan
from ardvc.reduction.reference_values import ICRatio, baseline_corrected
from ardvc.reduction.references import Selection, naive_to_seconds, plan_blanks, plan_icfactors

DENVER = ZoneInfo("America/Denver")

# --- the worked examples: references outside every bundle ---------------------------------


def _record_ids(git: Path) -> set[str]:
    """Record ids of every main file on every branch and commit of a bundle."""
    repo = DataRepo(GitRepo(git))
    ids = set()
    for branch in repo.git.branches():
        for analysis in repo.analyses(branch):
            ids.add(analysis.record_id)
    return ids


def test_worked_example_references_are_not_in_the_bundles(
    bundle_bare: Callable[[str], Path],
) -> None:
    """IR998 65761-05 (§15.2) and Cornudas 69421-02F (§16.2) name their references, but
    those blank, air and cocktail runs live in other repositories (Jan/Felix blank and air
    repositories) that are not among the shared bundles, so their blanks and IC factors
    cannot be recomputed from references. If a bundle ever carries them, this fails and the
    reproduction belongs here."""
    ir998 = DataRepo(GitRepo(bundle_bare("IR998"))).analysis(
        "65761-05", "6a4cdd742592f1cb382cff3c68719fd9c433f52a"
    )
    assert ir998.blanks is not None
    ar40 = ir998.blanks.entries["Ar40"]
    assert (ar40.fit, ar40.value, ar40.error) == (
        "Bracketing Interpolate",
        0.5483317240140169,
        0.005844537286571833,
    )
    assert ar40.reference_data is None
    named = {r.record_id for r in ar40.reference_list}
    assert len(named) == 17
    corn = DataRepo(GitRepo(bundle_bare("Cornudas"))).analysis(
        "d3f3b3a7-3cf5-4bb3-9c2d-f160f87397a9", "c919ed7dbc538568b0964e28896dd3fdbdc235ab"
    )
    assert corn.blanks is not None and corn.icfactors is not None
    assert len(corn.blanks.entries["Ar40"].reference_list) == 22
    h1 = corn.icfactors.entries["H1"]
    assert (h1.fit, h1.standard_ratio, h1.reference_data) == ("Bracketing Average", 6.71, None)
    for entry in (*corn.blanks.entries.values(), h1, corn.icfactors.entries["L2(CDD)"]):
        named |= {r.record_id for r in entry.reference_list if r.record_id}
    available = set().union(
        *(
            _record_ids(bundle_bare(b))
            for b in ("IR998", "Cornudas", "Felix_blank180", "FractionatedRes")
        )
    )
    assert len(named) == 17 + 22 + 24 + 42 and not named & available


def test_collection_copies_of_the_references_are_not_what_was_used(
    bundle_bare: Callable[[str], Path],
) -> None:
    """The only copies of Cornudas 02F's bracketing blanks in the bundles are the
    collection-time ``previous`` blanks of the unknowns run after them (bu-FD-F-2358 before
    02F, bu-FD-F-2359 after). Interpolating those gives a different time fraction for Ar40
    and Ar36, which one bracket cannot: the blank runs were refitted in their own repository
    before the 2022-01-27 reduction, so the stored 0.6930829851794664 ± 0.019319692414519356
    is not reproducible from these bundles."""
    repo = DataRepo(GitRepo(bundle_bare("Cornudas")))
    before = repo.analysis("d3f3b3a7-3cf5-4bb3-9c2d-f160f87397a9", "37f5daa")
    assert before.blanks is not None
    p = before.blanks.entries["Ar40"]
    assert p.fit == "previous" and p.reference_list[0].record_id == "bu-FD-F-2358"
    copies = {
        "Ar40": (
            (0.8810687697108798, 0.02410104311925428),
            (0.5143690901413432, 0.02442030178056919),
            0.6930829851794664,
            0.019319692414519356,
        ),
        "Ar36": (
            (0.00788941491040657, 0.00023387726261670533),
            (0.004103480385017548, 0.00020065912918909476),
            0.006004270653858827,
            9.782125280970668e-05,
        ),
    }
    assert (p.value, p.error) == copies["Ar40"][0]
    fractions = {}
    for iso, ((pv, pe), (av, ae), stored, stored_err) in copies.items():
        f = (stored - pv) / (av - pv)
        fractions[iso] = f
        implied = math.hypot((1 - f) * pe, f * ae)
        assert abs(implied / stored_err - 1) > 0.05  # the errors do not fit either
    assert abs(fractions["Ar40"] - fractions["Ar36"]) > 0.01


# --- writing on a lab built from the embedded Cornudas analysis --------------------------

T0 = datetime(2022, 1, 23, 6, 32, 49, 107282)  # 69421-02F
BLANK_TIMES = {2357: -150, 2358: -60, 2359: 40, 2360: 90, 2361: 180}  # minutes from 02F
OMIT = 2359
AIR_TIMES = {700: -120, 701: 100, 702: 200}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    root = tmp_path_factory.mktemp("refs-lab") / "lab"
    Lab.init(root)
    lab = Lab.open(root)
    author = lab.author()
    demo = lab.create_repository("Demo")
    write_collection(demo, cornudas_analysis(), author, single_commit=True)
    second = cornudas_analysis("0b9f1d4e-7c2a-4f3e-9a51-1d2c3b4a5f60")
    second.main.update(increment=6, timestamp=(T0 + timedelta(minutes=70)).isoformat())
    write_collection(demo, second, author, single_commit=True)
    refs = lab.create_repository("FelixBlanks")
    for n, (aliquot, minutes) in enumerate(sorted(BLANK_TIMES.items())):
        new = cornudas_analysis(f"5e1c0a7b-0000-4000-8000-{aliquot:012d}")
        new.main.update(
            analysis_type="blank_unknown",
            identifier="bu-FD-F",
            aliquot=aliquot,
            increment=None,
            timestamp=(T0 + timedelta(minutes=minutes)).isoformat(),
        )
        assert new.intercepts is not None and new.baselines is not None
        for iso, entry in new.intercepts.items():
            detector = new.main["isotopes"][iso]["detector"]
            base = new.baselines[detector]["value"]
            entry["value"] = base + 0.01 * (n + 1) * (
                1 + ["Ar36", "Ar37", "Ar38", "Ar39", "Ar40"].index(iso)
            )
            entry["error"] = 0.001 * (n + 1)
        if aliquot == OMIT:
            new.tags = {"name": "omit", "note": "", "subgroup": ""}
        write_collection(refs, new, author, single_commit=True)
    for n, (aliquot, minutes) in enumerate(sorted(AIR_TIMES.items())):
        new = cornudas_analysis(f"a1e00000-0000-4000-8000-{aliquot:012d}")
        new.main.update(
            analysis_type="air",
            identifier="a-03-F",
            aliquot=aliquot,
            increment=None,
            timestamp=(T0 + timedelta(minutes=minutes)).isoformat(),
        )
        assert new.intercepts is not None
        new.intercepts["Ar40"]["value"] *= 1 + 0.001 * n
        write_collection(refs, new, author, single_commit=True)
    return lab


def _raw(lab: Lab, name: str, modifier: str, rev: str | None = None) -> dict[str, object]:
    analysis = lab.repo("Demo").analysis(name, rev)
    data: dict[str, object] = json.loads(analysis.raw_bytes(modifier))
    return data


def test_blanks_plan_save_and_read_back(lab: Lab) -> None:
    repo = lab.repo("Demo")
    before = {n: _raw(lab, n, "blanks") for n in ("69421-02F", "69421-02G")}
    plan = plan_blanks(
        lab,
        repo,
        identifiers=["69421"],
        fit=parse_series_fit("Bracketing Interpolate"),
        isotopes=["Ar40"],
        fits={"Ar39": parse_series_fit("Weighted Mean_SD")},
    )
    assert not plan.problems and plan.references == 5
    assert len(plan.computed) == 4
    blanks = lab.repo("FelixBlanks")
    refs = {a: blanks.analysis(f"bu-FD-F-{a}") for a in BLANK_TIMES}
    secs = {a: naive_to_seconds(r.main.timestamp_dt, ZoneInfo("UTC")) for a, r in refs.items()}
    bs = {a: baseline_corrected(r, "Ar40") for a, r in refs.items()}
    got = {(c.record_id, c.key): c for c in plan.computed}
    # 02F between 2358 and 2360 (2359 omitted); 02G likewise
    for name, minutes in (("69421-02F", 0), ("69421-02G", 70)):
        t = math.floor(
            (T0 + timedelta(minutes=minutes)).replace(tzinfo=ZoneInfo("UTC")).timestamp()
        )
        f = (t - secs[2358]) / (secs[2360] - secs[2358])
        c = got[(name, "Ar40")]
        assert c.value == pytest.approx(bs[2358][0] + f * (bs[2360][0] - bs[2358][0]), rel=1e-13)
        assert c.error == pytest.approx(math.hypot((1 - f) * bs[2358][1], f * bs[2360][1]))
        assert c.used_record_ids == ("bu-FD-F-2358", "bu-FD-F-2360")
    ar39 = [baseline_corrected(refs[a], "Ar39") for a in sorted(BLANK_TIMES) if a != OMIT]
    wm = got[("69421-02F", "Ar39")]
    values = [v for v, _ in ar39]
    mean_w = sum(v / e**2 for v, e in ar39) / sum(1 / e**2 for _, e in ar39)
    sd = math.sqrt(sum((v - sum(values) / 4) ** 2 for v in values) / 3)
    assert (wm.value, wm.error) == (pytest.approx(mean_w, rel=1e-14), pytest.approx(sd, rel=1e-13))
    message = commit_message(plan)
    assert message == (
        "<BLANKS>.blanks auto update blanks, fits=Ar39(Weighted Mean_SD),"
        "Ar40(Bracketing Interpolate)"
    )
    result = save_plan(repo, plan, lab.author())
    commit = repo.git.resolve(result.commit)
    assert commit.message == message and len(result.written) == 2
    assert all("/blanks/" in p for p in result.written)
    for name in ("69421-02F", "69421-02G"):
        after = _raw(lab, name, "blanks")
        for iso in ("Ar36", "Ar37", "Ar38"):
            assert after[iso] == before[name][iso]  # untouched
        entry = after["Ar40"]
        assert isinstance(entry, dict)
        assert entry["fit"] == "Bracketing Interpolate" and entry["error_type"] == ""
        assert entry["reviewed"] is True
        assert [r["exclude"] for r in entry["references"]] == ["ok", "ok", "omit", "ok", "ok"]
        assert [r["record_id"] for r in entry["references"]] == [
            f"bu-FD-F-{a}" for a in sorted(BLANK_TIMES)
        ]
        assert entry["references"][0]["uuid"] == "5e1c0a7b-0000-4000-8000-000000002357"
        assert entry["ardvc"]["reference_types"] == ["blank_unknown"]
        assert entry["ardvc"]["window_hours"] == 48.0
        assert entry["ardvc"]["mass_spectrometer"] == "felix"
        assert entry["ardvc"]["used"] == ["bu-FD-F-2358", "bu-FD-F-2360"]
        assert len(entry["reference_data"]["xs"]) == 5
        assert after["Ar39"]["fit"] == "Weighted Mean_SD"  # type: ignore[index]
        assert after["Ar39"]["error_type"] == "SD"  # type: ignore[index]
    analysis = repo.analysis("69421-02F")
    row = isotope_row(analysis, "Ar40")
    assert (row["blank"], row["blank_err"]) == (
        got[("69421-02F", "Ar40")].value,
        got[("69421-02F", "Ar40")].error,
    )
    assert analysis.blanks is not None
    stored = analysis.blanks.entries["Ar40"]
    assert stored.effective_error_type is None and stored.fit_name == "bracketing interpolate"
    assert [r.excluded for r in stored.reference_list] == [False, False, True, False, False]
    # the stored series alone gives the value again
    data = stored.reference_data
    assert data is not None
    x_refs, x_unknown = relative_hours(
        data.xs, [naive_to_seconds(analysis.main.timestamp_dt, ZoneInfo("UTC"))]
    )
    again = predict(
        stored.fit or "",
        x_refs,
        data.vs,
        data.es,
        [r.excluded for r in stored.reference_list],
        x_unknown,
    )
    assert again.value[0] == stored.value


def test_icfactors_plan_and_save(lab: Lab) -> None:
    repo = lab.repo("Demo")
    before = _raw(lab, "69421-02F", "icfactors")
    ratio = ICRatio.parse("H2/L2(CDD)", 295.5)
    plan = plan_icfactors(lab, repo, ["69421-02F"], fit=parse_series_fit("Average"), ratio=ratio)
    assert not plan.problems and plan.references == 3
    (computed,) = plan.computed
    airs = [lab.repo("FelixBlanks").analysis(f"a-03-F-{a}") for a in sorted(AIR_TIMES)]
    ratios = []
    for air in airs:
        n = isotope_row(air, "Ar40")
        d = isotope_row(air, "Ar36")
        ratios.append(
            (n["intercept"] - n["baseline"] - n["blank"])
            / (d["intercept"] - d["baseline"] - d["blank"])
            / 295.5
        )
    mean = sum(ratios) / 3
    sd = math.sqrt(sum((r - mean) ** 2 for r in ratios) / 2)
    assert computed.key == "L2(CDD)" and computed.fit.name == "Average_SD"
    assert computed.value == pytest.approx(mean, rel=1e-13)
    assert computed.error == pytest.approx(sd, rel=1e-9)
    assert commit_message(plan) == (
        "<ICFactor>.icfactors auto update ic_factors, fits=L2(CDD)(Average)"
    )
    result = save_plan(repo, plan, lab.author())
    assert result.commit is not None
    after = _raw(lab, "69421-02F", "icfactors")
    for key in ("AX", "H1", "H2", "L1"):
        assert after[key] == before[key]
    entry = after["L2(CDD)"]
    assert isinstance(entry, dict)
    assert (entry["fit"], entry["error_type"], entry["standard_ratio"]) == ("Average", "SD", 295.5)
    assert entry["reference_detector"] == "H2" and entry["ardvc"]["ratio"] == "H2/L2(CDD)"
    assert entry["ardvc"]["reference_types"] == ["air"]
    row = isotope_row(repo.analysis("69421-02F"), "Ar36")
    assert (row["ic"], row["ic_err"]) == (computed.value, computed.error)


def test_save_refuses_a_moved_branch(lab: Lab) -> None:
    repo = lab.repo("Demo")
    plan = plan_blanks(
        lab, repo, ["69421-02F"], fit=parse_series_fit("Preceding"), isotopes=["Ar36"]
    )
    commit_files(repo.git, {"notes.txt": b"moved"}, "<MANUAL> a note", lab.author())
    with pytest.raises(ConcurrentUpdateError, match="nothing was written"):
        save_plan(repo, plan, lab.author())


def test_problems_are_reported(lab: Lab) -> None:
    repo = lab.repo("Demo")
    narrow = Selection(window_hours=0.5)
    plan = plan_blanks(
        lab, repo, ["69421-02F"], fit=parse_series_fit("Preceding"), selection=narrow
    )
    assert not plan.computed and plan.problems and "no blank_unknown references" in plan.problems[0]
    plan = plan_blanks(
        lab,
        repo,
        ["69421-02F"],
        fit=parse_series_fit("Parabolic"),
        isotopes=["Ar40"],
        selection=Selection(window_hours=1.6),
    )
    assert not plan.computed and "at least 4 usable references" in plan.problems[0]


def test_cli_blanks_and_icfactors(lab: Lab) -> None:
    runner = CliRunner()
    base = ["--root", str(lab.root)]
    head = lab.repo("Demo").git.head_id()
    shown = runner.invoke(
        main,
        [
            *base,
            "blanks",
            "--repo",
            "Demo",
            "69421-02F",
            "--kind",
            "Bracketing Interpolate",
            "--isotope",
            "Ar40",
        ],
    )
    assert shown.exit_code == 0, shown.output
    assert "69421-02F" in shown.output and "bu-FD-F-2358, bu-FD-F-2360" in shown.output
    assert "nothing written" in shown.output and lab.repo("Demo").git.head_id() == head
    bad = runner.invoke(main, [*base, "blanks", "--repo", "Demo", "--kind", "Interpolated"])
    assert bad.exit_code == 2 and "unknown blank/IC-factor fit" in bad.output
    saved = runner.invoke(
        main,
        [
            *base,
            "icfactors",
            "--repo",
            "Demo",
            "--identifier",
            "69421",
            "--ratio",
            "H2/L2(CDD)",
            "--kind",
            "Weighted Mean",
            "--save",
        ],
    )
    assert saved.exit_code == 0, saved.output
    new_head = lab.repo("Demo").git.resolve()
    assert saved.output.count("committed " + str(new_head.id)) == 1
    assert (
        new_head.message
        == "<ICFactor>.icfactors auto update ic_factors, fits=L2(CDD)(Weighted Mean)"
    )
