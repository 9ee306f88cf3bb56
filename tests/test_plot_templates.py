"""Plot templates in .ardvc/plots/ (written by init, editable, read on every plot), the
ideogram and the isotope-evolution figure, on Cornudas 69421 (CORN-805)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.image import imread
from matplotlib.patches import Rectangle

from ardvc.api import Lab
from ardvc.errors import ConfigError
from ardvc.reduction.evolution import evolutions
from ardvc.reduction.groups import group_values
from ardvc.reduction.sample import SampleReport
from ardvc.report import age_spectrum, inverse_isochron
from ardvc.report.evolution import evolution_figure
from ardvc.report.ideogram import ideogram, probability_density
from ardvc.report.templates import KINDS, default_text, load_template, parse_template
from lab_from_bundles import CORNUDAS_IA, META_2022, make_lab

ARDVC = str(Path(sys.executable).with_name("ardvc"))


def test_init_writes_every_template_with_the_defaults(tmp_path: Path) -> None:
    result = Lab.init(tmp_path / "lab")
    plots = result.workspace.plots_dir
    assert sorted(p.name for p in plots.iterdir()) == sorted(f"{k}.toml" for k in KINDS)
    for kind in KINDS:
        data = tomllib.loads((plots / f"{kind}.toml").read_text())
        assert parse_template(kind, data, "x") == parse_template(kind, {}, "x")
        assert (plots / f"{kind}.toml").read_text() == default_text(kind)


def test_missing_templates_are_written_on_first_use(tmp_path: Path) -> None:
    plots = tmp_path / "plots"
    plots.mkdir()
    (plots / "isochron.toml").write_text("[figure]\nwidth = 5.5\n")
    assert load_template(plots, "isochron").width == 5.5  # an existing file is never replaced
    assert load_template(plots, "ideogram").height == 4.8
    assert sorted(p.name for p in plots.iterdir()) == sorted(f"{k}.toml" for k in KINDS)
    assert (plots / "isochron.toml").read_text() == "[figure]\nwidth = 5.5\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[figure]\nwidht = 3\n", "unknown key figure.widht"),
        ("[colour]\nkept = 'red'\n", r"unknown section \[colour\]"),
        ("[colours]\nkept = 'not-a-colour'\n", "colours.kept = 'not-a-colour' is not a colour"),
        ("[figure]\nwidth = 'wide'\n", "figure.width must be float"),
        ("[figure]\ndpi = 2.5\n", "figure.dpi must be int"),
        ("[errors]\nsigma = -1\n", "errors.sigma must be a positive number"),
        ("[figure\n", "invalid TOML"),
    ],
)
def test_bad_templates_are_refused_naming_file_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "age_spectrum.toml").write_text(text)
    with pytest.raises(ConfigError, match=message) as raised:
        load_template(tmp_path, "age_spectrum")
    assert "age_spectrum.toml" in str(raised.value)


@pytest.fixture(scope="module")
def lab(bundle_bare: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return make_lab(bundle_bare, tmp_path_factory.mktemp("plots") / "lab")


@pytest.fixture(scope="module")
def report(lab: Lab) -> SampleReport:
    return lab.sample("Cornudas", "69421", at=CORNUDAS_IA, meta_at=META_2022)


def edit(lab: Lab, kind: str, section: str, key: str, value: str) -> None:
    """Change one line of a template as a user would, in a text editor."""
    path = lab.workspace.plots_dir / f"{kind}.toml"
    lines = path.read_text().splitlines()
    start = lines.index(next(line for line in lines if line.startswith(f"[{section}]")))
    at = next(i for i in range(start, len(lines)) if lines[i].startswith(f"{key} ="))
    lines[at] = f"{key} = {value}"
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.shared
def test_an_edited_template_changes_the_figure(lab: Lab, report: SampleReport) -> None:
    groups = report.require_groups()
    before = age_spectrum(report.reduction, groups, style=lab.plot_style("age_spectrum"))
    assert tuple(before.get_size_inches()) == (7.0, 6.2)
    edit(lab, "age_spectrum", "colours", "kept", '"#ff0000"')
    edit(lab, "age_spectrum", "figure", "width", "4.5")
    edit(lab, "age_spectrum", "errors", "sigma", "1.0")
    edit(lab, "age_spectrum", "options", "kca_panel", "false")
    style = lab.plot_style("age_spectrum")
    fig = age_spectrum(report.reduction, groups, style=style)
    assert tuple(fig.get_size_inches()) == (4.5, 6.2)
    assert [a.get_gid() for a in fig.axes] == ["spectrum"]  # the K/Ca panel switched off
    ax = fig.axes[0]
    boxes = {str(p.get_gid()): p for p in ax.patches if isinstance(p, Rectangle)}
    members = {groups.steps[k] for k in groups.plateau.members} if groups.plateau else set()
    for i in groups.steps:
        r = report.reduction.results[i]
        box = boxes[f"step:{r.record_id}"]
        assert box.get_height() == pytest.approx(2 * 1.0 * r.age_err, rel=1e-12)  # 1σ now
        if i not in members:
            assert box.get_facecolor() == to_rgba("#ff0000")
    assert "age ± 1σ, without J error" in "\n".join(
        t.get_text() for t in ax.get_legend().get_texts()
    )


@pytest.mark.shared
def test_ardvc_plot_uses_the_template(lab: Lab, tmp_path: Path) -> None:
    edit(lab, "isochron", "figure", "width", "4.0")
    edit(lab, "isochron", "figure", "height", "3.0")
    edit(lab, "isochron", "figure", "dpi", "50")
    out = tmp_path / "iso.png"
    done = subprocess.run(
        [ARDVC, "--root", str(lab.root), "plot", "isochron", "--repo", "Cornudas",
         "--identifier", "69421", "--at", CORNUDAS_IA, "--meta-at", META_2022, "-o", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "isochron.toml" in done.stdout
    assert imread(out).shape[:2] == (150, 200)  # 3 × 4 inches at 50 dpi


@pytest.mark.shared
def test_isochron_template_colours(lab: Lab, report: SampleReport) -> None:
    edit(lab, "isochron", "colours", "fit", '"green"')
    fig = inverse_isochron(report.reduction, report.require_groups(),
                           style=lab.plot_style("isochron"))  # fmt: skip
    york = next(ln for ln in fig.axes[0].lines if ln.get_gid() == "york")
    assert york.get_color() == "green"


@pytest.mark.shared
def test_ideogram_curve_is_the_sum_of_the_age_densities(report: SampleReport) -> None:
    tagged = dataclasses.replace(report.reduction, results=[
        dataclasses.replace(r, tag="omit") if i == 0 else r
        for i, r in enumerate(report.reduction.results)
    ])  # fmt: skip
    groups = group_values(tagged)
    fig = ideogram(tagged, groups)
    top = next(a for a in fig.axes if a.get_gid() == "ideogram")
    line = next(ln for ln in top.lines if ln.get_gid() == "density")
    x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
    kept = [r for i, r in enumerate(tagged.results) if i != 0]
    # computed here, independently: Σ exp(-z²/2)/(σ√2π)
    expected = sum(
        np.exp(-0.5 * ((x - r.age) / r.age_err) ** 2) / (r.age_err * np.sqrt(2 * np.pi))
        for r in kept
    )
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    ages, errors = [r.age for r in kept], [r.age_err for r in kept]
    np.testing.assert_allclose(probability_density(ages, errors, x), expected, rtol=1e-12)
    for age in ages:  # every peak is resolved: the curve has points at each kept age's ±σ
        assert np.any(np.abs(x - age) < 0.26 * min(errors))
    area = float(np.sum((y[1:] + y[:-1]) / 2 * np.diff(x)))
    assert area == pytest.approx(9, rel=2e-3)  # one unit per kept age; step A is omitted
    mean = next(ln for ln in top.lines if ln.get_gid() == "mean")
    assert mean.get_xdata()[0] == pytest.approx(groups.weighted.value, rel=1e-12)
    ranked = next(a for a in fig.axes if a.get_gid() == "ranked")
    assert len([c for c in ranked.containers]) == 10  # every step, the omitted one in grey


@pytest.mark.shared
def test_evolutions_refit_the_stored_intercepts_and_draw_their_points(lab: Lab) -> None:
    analysis = lab.analysis("69421-02F", repo="Cornudas", rev=CORNUDAS_IA)
    evs = evolutions(analysis)
    intercepts = analysis.intercepts
    assert intercepts is not None
    signals = [e for e in evs if e.series == "signal"]
    assert [e.key for e in signals] == list(intercepts.populated())
    for ev in signals:
        stored = intercepts.populated()[ev.key]
        assert ev.problem is None
        assert ev.value == pytest.approx(stored.value, rel=1e-8)
        assert set(ev.outliers) == set(stored.outlier_excluded or [])
        assert ev.n == stored.n and ev.fn == stored.fn
        assert ev.fit_t[0] == 0.0 and ev.fit_y[0] == pytest.approx(ev.value, rel=1e-12)
    fig = evolution_figure(evs, title="02F", style=lab.plot_style("evolution"))
    panels = {a.get_gid(): a for a in fig.axes if a.get_visible()}
    assert len(panels) == len(evs)  # show_baselines = true by default
    for ev in evs:
        ax = panels[f"evolution:{ev.label}"]
        kept = next(ln for ln in ax.lines if ln.get_gid() == "kept")
        assert len(kept.get_xdata()) == ev.t.size - len(ev.excluded)
        if ev.outliers:
            outliers = next(ln for ln in ax.lines if ln.get_gid() == "outliers")
            np.testing.assert_array_equal(outliers.get_xdata(), ev.t[list(ev.outliers)])
