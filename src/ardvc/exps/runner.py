"""The one function experiments reduce through.

Issue 7's run-cache memoises :func:`~ardvc.reduction.run.reduce_analyses` itself (a
``runs=RunCache(...)`` argument keyed on every analysis blob, the MetaRepo trees, the
parameters and the code): once it is merged, passing the lab's run-cache here is all an
experiment needs to reuse an equal reduction instead of computing it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ardvc.cache.runcache import RunCache
from ardvc.data import Analysis, DataRepo
from ardvc.meta import MetaRepo
from ardvc.reduce.constants import ArArConstants
from ardvc.reduce.conventions import Conventions
from ardvc.reduction.run import Reduction, reduce_analyses


@dataclass(frozen=True)
class ReductionRequest:
    analyses: Sequence[Analysis]
    data: DataRepo
    meta: MetaRepo
    meta_commit: str
    constants: ArArConstants
    conventions: Conventions
    runs: RunCache | None = None
    """The lab's run-cache: an equal reduction is a lookup."""


def reduce_selection(request: ReductionRequest) -> Reduction:
    """Reduce the request's analyses exactly as ``ardvc reduce`` does."""
    return reduce_analyses(
        request.analyses,
        request.meta,
        meta_rev=request.meta_commit,
        constants=request.constants,
        conventions=request.conventions,
        repos={request.data.name: request.data},
        runs=request.runs,
    )
