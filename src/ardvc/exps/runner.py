"""The one function experiments reduce through, and the key of its inputs.

:func:`reduce_selection` is where the run-cache plugs in: its result depends only on
what :func:`stage_key` hashes (every file blob of every analysis, the MetaRepo commit,
the constants, the conventions and the ardvc version), so a cache can return a stored
reduction for an equal key instead of computing it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from ardvc import __version__
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


def stage_key(request: ReductionRequest) -> str:
    """sha256 of everything the reduction reads (blob ids name file contents exactly)."""
    inputs = {
        "stage": "reduce",
        "ardvc": __version__,
        "meta_commit": request.meta_commit,
        "constants": request.constants.as_dict(),
        "conventions": request.conventions.as_dict(),
        "analyses": [
            [a.name, sorted((str(m), f.blob_id) for m, f in a.files.items())]
            for a in request.analyses
        ],
    }
    encoded = orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY)
    return hashlib.sha256(encoded).hexdigest()


def reduce_selection(request: ReductionRequest) -> Reduction:
    """Reduce the request's analyses exactly as ``ardvc reduce`` does."""
    return reduce_analyses(
        request.analyses,
        request.meta,
        meta_rev=request.meta_commit,
        constants=request.constants,
        conventions=request.conventions,
        repos={request.data.name: request.data},
    )
