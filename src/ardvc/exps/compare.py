"""``ardvc exp show``: an experiment's ages beside the current ones (what ``ardvc reduce``
gives now with the lab's settings and the stored intercepts)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from ardvc.exps.store import Experiment
from ardvc.reduction.results import AnalysisResult


@dataclass(frozen=True)
class Comparison:
    """One analysis: current and experiment age (Ma, 1σ without J) and their difference.

    ``sigmas`` = Δ / σ(current): how many of today's error bars the change is (the two
    ages share their data, so a combined σ would overstate the independence)."""

    record_id: str
    tag: str
    current_age: float | None
    current_err: float | None
    age: float | None
    age_err: float | None
    current_problem: str | None = None
    problem: str | None = None

    @property
    def delta(self) -> float | None:
        if self.age is None or self.current_age is None:
            return None
        return self.age - self.current_age

    @property
    def sigmas(self) -> float | None:
        delta = self.delta
        if delta is None or not self.current_err:
            return None
        return delta / self.current_err

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "delta": self.delta, "sigmas": self.sigmas}


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def compare(experiment: Experiment, current: Iterable[AnalysisResult]) -> list[Comparison]:
    """Rows in the experiment's order, matched by run ID (and uuid)."""
    now: dict[str, dict[str, Any]] = {}
    for result in current:
        row = result.as_dict()
        now[result.record_id] = row
        if result.uuid:
            now[result.uuid] = row
    rows = []
    for mine in experiment.results:
        other = now.get(str(mine.get("uuid") or "")) or now.get(str(mine["record_id"])) or {}
        rows.append(
            Comparison(
                record_id=str(mine["record_id"]),
                tag=str(mine.get("tag", "")),
                current_age=_number(other.get("age")),
                current_err=_number(other.get("age_err")),
                age=_number(mine.get("age")),
                age_err=_number(mine.get("age_err")),
                current_problem=other.get("error") if other else "not in the lab's branch now",
                problem=mine.get("error"),
            )
        )
    return rows
