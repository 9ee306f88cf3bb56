"""Figures of a real sample (Cornudas 69421, CORN-805, 10 steps, plateau F–J), checked by
reading the drawn artists back and comparing them with values computed here from the
reduction's arrays — not with the plotting helpers' own arithmetic."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse, Rectangle

from ardvc.data import DataRepo
from ardvc.errors import UsageError
from ardvc.gitstore import GitRepo
from ardvc.meta import MetaRepo
from ardvc.reduce.conventions import PYCHRON_2022
from ardvc.reduction.groups import GroupValues, group_values
from ardvc.reduction.run import Reduction, reduce_analyses
from ardvc.reduction.select import select_analyses
from ardvc.report import age_spectrum, inverse_isochron, save

pytestmark = pytest.mark.shared
CORNUDAS_IA = "c919ed7dbc538568b0964e28896dd3fdbdc235ab"
META_2022 = "20d8fab7220fa66144f756d421809c0dc1ef0bcf"
STEPS = "ABCDEFGHIJ"


@pytest.fixture(scope="module")
def cornudas(bundle_bare: Callable[[str], Path]) -> Reduction:
    data = DataRepo(GitRepo(bundle_bare("Cornudas")))
    meta = MetaRepo(GitRepo(bundle_bare("MetaData")))
    analyses = select_analyses(data, CORNUDAS_IA, identifiers=["69421"], types=None)
    conventions = PYCHRON_2022.updated(timezone="America/Denver")
    return reduce_analyses(
        analyses, meta, meta_rev=META_2022, conventions=conventions, repos={"Cornudas": data}
    )


def with_tags(reduction: Reduction, tags: dict[int, str]) -> Reduction:
    """The same reduction with some steps tagged (as an analyst omits them)."""
    results = [
        dataclasses.replace(r, tag=tags[i]) if i in tags else r
        for i, r in enumerate(reduction.results)
    ]
    return dataclasses.replace(reduction, results=results)


def axes(fig: Figure, gid: str) -> Axes:
    return next(ax for ax in fig.axes if ax.get_gid() == gid)


def patches(ax: Axes, prefix: str, kind: type[Rectangle] | type[Ellipse]) -> dict[str, object]:
    return {
        str(p.get_gid()).split(":", 1)[1]: p
        for p in ax.patches
        if isinstance(p, kind) and str(p.get_gid()).startswith(prefix)
    }


def line(ax: Axes, gid: str) -> Line2D:
    return next(ln for ln in ax.lines if ln.get_gid() == gid)


def legend_text(ax: Axes) -> str:
    legend = ax.get_legend()
    assert legend is not None
    return "\n".join(t.get_text() for t in legend.get_texts())


def cumulative_percent(reduction: Reduction) -> np.ndarray:
    chain = reduction.chain
    assert chain is not None
    k39 = chain.k39.value[reduction.rows]
    return 100 * np.concatenate(([0.0], np.cumsum(k39))) / k39.sum()


def test_the_sample_is_the_documented_one(cornudas: Reduction) -> None:
    ids = [r.record_id for r in cornudas.results]
    assert ids == [f"69421-02{s}" for s in STEPS]
    groups = group_values(cornudas)
    assert groups.plateau is not None
    assert (groups.plateau.start, groups.plateau.end) == (5, 9)  # F–J
    assert round(groups.plateau.value, 2) == 31.92


@pytest.mark.parametrize("sigma", [2.0, 1.0])
def test_spectrum_boxes_are_k39_fractions_and_ages(cornudas: Reduction, sigma: float) -> None:
    fig = age_spectrum(cornudas, group_values(cornudas), sigma=sigma)
    boxes = patches(axes(fig, "spectrum"), "step:", Rectangle)
    assert list(boxes) == [r.record_id for r in cornudas.results]
    edges = cumulative_percent(cornudas)
    assert edges[-1] == pytest.approx(100.0)
    for k, r in enumerate(cornudas.results):
        box = boxes[r.record_id]
        assert isinstance(box, Rectangle)
        assert box.get_x() == pytest.approx(edges[k], abs=1e-12)
        assert box.get_x() + box.get_width() == pytest.approx(edges[k + 1], abs=1e-12)
        assert box.get_y() == pytest.approx(r.age - sigma * r.age_err, rel=1e-12)
        assert box.get_y() + box.get_height() == pytest.approx(r.age + sigma * r.age_err, rel=1e-12)
        assert box.get_hatch() is None
    kca = patches(axes(fig, "kca"), "kca:", Rectangle)
    for k, r in enumerate(cornudas.results):
        box = kca[r.record_id]
        assert isinstance(box, Rectangle)
        assert box.get_x() == pytest.approx(edges[k], abs=1e-12)
        assert box.get_y() + box.get_height() / 2 == pytest.approx(r.kca, rel=1e-12)
        assert box.get_height() == pytest.approx(2 * sigma * r.kca_err, rel=1e-12)


def test_plateau_bar_spans_the_plateau_steps_at_the_plateau_age(cornudas: Reduction) -> None:
    groups = group_values(cornudas)
    p = groups.plateau
    assert p is not None
    fig = age_spectrum(cornudas, groups, kca=False)
    assert [a.get_gid() for a in fig.axes] == ["spectrum"]  # no K/Ca panel
    ax = axes(fig, "spectrum")
    bar = line(ax, "plateau")
    edges = cumulative_percent(cornudas)
    np.testing.assert_allclose(bar.get_xdata(), [edges[5], edges[10]], atol=1e-12)  # F..J
    np.testing.assert_allclose(bar.get_ydata(), [p.value, p.value], rtol=0)
    # the label states the error: 2σ of SEM·√MSWD (MSWD 2.56 > 1), J excluded
    err = 2 * p.sem * math.sqrt(p.mswd)
    text = legend_text(ax)
    assert f"Plateau {p.value:.3f} ± {err:.3f} Ma (2σ, SEM·√MSWD, without J;" in text
    assert f"MSWD = {p.mswd:.2f}, n = 5 steps (F–J)" in text
    assert "age ± 2σ, without J error" in text


def test_omitted_steps_are_drawn_differently(cornudas: Reduction) -> None:
    tagged = with_tags(cornudas, {0: "invalid", 7: "omit"})
    fig = age_spectrum(tagged, group_values(tagged))
    for prefix, gid in (("step:", "spectrum"), ("kca:", "kca")):
        boxes = patches(axes(fig, gid), prefix, Rectangle)
        for k, r in enumerate(tagged.results):
            box = boxes[r.record_id]
            assert isinstance(box, Rectangle)
            assert (box.get_hatch() is not None) == (k in (0, 7)), r.record_id
    assert "omitted (tag)" in legend_text(axes(fig, "spectrum"))


def isochron_inputs(reduction: Reduction) -> tuple[np.ndarray, ...]:
    """x = 39Ar_K/(40Ar − 40Ar_K), y = 36Ar_atm/(40Ar − 40Ar_K) straight from the engine's
    arrays, with 1σ and Pychron's ρ from the relative errors."""
    chain = reduction.chain
    assert chain is not None
    rows = np.array(reduction.rows)
    a40 = chain.intensities["Ar40"][rows] - chain.k40[rows]
    k39, a36 = chain.k39[rows], chain.atmospheric.atm36[rows]
    x, y = k39 / a40, a36 / a40
    f40, f36, f39 = a40.std / a40.value, a36.std / a36.value, k39.std / k39.value
    rho = 1 / np.sqrt((1 + (f36 / f40) ** 2) * (1 + (f39 / f40) ** 2))
    return x.value, x.std, y.value, y.std, rho


def ellipse_moments(e: Ellipse) -> tuple[float, float, float]:
    """(half x extent, half y extent, ρ) of a drawn ellipse, from its axes and angle."""
    a, b = e.width / 2, e.height / 2
    t = math.radians(e.angle)
    m = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    cov = m @ np.diag([a * a, b * b]) @ m.T
    return math.sqrt(cov[0, 0]), math.sqrt(cov[1, 1]), cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1])


def test_isochron_points_are_the_engine_ratios(cornudas: Reduction) -> None:
    x, sx, y, sy, rho = isochron_inputs(cornudas)
    groups = group_values(cornudas)
    ax = axes(inverse_isochron(cornudas, groups, sigma=2), "isochron")
    drawn = patches(ax, "point:", Ellipse)
    assert list(drawn) == [r.record_id for r in cornudas.results]
    for k, e in enumerate(drawn.values()):
        assert isinstance(e, Ellipse)
        assert e.center[0] == pytest.approx(x[k], rel=1e-12)
        assert e.center[1] == pytest.approx(y[k], rel=1e-12)
        hx, hy, r = ellipse_moments(e)
        assert hx == pytest.approx(2 * sx[k], rel=1e-9)
        assert hy == pytest.approx(2 * sy[k], rel=1e-9)
        assert r == pytest.approx(rho[k], rel=1e-6, abs=1e-9)
        assert e.get_linestyle() == "-"


def test_isochron_line_passes_through_the_fitted_intercepts(cornudas: Reduction) -> None:
    groups = group_values(cornudas)
    iso, age = groups.isochron_fit, groups.isochron
    assert iso is not None and age is not None
    ax = axes(inverse_isochron(cornudas, groups), "isochron")
    york = line(ax, "york")
    xs, ys = np.asarray(york.get_xdata(), float), np.asarray(york.get_ydata(), float)
    assert xs[0] == 0.0
    assert ys[0] == pytest.approx(iso.fit.intercept, rel=1e-12)
    assert 1 / ys[0] == pytest.approx(iso.trapped_4036, rel=1e-12)
    assert (ys[1] - ys[0]) / (xs[1] - xs[0]) == pytest.approx(iso.fit.slope, rel=1e-9)
    assert ys[1] == pytest.approx(0.0, abs=1e-12)  # drawn to the x axis
    atm = line(ax, "atmosphere")
    assert list(atm.get_xdata()) == [0.0]
    assert list(atm.get_ydata()) == [pytest.approx(1 / cornudas.constants.atmosphere.atm4036)]
    text = legend_text(ax)
    assert f"Isochron age {age.value:.3f} ± {2 * age.error_with_j:.3f} Ma (2σ, with J;" in text
    assert f"MSWD = {iso.mswd:.2f}, n = 10 of 10 steps" in text
    assert "= 277.0 ± 1.3 (2σ)" in text  # trapped 40/36, 1σ 0.63


def test_isochron_distinguishes_omitted_points(cornudas: Reduction) -> None:
    tagged = with_tags(cornudas, {0: "invalid", 7: "omit"})
    groups = group_values(tagged)
    assert groups.isochron_fit is not None
    assert len(groups.isochron_fit.members) == 8
    ax = axes(inverse_isochron(tagged, groups), "isochron")
    drawn = patches(ax, "point:", Ellipse)
    x, _, y, _, _ = isochron_inputs(tagged)
    for k, e in enumerate(drawn.values()):
        assert isinstance(e, Ellipse)
        assert e.center == pytest.approx((x[k], y[k]), rel=1e-12)
        assert (e.get_linestyle() == "--") == (k in (0, 7))
    assert "n = 8 of 10 steps" in legend_text(ax)


MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-", ".svg": b"<?xml"}


def test_save_writes_each_format_atomically(cornudas: Reduction, tmp_path: Path) -> None:
    """The Cornudas figures are left in tmp_path as the test's artifacts."""
    groups = group_values(cornudas)
    figures: dict[str, Figure] = {
        "spectrum": age_spectrum(cornudas, groups, title="CORN-805 (69421)"),
        "isochron": inverse_isochron(cornudas, groups, title="CORN-805 (69421)"),
    }
    for name, fig in figures.items():
        for suffix, magic in MAGIC.items():
            path = save(fig, tmp_path / f"{name}{suffix}", dpi=100)
            assert path.read_bytes().startswith(magic)
        assert b"<svg" in (tmp_path / f"{name}.svg").read_bytes()[:2000]
    save(figures["spectrum"], tmp_path / "upper.PNG", dpi=50)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{n}{s}" for n in figures for s in MAGIC] + ["upper.PNG"]
    )  # no temp files left behind
    assert (tmp_path / "spectrum.png").stat().st_size > 10_000


def test_save_refuses_unknown_suffixes(cornudas: Reduction, tmp_path: Path) -> None:
    fig = inverse_isochron(cornudas, group_values(cornudas))
    for name in ("figure.jpg", "figure", "figure.png.txt"):
        with pytest.raises(UsageError, match="cannot write a figure as") as raised:
            save(fig, tmp_path / name)
        assert raised.value.hint == "name the file .png, .pdf or .svg"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sigma", [0.0, -1.0, math.nan])
def test_sigma_must_be_positive(cornudas: Reduction, sigma: float) -> None:
    groups: GroupValues = group_values(cornudas)
    with pytest.raises(UsageError):
        age_spectrum(cornudas, groups, sigma=sigma)
    with pytest.raises(UsageError):
        inverse_isochron(cornudas, groups, sigma=sigma)
