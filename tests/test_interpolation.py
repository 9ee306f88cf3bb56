"""Blank/IC-factor series (reduction-math.md §11) on hand-made series: every interpolation
kind with excluded references and outside the series, and the fits against direct NumPy
computations; then the real series Pychron stored with its IC factors (``reference_data``
of SwansonB and Cornudas) through the same code."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pygit2
import pytest

from ardvc.data import Analysis, DataRepo
from ardvc.errors import MissingInputError, UsageError
from ardvc.formats.references import ReferenceEntry
from ardvc.gitstore import GitRepo
from ardvc.reduce.interpolation import (
    SeriesFit,
    SeriesKind,
    UnsupportedSeriesError,
    parse_series_fit,
    predict,
    relative_hours,
)
from ardvc.reduce.stats import ErrorKind
from ardvc.reduction.references import naive_to_seconds

DENVER = ZoneInfo("America/Denver")

X = np.array([-10.0, -8.0, -5.0, -2.0, 0.0])
Y = np.array([1.0, 2.0, 4.0, 3.0, 5.0])
S = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
NONE = np.zeros(5, dtype=bool)


def test_parser_spellings_round_trip() -> None:
    for text in ("Preceding", "Succeeding", "Bracketing Average", "Bracketing Interpolate"):
        fit = parse_series_fit(text)
        assert fit.name == text and fit.error is None and fit.error_type == ""
    assert parse_series_fit("  bracketing   INTERPOLATE ").kind is SeriesKind.BRACKETING_INTERPOLATE
    wm_sd = parse_series_fit("Weighted Mean_SD")
    assert (wm_sd.kind, wm_sd.error, wm_sd.name) == (
        SeriesKind.WEIGHTED_MEAN,
        ErrorKind.SD,
        "Weighted Mean_SD",
    )
    for stored, kind in (
        ("Weighted Mean_SEM, but if MSWD>1 use SEM * sqrt(MSWD)", ErrorKind.MSEM),
        ("Weighted Mean_SE but if MSWD>1 use SE * sqrt(MSWD)", ErrorKind.MSE),
        ("weighted mean_msem", ErrorKind.MSEM),
    ):
        fit = parse_series_fit(stored)
        assert fit.error is kind
        assert parse_series_fit(fit.name) == fit
    assert parse_series_fit("Weighted Mean_SEM, but if MSWD>1 use SEM * sqrt(MSWD)").name == (
        "Weighted Mean_SEM, but if MSWD>1 use SEM * sqrt(MSWD)"
    )
    # bare names: Pychron's defaults
    assert parse_series_fit("Average").error is ErrorKind.SD
    assert parse_series_fit("Weighted Mean").error is ErrorKind.MSEM
    assert parse_series_fit("linear").error is ErrorKind.SEM
    assert parse_series_fit("Average_SEM").name == "Average_SEM"


@pytest.mark.parametrize(
    "text",
    ["Bracketing Interpolation", "previous", "Exponential", "custom:x**2", "Average_MSEM",
     "Linear_MSEM", "Preceding_SD", "Weighted Mean_XYZ", ""],
)  # fmt: skip
def test_parser_refuses_unknown_kinds(text: str) -> None:
    with pytest.raises(UnsupportedSeriesError) as info:
        parse_series_fit(text)
    assert isinstance(info.value, UsageError)  # exit code 2 in the CLI
    assert text in str(info.value) or "error kind" in str(info.value)


def test_previous_points_to_preceding() -> None:
    with pytest.raises(UnsupportedSeriesError) as info:
        parse_series_fit("previous")
    assert info.value.hint is not None and "Preceding" in info.value.hint


def test_preceding_and_succeeding() -> None:
    at = np.array([-11.0, -8.0, -7.0, -5.0, 1.0])
    pre = predict("Preceding", X, Y, S, NONE, at)
    # before the series → the first; at a reference → that reference
    assert pre.value.tolist() == [1.0, 2.0, 2.0, 4.0, 5.0]
    assert pre.error.tolist() == [0.1, 0.2, 0.2, 0.3, 0.5]
    assert pre.references_used(2) == (1,)
    suc = predict("Succeeding", X, Y, S, NONE, at)
    assert suc.value.tolist() == [1.0, 2.0, 4.0, 4.0, 5.0]  # after the series → the last
    excluded = np.array([False, True, True, False, False])
    pre_x = predict("Preceding", X, Y, S, excluded, at)
    assert pre_x.value.tolist() == [1.0, 1.0, 1.0, 1.0, 5.0]  # steps back over 1 and 2
    suc_x = predict("Succeeding", X, Y, S, excluded, at)
    assert suc_x.value.tolist() == [1.0, 3.0, 3.0, 3.0, 5.0]  # steps forward over 1 and 2
    first_out = np.array([True, False, False, False, False])
    # nothing usable before: the first usable one (Pychron would use excluded index 0)
    assert predict("Preceding", X, Y, S, first_out, [-11.0]).value.tolist() == [2.0]
    last_out = np.array([False, False, False, False, True])
    assert predict("Succeeding", X, Y, S, last_out, [-1.0]).value.tolist() == [3.0]


def test_bracketing_average() -> None:
    fit = SeriesFit(SeriesKind.BRACKETING_AVERAGE)
    res = predict(fit, X, Y, S, NONE, [-6.0, -2.0, -12.0, 3.0])
    assert res.value[0] == pytest.approx((2.0 + 4.0) / 2)
    assert res.error[0] == pytest.approx(np.hypot(0.2, 0.3) / 2)
    assert res.references_used(0) == (1, 2)
    # exactly at a reference: the one before and that one
    assert res.value[1] == pytest.approx((4.0 + 3.0) / 2) and res.references_used(1) == (2, 3)
    # outside the series: nearest usable reference, its own error
    assert (res.value[2], res.error[2], res.references_used(2)) == (1.0, 0.1, (0,))
    assert (res.value[3], res.error[3], res.references_used(3)) == (5.0, 0.5, (4,))
    excluded = np.array([False, False, True, False, False])
    res_x = predict(fit, X, Y, S, excluded, [-6.0])
    assert res_x.value[0] == pytest.approx((2.0 + 3.0) / 2)
    assert res_x.references_used(0) == (1, 3)


def test_bracketing_interpolate() -> None:
    fit = parse_series_fit("Bracketing Interpolate")
    at = np.array([-6.0, -8.0, -5.0, -20.0, 0.5, -3.5])
    res = predict(fit, X, Y, S, NONE, at)
    f = (-6.0 - -8.0) / (-5.0 - -8.0)
    assert res.value[0] == pytest.approx(2.0 + f * (4.0 - 2.0), rel=1e-15)
    assert res.error[0] == pytest.approx(np.hypot((1 - f) * 0.2, f * 0.3), rel=1e-15)
    assert res.value[0] == pytest.approx(np.interp(-6.0, X, Y), rel=1e-15)
    assert (res.value[1], res.error[1]) == (2.0, 0.2)  # at a reference: that reference
    assert (res.value[2], res.error[2]) == pytest.approx((4.0, 0.3))  # f = 1
    assert (res.value[3], res.error[3]) == (1.0, 0.1)  # before the series: the first
    assert (res.value[4], res.error[4]) == (5.0, 0.5)  # after the series: the last
    excluded = np.array([False, False, True, True, False])
    res_x = predict(fit, X, Y, S, excluded, [-3.5, 0.5])
    f = (-3.5 - -8.0) / (0.0 - -8.0)
    assert res_x.value[0] == pytest.approx(2.0 + f * 3.0, rel=1e-15)
    assert res_x.error[0] == pytest.approx(np.hypot((1 - f) * 0.2, f * 0.5), rel=1e-15)
    assert res_x.references_used(0) == (1, 4)
    last_out = np.array([False, False, False, False, True])
    # after the last usable reference (the excluded last one does not count)
    out = predict(fit, X, Y, S, last_out, [-1.0])
    assert (out.value[0], out.error[0], out.references_used(0)) == (3.0, 0.4, (3,))


def test_order_of_references_does_not_matter() -> None:
    perm = np.array([3, 0, 4, 2, 1])
    at = np.linspace(-12, 2, 15)
    for kind in ("Preceding", "Succeeding", "Bracketing Average", "Bracketing Interpolate",
                 "Weighted Mean_SD", "Linear"):  # fmt: skip
        a = predict(kind, X, Y, S, NONE, at)
        b = predict(kind, X[perm], Y[perm], S[perm], NONE, at)
        np.testing.assert_allclose(a.value, b.value, rtol=1e-14)
        np.testing.assert_allclose(a.error, b.error, rtol=1e-12)
        np.testing.assert_array_equal(a.used[:, perm], b.used)  # indices in input order


def test_average_and_weighted_mean_against_numpy() -> None:
    at = np.array([-3.0, 7.0])
    excluded = np.array([False, True, False, False, False])
    keep = ~excluded
    y, s = Y[keep], S[keep]
    sd = y.std(ddof=1)
    avg_sd = predict("Average_SD", X, Y, S, excluded, at)
    np.testing.assert_allclose(avg_sd.value, y.mean(), rtol=1e-15)
    np.testing.assert_allclose(avg_sd.error, sd, rtol=1e-15)
    avg_sem = predict("Average_SEM", X, Y, S, excluded, at)
    np.testing.assert_allclose(avg_sem.error, sd / np.sqrt(4), rtol=1e-15)
    assert not avg_sd.used[:, 1].any() and avg_sd.used[:, keep].all()
    w = 1 / s**2
    mean = (w * y).sum() / w.sum()
    taylor = w.sum() ** -0.5
    mswd = (w * (y - mean) ** 2).sum() / (y.size - 1)
    assert mswd > 1
    for kind, error in (
        ("Weighted Mean_SD", sd),
        ("Weighted Mean_SEM", taylor),
        ("Weighted Mean_SE", taylor),
        ("Weighted Mean_MSEM", taylor * np.sqrt(mswd)),
        ("Weighted Mean_SE but if MSWD>1 use SE * sqrt(MSWD)", taylor * np.sqrt(mswd)),
    ):
        res = predict(kind, X, Y, S, excluded, at)
        np.testing.assert_allclose(res.value, mean, rtol=1e-15)
        np.testing.assert_allclose(res.error, error, rtol=1e-14, err_msg=kind)
    # MSWD below 1: MSEM is the plain SEM
    tight = np.array([1.0, 1.01, 0.99, 1.0, 1.005])
    res = predict("Weighted Mean_MSEM", X, tight, S, NONE, at)
    np.testing.assert_allclose(res.error, (1 / S**2).sum() ** -0.5, rtol=1e-15)
    # one reference: its own value and error, whatever the kind
    only = np.array([True, True, False, True, True])
    for kind in ("Average_SD", "Average_SEM", "Weighted Mean_SD", "Weighted Mean_MSEM"):
        one = predict(kind, X, Y, S, only, at)
        assert one.value.tolist() == [4.0, 4.0] and one.error.tolist() == [0.3, 0.3]


@pytest.mark.parametrize("kind,degree", [("Linear", 1), ("Parabolic", 2), ("Cubic", 3)])
def test_polynomial_fits_against_polyfit(kind: str, degree: int) -> None:
    rng = np.random.default_rng(7)
    x = np.sort(rng.uniform(-200, 0, 12))
    y = 0.5 + 0.01 * x - 2e-5 * x**2 + rng.normal(0, 0.02, x.size)
    s = np.full(x.size, 0.02)
    excluded = np.zeros(x.size, dtype=bool)
    excluded[[2, 7]] = True
    at = np.array([-250.0, -150.0, -10.0, 0.0, 12.0])
    xk, yk = x[~excluded], y[~excluded]
    coef, cov = np.polyfit(xk, yk, degree, cov="unscaled")
    resid = yk - np.polyval(coef, xk)
    s2 = resid @ resid / (xk.size - degree - 1)
    vander = np.vander(at, degree + 1)
    sem = np.sqrt(s2 * np.einsum("ij,jk,ik->i", vander, cov, vander))
    res = predict(kind, x, y, s, excluded, at)
    np.testing.assert_allclose(res.value, np.polyval(coef, at), rtol=1e-10)
    np.testing.assert_allclose(res.error, sem, rtol=1e-8)
    res_sd = predict(f"{kind}_SD", x, y, s, excluded, at)
    np.testing.assert_allclose(res_sd.error, np.sqrt(s2 + sem**2), rtol=1e-8)
    assert res.used[:, excluded].sum() == 0


def test_refusals() -> None:
    everything = np.ones(5, dtype=bool)
    with pytest.raises(MissingInputError, match="no usable reference"):
        predict("Bracketing Interpolate", X, Y, S, everything, [0.0])
    with pytest.raises(MissingInputError, match="at least 4 usable references"):
        predict("Parabolic", X[:3], Y[:3], S[:3], None, [0.0])
    with pytest.raises(MissingInputError, match="zero error"):
        predict("Weighted Mean_SEM", X, Y, np.array([0.1, 0.0, 0.1, 0.1, 0.1]), None, [0.0])
    with pytest.raises(MissingInputError, match="non-finite"):
        predict("Average", X, np.array([1.0, np.nan, 2, 3, 4]), S, None, [0.0])
    # a non-finite value of an excluded reference does not matter
    ok = predict("Average", X, np.array([1.0, np.nan, 2, 3, 4]), S, [0, 1, 0, 0, 0], [0.0])
    assert ok.value[0] == pytest.approx(2.5)
    with pytest.raises(UsageError, match="equal lengths"):
        predict("Average", X, Y[:4], S, None, [0.0])
    with pytest.raises(MissingInputError, match="distinct times"):
        predict("Linear", np.zeros(4), np.arange(4.0), np.ones(4), None, [0.0])


def test_relative_hours() -> None:
    refs, unknowns = relative_hours([0.0, 3600.0, 7200.0], [5400.0, 10800.0])
    assert refs.tolist() == [-3.0, -2.0, -1.0] and unknowns.tolist() == [-1.5, 0.0]
    refs, unknowns = relative_hours([0.0, 7200.0], [3600.0])
    assert refs.tolist() == [-2.0, 0.0] and unknowns.tolist() == [-1.0]


# --- real stored series: IC factors that carry their reference_data ----------------------


def stored_series(git: Path, fit: str) -> Iterator[tuple[Analysis, str, ReferenceEntry]]:
    """Every IC-factor entry with ``fit`` and ``reference_data`` written by a reduction
    commit (``<ICFactor>.icfactors auto update …``) on any branch."""
    repo = DataRepo(GitRepo(git))
    raw = repo.git.raw
    seen: set[str] = set()
    heads = [raw.branches[b].target for b in raw.branches.local]
    walker = raw.walk(heads[0], pygit2.enums.SortMode.TIME)
    for head in heads[1:]:
        walker.push(head)
    for commit in walker:
        if not commit.message.startswith("<ICFactor>.icfactors auto update") or not commit.parents:
            continue
        diff = raw.diff(commit.parents[0], commit)
        for delta in diff.deltas:
            path = delta.new_file.path
            if "/icfactors/" not in path or str(delta.new_file.id) in seen:
                continue
            seen.add(str(delta.new_file.id))
            shard, tail = path.split("/")[0], path.rsplit("/", 1)[1].split(".")[0]
            analysis = repo.analysis(shard + tail, str(commit.id))
            assert analysis.icfactors is not None
            for key, entry in analysis.icfactors.entries.items():
                if entry.fit == fit and entry.reference_data is not None:
                    yield analysis, key, entry


def replay(analysis: Analysis, entry: ReferenceEntry, kind: str) -> tuple[float, float]:
    """The stored series through :func:`predict`, x from the unknown's Denver time."""
    data = entry.reference_data
    assert data is not None
    excluded = [r.excluded for r in entry.reference_list]
    assert len(excluded) == len(data.xs)
    t = naive_to_seconds(analysis.main.timestamp_dt, DENVER)
    x_refs, x_unknown = relative_hours(data.xs, [t])
    result = predict(kind, x_refs, data.vs, data.es, excluded, x_unknown)
    return float(result.value[0]), float(result.error[0])


def test_swansonb_bracketing_interpolate_reproduces(bundle_bare: Callable[[str], Path]) -> None:
    """All 304 stored Bracketing Interpolate IC factors of SwansonB, to 1e-14: x is the
    unknown's America/Denver time truncated to whole seconds (rounding or keeping the
    microseconds misses by up to 2e-4 relative in the error)."""
    worst, count = 0.0, 0
    for analysis, _, entry in stored_series(bundle_bare("SwansonB"), "Bracketing Interpolate"):
        value, error = replay(analysis, entry, "Bracketing Interpolate")
        assert entry.value is not None and entry.error is not None
        worst = max(worst, abs(value / entry.value - 1), abs(error / entry.error - 1))
        count += 1
    assert count == 304 and worst < 1e-14


def test_cornudas_weighted_mean_ic_factors_reproduce(bundle_bare: Callable[[str], Path]) -> None:
    """All 44 stored ``Weighted Mean`` IC-factor entries of Cornudas with reference_data: the
    value to 1e-14 and the error as SEM·√MSWD (the default of a bare ``Weighted Mean``)."""
    worst, count = 0.0, 0
    for analysis, _, entry in stored_series(bundle_bare("Cornudas"), "Weighted Mean"):
        value, error = replay(analysis, entry, "Weighted Mean")
        assert entry.value is not None and entry.error is not None
        worst = max(worst, abs(value / entry.value - 1), abs(error / entry.error - 1))
        count += 1
    assert count == 44 and worst < 1e-13


def test_swansonb_weighted_mean_labels_are_not_always_true(
    bundle_bare: Callable[[str], Path],
) -> None:
    """SwansonB's 502 IC-factor entries labelled ``Weighted Mean`` (with reference_data):
    every value and error reproduces to 1e-12 with exactly one kind, but only 121 are a
    weighted mean (SEM·√MSWD; 34 of them also plain SEM, MSWD ≤ 1). 345 are Bracketing
    Interpolate values (commits 476866d, 9adbe32, 18371e1, …) and 36 an Average with SD
    (e99d22d, 070a75c): Pychron wrote the wrong fit name. ardvc writes the kind it used."""
    kinds = (
        "Weighted Mean_MSEM",
        "Weighted Mean_SEM",
        "Bracketing Interpolate",
        "Average_SD",
        "Average_SEM",
        "Weighted Mean_SD",
    )
    found: dict[tuple[str, ...], int] = {}
    for analysis, _, entry in stored_series(bundle_bare("SwansonB"), "Weighted Mean"):
        assert entry.value is not None and entry.error is not None
        match = []
        for kind in kinds:
            value, error = replay(analysis, entry, kind)
            if abs(value / entry.value - 1) < 1e-13 and abs(error / entry.error - 1) < 1e-12:
                match.append(kind)
        found[tuple(match)] = found.get(tuple(match), 0) + 1
    assert found == {
        ("Weighted Mean_MSEM",): 87,
        ("Weighted Mean_MSEM", "Weighted Mean_SEM"): 34,
        ("Bracketing Interpolate",): 345,
        ("Average_SD",): 36,
    }
