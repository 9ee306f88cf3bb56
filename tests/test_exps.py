"""``ardvc exp``: what-if reductions on a clone of Cornudas that leave every ref of the lab
unchanged, and whose applied results reduce to exactly the experiment's ages."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from ardvc.api import Lab
from ardvc.cli.main import main
from ardvc.errors import AnalysisNotFoundError, ConcurrentUpdateError, UsageError
from ardvc.exps import ApplyOptions, ExperimentRequest
from ardvc.gitstore import commit_files
from ardvc.reduction.ia_save import read_ia
from test_fit_save import clone

pytestmark = pytest.mark.shared
Bundles = Callable[[str], Path]
SETS = ("fit.Ar40=linear", "trapped_error=false", "timezone=America/Denver")
REDUCE_SETS = ["trapped_error=false", "timezone=America/Denver"]


def git(path: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=path, check=True, capture_output=True, text=True)
    return done.stdout


def lab_state(lab: Lab) -> dict[str, str]:
    """Every ref, HEAD and working-tree status of every repository of the lab."""
    out = {}
    for repo in [lab.root / "MetaData", *lab.workspace.repositories_dir.iterdir()]:
        out[f"{repo.name} refs"] = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
        out[f"{repo.name} HEAD"] = git(repo, "symbolic-ref", "HEAD") + git(
            repo, "rev-parse", "HEAD"
        )
        out[f"{repo.name} status"] = git(repo, "status", "--porcelain")
    return out


def cli(lab: Lab, *args: str) -> str:
    result = CliRunner().invoke(main, ["--root", str(lab.root), *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def lab(bundle_bare: Bundles, tmp_path: Path) -> Lab:
    root = tmp_path / "lab"
    clone(bundle_bare, "MetaData", root / "MetaData")
    clone(bundle_bare, "Cornudas", root / "repositories" / "Cornudas")
    Lab.adopt_pychron(root)
    return Lab.open(root)


def test_experiment_isolated_and_apply_equals_reduce(lab: Lab) -> None:
    before = lab_state(lab)
    current = {
        r.record_id: r
        for r in lab.reduce("Cornudas", identifiers=["69421"], settings=REDUCE_SETS).results
    }
    cli(
        lab,
        "exp",
        "run",
        "--name",
        "lin40",
        "--repo",
        "Cornudas",
        "--identifier",
        "69421",
        *(f"--set={s}" for s in SETS),
    )
    shown = json.loads(cli(lab, "exp", "show", "lin40", "--json"))
    cli(lab, "exp", "list")
    assert lab_state(lab) == before  # run, show and list changed no ref, HEAD or file
    experiment = lab.experiments.load("lin40")
    assert experiment.requested == list(SETS) and len(experiment.results) == 10
    # its refits are commits of its own repository, not objects of the lab's
    own = lab.experiments.repo_path("lin40", "Cornudas")
    log = git(own, "log", "--format=%H %s", "-2", "experiment").splitlines()
    assert [line.split(" ", 1)[1].split(" ")[0] for line in log] == [
        "<ISOEVO>.baselines",
        "<ISOEVO>.intercepts",
    ]
    lab_repo = lab.workspace.repository_dir("Cornudas")
    for line in log:
        missing = subprocess.run(["git", "cat-file", "-e", line.split()[0]], cwd=lab_repo)
        assert missing.returncode != 0
    ages = {r["record_id"]: r for r in experiment.results}
    assert all(ages[k]["age"] != current[k].age for k in current)  # a real change
    assert {r["record_id"] for r in shown["rows"]} == set(ages)
    row = next(r for r in shown["rows"] if r["record_id"] == "69421-02F")
    assert row["age"] == ages["69421-02F"]["age"] and row["delta"] == pytest.approx(
        ages["69421-02F"]["age"] - row["current_age"], abs=0
    )

    # the lab moves on elsewhere (another sample): the experiment still applies
    other = next(a for a in lab.repo("Cornudas").analyses() if a.main.identifier != "69421")
    tag = f"reduction/{other.name[:2]}/tags/{other.name[2:]}.tags.json"
    commit_files(lab.repo("Cornudas").git, {tag: b'{"name": "omit"}'}, "<TAG> omit", lab.author())
    applied = lab.apply_experiment("lin40", ApplyOptions(ia=True))
    messages = [lab.repo("Cornudas").git.resolve(c).message for c in applied.commits]
    assert [m.split(" ")[0] for m in messages] == [
        "<ISOEVO>.intercepts",
        "<ISOEVO>.baselines",
        "<IA>",
    ]
    # ardvc reduce with the same settings gives the experiment's ages, exactly
    after = lab.reduce("Cornudas", identifiers=["69421"], settings=REDUCE_SETS).results
    assert {r.record_id: (r.age, r.age_err, r.kca) for r in after} == {
        k: (v["age"], v["age_err"], v["kca"]) for k, v in ages.items()
    }
    ia = read_ia(lab.repo("Cornudas"), "69421", 1)
    assert {a.record_id: a.age for a in ia.analyses} == {k: v["age"] for k, v in ages.items()}
    assert applied.ia_paths == ["reduction/694/ia/21_00001.ia.json"]
    # applying again is refused: the analyses are no longer what the experiment started from
    head = lab.repo("Cornudas").git.head_id()
    with pytest.raises(ConcurrentUpdateError, match=r"changed .* since the experiment ran"):
        lab.apply_experiment("lin40")
    assert lab.repo("Cornudas").git.head_id() == head
    cli(lab, "exp", "remove", "lin40")
    assert not lab.experiments.path("lin40").exists()


def test_settings_only_experiment_and_bad_requests(lab: Lab) -> None:
    before = lab_state(lab)
    request = ExperimentRequest(
        name="old", repo="Cornudas", names=["69421-02F"], sets=["conventions=pychron-2018"]
    )
    experiment = lab.run_experiment(request)
    assert experiment.commits == [] and experiment.conventions == "pychron-2022"
    (result,) = experiment.results
    old = lab.reduce("Cornudas", ["69421-02F"], settings=["conventions=pychron-2018"]).results[0]
    assert (result["age"], result["age_err"]) == (old.age, old.age_err)
    assert not experiment.from_run_cache
    # the same reduction again (another name): a run-cache lookup with the same ages
    again = lab.run_experiment(dataclasses.replace(request, name="again"))
    assert again.from_run_cache and again.results == experiment.results
    lab.experiments.remove("again")
    with pytest.raises(UsageError, match="nothing to commit but an interpreted age"):
        lab.apply_experiment("old")
    with pytest.raises(UsageError, match="exists already"):
        lab.run_experiment(request)
    with pytest.raises(UsageError):
        lab.run_experiment(
            ExperimentRequest(name="bad", repo="Cornudas", sets=["fit.Ar40=sideways"])
        )
    with pytest.raises(AnalysisNotFoundError, match="selection is empty"):
        lab.run_experiment(ExperimentRequest(name="none", repo="Cornudas", identifiers=["99999"]))
    assert sorted(p.name for p in lab.experiments.folder.iterdir()) == ["old"]  # no leftovers
    assert lab_state(lab) == before
