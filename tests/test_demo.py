"""``ardvc demo``: the main job runs end to end on the embedded default and leaves a lab
whose every step is a commit, whose J came from the monitors and whose age is the truth
within its error."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from ardvc import Lab
from ardvc.demo import MARKER, DemoResult, run_demo
from ardvc.errors import UsageError
from ardvc.persist.simulator import Simulator
from ardvc.reduce.stats import ErrorKind

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, str]:
    out = io.StringIO()
    result = run_demo(tmp_path_factory.mktemp("demo") / "lab", console=Console(file=out, width=200))
    return result, out.getvalue()


def subjects(repo: Path) -> list[str]:
    log = subprocess.run(["git", "-C", str(repo), "log", "--format=%s"], check=True,
                         capture_output=True, text=True)  # fmt: skip
    return log.stdout.splitlines()


def test_every_step_is_a_commit(demo: tuple[DemoResult, str]) -> None:
    result, _ = demo
    data = subjects(result.root / "repositories" / "SimLab")
    tags = {s.split(">")[0] + ">" for s in data if s.startswith("<")}
    assert {"<COLLECTION>", "<ISOEVO>", "<BLANKS>", "<ICFactor>", "<IA>"} <= tags
    assert any(s.startswith("<BLANKS>.blanks") for s in data)  # the reduction, not collection
    assert any(s.startswith("<ICFactor>.icfactors") for s in data)
    assert data[0].startswith("<IA> added interpreted ages")
    meta = subjects(result.root / "MetaData")
    assert meta[0] == "fit flux for NM-999A"


def test_the_age_is_the_truth_within_its_error(demo: tuple[DemoResult, str]) -> None:
    result, text = demo
    g = result.groups
    assert g.plateau is not None and len(g.plateau.members) >= 3
    error = g.plateau.error(ErrorKind.MSEM, g.j_rel_error)
    # one seed: |z| < 3 fails with p ≈ 0.3 % if ages and errors are right
    assert abs(g.plateau.value - result.true_age) < 3 * error
    assert result.true_age == Simulator(seed=0).irradiation.unknowns[0].sample.age
    sim_j = Simulator(seed=0).irradiation.unknowns[0].j
    j = {r.j for r in result.reduction.results}
    assert len(j) == 1 and j != {0.0052}  # the flux fit's J, not the preliminary one
    (value,) = j
    err = result.reduction.results[0].j_err
    assert abs(value - sim_j) < 3.5 * err
    for label in ("plateau", "weighted mean", "inverse isochron", "integrated"):
        assert label in text
    assert f"{g.plateau.value:.4f}" in text


def test_interpreted_age_and_figures_are_written(demo: tuple[DemoResult, str]) -> None:
    result, _ = demo
    lab = Lab.open(result.root)
    repo = lab.repo("SimLab")
    path = f"reduction/{result.identifier[:3]}/ia/{result.identifier[3:]}_00000.ia.json"
    ia = json.loads(repo.git.read(path))
    assert result.groups.plateau is not None
    assert ia["preferred"]["ages"]["plateau_age"] == result.groups.plateau.value
    assert ia["preferred"]["age"] == result.groups.plateau.value  # plateau is preferred
    for figure in result.figures:
        data = figure.read_bytes()
        assert data.startswith(PNG) and len(data) > 20_000
    assert {f.name for f in result.figures} == {"age-spectrum.png", "isochron.png"}


def test_demo_replaces_only_its_own_lab(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("do not delete")
    with pytest.raises(UsageError, match="not empty"):
        run_demo(precious, console=Console(file=io.StringIO()))
    assert (precious / "notes.txt").read_text() == "do not delete"
    assert not (precious / MARKER).exists()
