"""J of a level from its monitors: mean J per monitor position, a plane across the tray,
the modelled ``j`` of every position, and the ``fit flux for <irr><level>`` commit.

The monitors are the analyses in a data repository whose sample is the monitor sample and
whose irradiation position is on the level; they are listed at their positions (as
Pychron's flux tool writes them) with ``is_omitted`` from their tags. Positions whose hole
is not in the holder are refused rather than guessed. Every position written records the
model, the monitor, the holder and the commits the fit read in its ``options``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ardvc import __version__
from ardvc.data import DataRepo
from ardvc.errors import MissingInputError, UsageError
from ardvc.formats.holders import Holder
from ardvc.formats.irradiation import MonitorAnalysis, PositionUpdate
from ardvc.formats.tags import is_excluding
from ardvc.gitstore import Author, CommitResult
from ardvc.meta import MetaRepo
from ardvc.reduce.constants import ArArConstants
from ardvc.reduce.conventions import Conventions
from ardvc.reduce.flux_model import PREDICTED_ERROR_TYPE, PlaneFit, fit_plane
from ardvc.reduction.monitors import PositionFlux, level_flux


@dataclass(frozen=True)
class PositionJ:
    """One position after the fit: its hole, its monitors (if any), modelled J."""

    position: int
    identifier: str | None
    x: float
    y: float
    monitor: PositionFlux | None
    j: float
    j_err: float
    stored_j: float | None
    stored_j_err: float | None


@dataclass(frozen=True)
class FluxFit:
    """A plane flux fit of one level and what it read."""

    irradiation: str
    level: str
    holder: str
    monitor_sample: str
    constants: ArArConstants
    plane: PlaneFit
    positions: tuple[PositionJ, ...]
    meta_commit: str
    data_repository: str
    data_commit: str
    listed: dict[int, list[MonitorAnalysis]]

    def options(self) -> dict[str, object]:
        monitor = self.constants.monitor
        return {
            "model_kind": "Plane",
            "monitor_age": monitor.age,
            "monitor_material": monitor.material,
            "monitor_name": self.monitor_sample,
            "monitor_reference": monitor.name,
            "predicted_j_error_type": PREDICTED_ERROR_TYPE,
            "use_monte_carlo": False,
            "use_weighted_fit": True,
            "ardvc": {
                "version": __version__,
                "holder": self.holder,
                "meta_commit": self.meta_commit,
                "data_repository": self.data_repository,
                "data_commit": self.data_commit,
            },
        }

    def updates(self) -> list[PositionUpdate]:
        """The level-file changes: modelled J everywhere, monitor means and lists where
        there are monitors."""
        options = self.options()
        out = []
        for p in self.positions:
            mean = p.monitor.mean if p.monitor is not None else None
            out.append(
                PositionUpdate(
                    position=p.position,
                    j=p.j,
                    j_err=p.j_err,
                    mean_j=mean.value if mean is not None else None,
                    mean_j_err=mean.error if mean is not None else None,
                    mean_j_mswd=mean.mswd if mean is not None else None,
                    position_jerr=0.0,
                    options=options,
                    analyses=self.listed.get(p.position),
                )
            )
        return out


def monitor_analyses(
    data: DataRepo, irradiation: str, level: str, sample: str, rev: str | None = None
) -> dict[int, list[MonitorAnalysis]]:
    """Monitor runs of the level in ``data``, by position, in run order."""
    found: dict[int, list[tuple[str, MonitorAnalysis]]] = defaultdict(list)
    for analysis in data.analyses(rev):
        main = analysis.main
        if (main.irradiation, main.irradiation_level, main.sample) != (irradiation, level, sample):
            continue
        if main.irradiation_position is None or main.analysis_type != "unknown":
            continue
        entry = MonitorAnalysis(
            record_id=analysis.record_id, uuid=main.uuid, is_omitted=is_excluding(analysis.tag)
        )
        found[int(main.irradiation_position)].append((main.timestamp or "", entry))
    return {pos: [e for _, e in sorted(rows, key=lambda r: r[0])] for pos, rows in found.items()}


def fit_level_flux(
    meta: MetaRepo,
    data: DataRepo,
    irradiation: str,
    level: str,
    holder: Holder,
    *,
    monitor_sample: str = "FC-2",
    constants: ArArConstants | None = None,
    conventions: Conventions,
    include_omitted: bool = False,
) -> FluxFit:
    """Fit the plane to the monitor positions and model J at every position of the level."""
    constants = constants or ArArConstants()
    meta_commit = meta.commit_id(None)
    data_commit = data.git.head_id()
    if data_commit is None:
        raise MissingInputError(f"{data.name} has no commits: no monitors to fit")
    listed = monitor_analyses(data, irradiation, level, monitor_sample, data_commit)
    if not listed:
        raise MissingInputError(
            f"no {monitor_sample} analyses of {irradiation} {level} in {data.name}",
            hint="name the monitor sample with --monitor-sample",
        )
    fluxes = level_flux(
        meta, data, irradiation, level, meta_rev=meta_commit, data_rev=data_commit,
        constants=constants, conventions=conventions, include_omitted=include_omitted,
        listed=listed,
    )  # fmt: skip
    by_position = {f.position: f for f in fluxes if f.mean is not None}
    doc = meta.level(irradiation, level, meta_commit)

    def hole(position: int) -> tuple[float, float]:
        found = holder.hole(position)
        if found is None:
            raise UsageError(
                f"position {position} of {irradiation} {level} has no hole in holder "
                f"{holder.name} ({len(holder.holes)} holes)"
            )
        return found.x, found.y

    monitors = sorted(by_position)
    xy = np.array([hole(p) for p in monitors], dtype=float).reshape(-1, 2)
    means = [by_position[p].mean for p in monitors]
    plane = fit_plane(
        xy[:, 0], xy[:, 1], [m.value for m in means if m], [m.error for m in means if m]
    )
    rows = []
    for pos in doc.positions:
        x, y = hole(pos.position)
        (j,), (j_err,) = plane.predict(x, y)
        row = PositionJ(
            pos.position, pos.identifier_text, x, y, by_position.get(pos.position),
            float(j), float(j_err), pos.j, pos.j_err,
        )  # fmt: skip
        rows.append(row)
    return FluxFit(
        irradiation, level, holder.name or "", monitor_sample, constants, plane, tuple(rows),
        meta_commit, data.name, data_commit, {p: listed[p] for p in listed},
    )  # fmt: skip


def save_flux_fit(
    meta: MetaRepo, fit: FluxFit, author: Author, *, branch: str | None = None
) -> CommitResult:
    """Commit the fit as Pychron does (``fit flux for <irr><level>``), refusing when the
    MetaRepo moved since the fit read it."""
    head = meta.commit_id(branch)
    if head != fit.meta_commit:
        raise UsageError(
            f"{meta.name} moved from {fit.meta_commit[:12]} to {head[:12]} since the flux fit "
            "read it; nothing was written",
            hint="fit again",
        )
    updates: Sequence[PositionUpdate] = fit.updates()
    message = f"fit flux for {fit.irradiation}{fit.level}"
    return meta.set_positions(fit.irradiation, fit.level, updates, author, message=message,
                              branch=branch)  # fmt: skip
