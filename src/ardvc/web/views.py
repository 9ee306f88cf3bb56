"""What each page shows, gathered from :class:`ardvc.api.Lab` — shared by the HTML pages and
the JSON API so both say the same thing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ardvc.api import Lab
from ardvc.data import Analysis
from ardvc.data.view import IsotopeRow, isotope_rows, metadata
from ardvc.errors import ArdvcError
from ardvc.provenance import Revision
from ardvc.reduction.evolution import Evolution, evolutions_or_problem
from ardvc.reduction.ia_write import intermediates
from ardvc.reduction.results import AnalysisResult

RESULT_FIELDS = ("age", "age_err", "age_err_with_j", "f", "f_err", "kca", "kca_err", "kcl",
                 "kcl_err", "radiogenic_yield", "radiogenic_yield_err", "k39", "k39_err",
                 "moles_k39", "moles_k39_err", "j", "j_err", "lambda_k")  # fmt: skip


@dataclass
class AnalysisView:
    analysis: Analysis
    meta: dict[str, Any]
    isotopes: list[IsotopeRow]
    evolutions: list[Evolution]
    evolution_error: str | None
    result: AnalysisResult | None
    corrections: dict[str, Any] | None
    meta_commit: str | None
    conventions: str | None
    reduce_error: str | None = None
    history: list[Revision] = field(default_factory=list)
    history_error: str | None = None

    @property
    def signals(self) -> list[Evolution]:
        return [e for e in self.evolutions if e.series == "signal"]

    @property
    def baselines(self) -> list[Evolution]:
        return [e for e in self.evolutions if e.series == "baseline"]

    def result_dict(self) -> dict[str, Any] | None:
        if self.result is None:
            return {"error": self.reduce_error}
        values = self.result.as_dict()
        return {"error": self.result.error, **{k: values.get(k) for k in RESULT_FIELDS}}


def analysis_view(
    lab: Lab,
    repo: str,
    name: str,
    at: str | None = None,
    *,
    history: Callable[[Analysis], list[Revision]] | None = None,
) -> AnalysisView:
    """One analysis: stored values, refitted evolutions, its reduction (as ``ardvc reduce``
    with the lab's settings) and the commits that touched it."""
    analysis = lab.analysis_in(repo, name, at)
    evs, ev_error = evolutions_or_problem(analysis)
    result = corrections = meta_commit = conventions = reduce_error = None
    try:
        reduction = lab.reduce(repo, [analysis.name], at=analysis.commit, types=None)
        result = reduction.results[0]
        meta_commit, conventions = reduction.meta_commit, reduction.conventions.name
        if result.ok and reduction.chain is not None:
            corrections = intermediates(reduction.chain, reduction.rows[0])
    except ArdvcError as exc:
        reduce_error = str(exc)
    view = AnalysisView(
        analysis=analysis, meta=metadata(analysis), isotopes=isotope_rows(analysis),
        evolutions=evs, evolution_error=ev_error, result=result, corrections=corrections,
        meta_commit=meta_commit, conventions=conventions, reduce_error=reduce_error,
    )  # fmt: skip
    if history is not None:
        try:
            view.history = history(analysis)
        except ArdvcError as exc:
            view.history_error = str(exc)
    return view
