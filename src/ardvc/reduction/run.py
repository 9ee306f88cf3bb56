"""Reduce a selection of analyses: gather inputs from git, run the engine, package results.

A failure of one analysis (missing J, empty production, corrupt file, zero 39Ar_K) becomes
that analysis's error while the rest of the batch reduces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ardvc.cache.runcache import RunCache
from ardvc.data import Analysis, DataRepo
from ardvc.errors import ArdvcError
from ardvc.meta import MetaRepo
from ardvc.reduce.chain import ArArResults, reduce_batch
from ardvc.reduce.constants import ArArConstants
from ardvc.reduce.conventions import Conventions
from ardvc.reduce.fitspec import STATUS_REASONS, FitStatus
from ardvc.reduction.gather import Fitted, InputGatherer, gather
from ardvc.reduction.memo import reduction_key, result_record, results_from_record
from ardvc.reduction.refit import FitOverrides, refit_many
from ardvc.reduction.results import AnalysisResult, failed, parameters, result_rows


@dataclass
class Reduction:
    """Results in selection order, plus the engine's arrays for group statistics."""

    results: list[AnalysisResult]
    _chain: ArArResults | None
    rows: list[int]
    """For each result, its row in ``chain`` (-1 when it failed before the engine)."""
    constants: ArArConstants
    conventions: Conventions
    meta_commit: str
    from_run_cache: bool = False
    """The results came from the run-cache (no file was read, no engine run)."""
    _recompute: Callable[[], Reduction] | None = field(default=None, repr=False)

    @property
    def chain(self) -> ArArResults | None:
        """The engine's arrays; a run-cache hit computes them on first use."""
        if self._chain is None and self._recompute is not None:
            fresh, self._recompute = self._recompute(), None
            self._chain, self.rows = fresh._chain, fresh.rows
        return self._chain

    def ok(self) -> list[AnalysisResult]:
        return [r for r in self.results if r.ok]


USABLE = frozenset({FitStatus.OK, FitStatus.ALL_EXCLUDED})
"""Refit statuses whose value enters the reduction: ``ALL_EXCLUDED`` is the 0 ± 0 Pychron
computes and stores for constant data (an all-zero ion-counter baseline), as collection
and ``ardvc fit --save`` write it."""


def _refit(
    analyses: Sequence[Analysis], overrides: FitOverrides | None
) -> tuple[Fitted, dict[str, list[dict[str, object]]]]:
    """Refit intercepts and baselines from the raw blobs; the fits go into provenance."""
    fitted: Fitted = {}
    fits: dict[str, list[dict[str, object]]] = {}
    for row in refit_many(analyses, overrides):
        key = (row.analysis, row.series, row.key)
        if row.problem is not None:
            fitted[key] = row.problem
        elif row.status is not None and row.status not in USABLE:
            fitted[key] = STATUS_REASONS[row.status]
        else:
            fitted[key] = (row.value, row.error)
        fits.setdefault(row.analysis, []).append(
            {"series": row.series, "key": row.key, "fit": row.kind_used,
             "spec": repr(row.spec), "n": row.n, "fn": row.fn, "excluded": list(row.excluded)}
        )  # fmt: skip
    return fitted, fits


def reduce_analyses(
    analyses: Sequence[Analysis],
    meta: MetaRepo,
    *,
    meta_rev: str | None = None,
    constants: ArArConstants | None = None,
    conventions: Conventions,
    repos: dict[str, DataRepo] | None = None,
    refit: FitOverrides | bool = False,
    runs: RunCache | None = None,
) -> Reduction:
    """``refit`` recomputes every intercept and baseline from the raw data (with the stored
    settings, or with the given overrides) instead of using the stored values. With
    ``runs``, a reduction whose inputs, parameters and code are unchanged is a run-cache
    lookup (:mod:`ardvc.reduction.memo`)."""
    constants = constants or ArArConstants()
    params = parameters(constants, conventions)
    if refit is not False:
        params["intercepts"] = "refit from raw data"
    if runs is None:
        return _reduce(analyses, meta, meta_rev, constants, conventions, repos, refit, params)
    meta_commit = meta.commit_id(meta_rev)
    overrides = repr(refit) if isinstance(refit, FitOverrides) else None
    key = reduction_key(analyses, meta, meta_commit, {**params, "refit": overrides})
    record = runs.get(key)

    def compute() -> Reduction:
        return _reduce(analyses, meta, meta_commit, constants, conventions, repos, refit, params)

    if record is not None:
        results, rows = results_from_record(record, analyses, meta_commit)
        return Reduction(results, None, rows, constants, conventions, meta_commit,
                         from_run_cache=True, _recompute=compute)  # fmt: skip
    reduction = compute()
    runs.put(key, result_record(reduction.results, reduction.rows, reduction.meta_commit))
    return reduction


def _reduce(
    analyses: Sequence[Analysis],
    meta: MetaRepo,
    meta_rev: str | None,
    constants: ArArConstants,
    conventions: Conventions,
    repos: dict[str, DataRepo] | None,
    refit: FitOverrides | bool,
    params: dict[str, Any],
) -> Reduction:
    gatherer = InputGatherer(meta, meta_rev, constants, conventions, repos)
    readable: list[Analysis] = []
    early: dict[int, AnalysisResult] = {}
    for i, analysis in enumerate(analyses):
        try:
            analysis.load_all()
        except ArdvcError as exc:
            early[i] = failed(analysis, str(exc), params)
            continue
        readable.append(analysis)
    fitted, fits = (
        (None, {})
        if refit is False
        else _refit(readable, refit if isinstance(refit, FitOverrides) else None)
    )
    gathered = gather(readable, gatherer, fitted)
    for analysis, record in zip(gathered.analyses, gathered.provenance, strict=True):
        if analysis.name in fits:
            record["fits"] = fits[analysis.name]
    missing = {id(a): msg for a, msg in gathered.failures}
    chain = None
    computed: dict[int, AnalysisResult] = {}
    if gathered.analyses:
        chain = reduce_batch(gathered.inputs, constants, conventions)
        inputs = gathered.inputs
        rows = result_rows(
            gathered.analyses, chain, gathered.provenance, params,
            inputs.j, inputs.j_err, inputs.lambda_k,
        )  # fmt: skip
        computed = {id(a): r for a, r in zip(gathered.analyses, rows, strict=True)}
    row_of = {id(a): k for k, a in enumerate(gathered.analyses)}
    results: list[AnalysisResult] = []
    order: list[int] = []
    for i, analysis in enumerate(analyses):
        if i in early:
            results.append(early[i])
            order.append(-1)
        elif id(analysis) in missing:
            results.append(failed(analysis, missing[id(analysis)], params))
            order.append(-1)
        else:
            results.append(computed[id(analysis)])
            order.append(row_of[id(analysis)])
    return Reduction(results, chain, order, constants, conventions, gatherer.meta_commit)
