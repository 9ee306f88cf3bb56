"""Acceptance: the ``mean_j`` table of NM-293 level G (shared/data/README.md §4) from the
monitor analyses in git, with the 2018 conventions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ardvc.data import DataRepo
from ardvc.gitstore import GitRepo
from ardvc.meta import MetaRepo
from ardvc.reduce.conventions import PYCHRON_2018, PYCHRON_2022
from ardvc.reduction.monitors import level_flux

pytestmark = pytest.mark.shared
DATA = "75f2df01e34c270dca0312bbcb8b9e7dcb773e17"
META = "ef154d3054f5b84d8ab70eedc4af959725f2b330"
# identifier: (position, mean_j, mean_j_err, MSWD as README rounds it)
TABLE = {
    "25761": (1, 0.0018828848695731024, 9.467053495487779e-07, 16.39),
    "25762": (5, 0.0018235852309897976, 5.999688553005446e-05, 70674),
    "25763": (9, 0.001882480658305996, 8.896732804205209e-07, 15.94),
    "25764": (13, 0.0018835371169961482, 6.915937601622729e-07, 8.463),
    "25765": (17, 0.0018845265239103048, 9.813781160073455e-07, 13.38),
    "25766": (21, 0.0018842700347102997, 8.929426869777629e-07, 9.485),
}


def fluxes(bundle_bare: Callable[[str], Path], conventions=PYCHRON_2018, **kw):  # type: ignore[no-untyped-def]
    meta = MetaRepo(GitRepo(bundle_bare("MetaData")))
    data = DataRepo(GitRepo(bundle_bare("Irradiation-NM-293")))
    return level_flux(
        meta, data, "NM-293", "G", meta_rev=META, data_rev=DATA,
        conventions=conventions.updated(timezone="America/Denver"), **kw,
    )  # fmt: skip


def test_mean_j_table(bundle_bare: Callable[[str], Path]) -> None:
    found = {p.identifier: p for p in fluxes(bundle_bare)}
    assert set(found) == set(TABLE)
    for identifier, (position, value, error, mswd) in TABLE.items():
        p = found[identifier]
        assert p.position == position and len(p.j) == 6 and not p.failures
        assert p.mean is not None
        assert abs(p.mean.value / value - 1) < 1e-9
        assert abs(p.mean.error / error - 1) < 1e-9
        assert abs(p.mean.mswd / mswd - 1) < 1e-3  # the README quotes 4 digits
        # and the stored level file says the same
        assert p.stored_mean_j is not None and abs(p.stored_mean_j / value - 1) < 1e-15
    outlier = found["25762"]
    assert min(outlier.j) == pytest.approx(0.0014989673027587848, rel=1e-12)  # 25762-05


def test_trapped_error_and_omissions_move_the_means(bundle_bare: Callable[[str], Path]) -> None:
    with_trapped = {p.identifier: p for p in fluxes(bundle_bare, PYCHRON_2022)}
    moved = max(
        abs(with_trapped[i].mean.value / TABLE[i][1] - 1)  # type: ignore[union-attr]
        for i in TABLE
    )
    assert 1e-6 < moved < 6e-4  # README: up to 5e-4 relative (25762)
    without_omitted = {p.identifier: p for p in fluxes(bundle_bare, include_omitted=False)}
    assert len(without_omitted["25762"].j) == 5
