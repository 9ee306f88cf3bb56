"""Per-analysis results of a reduction, each with the provenance to replay it exactly."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from ardvc import __version__
from ardvc.data import Analysis
from ardvc.errors import ArdvcError
from ardvc.reduce.chain import ArArResults
from ardvc.reduce.constants import ArArConstants
from ardvc.reduce.conventions import Conventions


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """One analysis: identity, values (NaN when failed) and how they were made."""

    record_id: str
    uuid: str | None
    repo: str
    commit: str
    tag: str
    error: str | None
    age: float = math.nan
    age_err: float = math.nan
    """1σ without the J error (Pychron's ``age_err`` and ``age_err_wo_j``)."""
    age_err_with_j: float = math.nan
    f: float = math.nan
    f_err: float = math.nan
    kca: float = math.nan
    kca_err: float = math.nan
    kcl: float = math.nan
    kcl_err: float = math.nan
    radiogenic_yield: float = math.nan
    radiogenic_yield_err: float = math.nan
    k39: float = math.nan
    k39_err: float = math.nan
    moles_k39: float = math.nan
    moles_k39_err: float = math.nan
    j: float = math.nan
    j_err: float = math.nan
    lambda_k: float = math.nan
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()}


def parameters(constants: ArArConstants, conventions: Conventions) -> dict[str, Any]:
    return {
        "ardvc_version": __version__,
        "constants": constants.as_dict(),
        "conventions": conventions.as_dict(),
        "intercepts": "stored",
    }


def result_rows(
    analyses: list[Analysis],
    chain: ArArResults,
    provenance: list[dict[str, Any]],
    params: dict[str, Any],
    j: Any,
    j_err: Any,
    lambda_k: Any,
) -> list[AnalysisResult]:
    rows = []
    for i, analysis in enumerate(analyses):
        error = chain.failures.get(i)
        record = {**provenance[i], "parameters": params}
        values: dict[str, float] = {}
        if error is None:
            values = {
                "age": chain.age.value[i],
                "age_err": chain.age.std[i],
                "age_err_with_j": chain.age_with_j.std[i],
                "f": chain.f.value[i],
                "f_err": chain.f.std[i],
                "kca": chain.kca.value[i],
                "kca_err": chain.kca.std[i],
                "kcl": chain.kcl.value[i],
                "kcl_err": chain.kcl.std[i],
                "radiogenic_yield": chain.radiogenic_yield.value[i],
                "radiogenic_yield_err": chain.radiogenic_yield.std[i],
                "k39": chain.k39.value[i],
                "k39_err": chain.k39.std[i],
                "moles_k39": chain.moles_k39.value[i],
                "moles_k39_err": chain.moles_k39.std[i],
                "j": j[i],
                "j_err": j_err[i],
                "lambda_k": lambda_k[i],
            }
        rows.append(
            AnalysisResult(
                record_id=analysis.record_id,
                uuid=analysis.uuid,
                repo=analysis.repo,
                commit=analysis.commit,
                tag=analysis.tag,
                error=error,
                provenance=record,
                **{k: float(v) for k, v in values.items()},
            )
        )
    return rows


def failed(analysis: Analysis, message: str, params: dict[str, Any]) -> AnalysisResult:
    """A result that says why it has no numbers."""
    try:
        record_id, uuid, tag = analysis.record_id, analysis.uuid, analysis.tag
    except ArdvcError as exc:  # a corrupt main file is itself the failure
        record_id, uuid, tag = analysis.name, None, "?"
        message = f"{message}; main file unreadable: {exc}"
    return AnalysisResult(
        record_id=record_id,
        uuid=uuid,
        repo=analysis.repo,
        commit=analysis.commit,
        tag=tag,
        error=message,
        provenance={"repo": analysis.repo, "commit": analysis.commit, "parameters": params},
    )
