"""``ardvc ia check``: does a stored interpreted age still reproduce from git?

Every analysis of the IA file is recomputed from the data repository and the MetaRepo at
the given commits, with the constants the file records; per-analysis values must agree to
``rtol``. Group values are judged against every convention Pychron has used (SEM or
SEM·√MSWD, with or without J); the report says which one reproduces the stored number,
whether that is the one the file records, and when only a selection the file does not
record reproduces it ("not determinable").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ardvc.data import DataRepo
from ardvc.errors import ArdvcError
from ardvc.formats.ia import IAFile, IAFile2022
from ardvc.meta import MetaRepo
from ardvc.reduce.constants import ArArConstants, DecayConstants
from ardvc.reduce.conventions import PYCHRON_2018, PYCHRON_2022, Conventions
from ardvc.reduce.stats import ErrorKind
from ardvc.reduction.groups import GroupValues, group_values
from ardvc.reduction.run import Reduction, reduce_analyses

MATCH, MISMATCH, UNKNOWN, NOT_STORED = "match", "mismatch", "not determinable", "not stored"
PER_ANALYSIS = ("age", "age_err", "kca", "radiogenic_yield")


@dataclass(frozen=True)
class Comparison:
    name: str
    stored: float | None
    computed: float | None
    status: str
    note: str = ""

    @property
    def rel(self) -> float | None:
        if self.stored is None or self.computed is None:
            return None
        return abs(self.computed - self.stored) / abs(self.stored) if self.stored else None


@dataclass
class IACheckReport:
    path: str
    data_repo: str
    data_commit: str
    meta_commit: str
    conventions: str
    format_version: int
    rtol: float
    analyses: list[Comparison] = field(default_factory=list)
    groups: list[Comparison] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and all(c.status in {MATCH, NOT_STORED} for c in self.analyses)

    @property
    def strict_ok(self) -> bool:
        return self.ok and all(c.status != MISMATCH for c in self.groups)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("analyses", "groups"):
            for row, comparison in zip(out[key], getattr(self, key), strict=True):
                row["rel"] = comparison.rel
        out["ok"], out["strict_ok"] = self.ok, self.strict_ok
        return out


def constants_from(ia: IAFile, base: ArArConstants) -> ArArConstants:
    """The constants the IA file records (λK of a level position still wins, as in Pychron)."""
    recorded = ia.arar_constants or {}
    constants = base
    if "atm4036" in recorded:
        atm = replace(
            base.atmosphere,
            name="from IA file",
            atm4036=recorded["atm4036"],
            atm4036_err=recorded.get("atm4036_err", 0.0),
            atm4038=recorded.get("atm4038", base.atmosphere.atm4038),
            atm4038_err=recorded.get("atm4038_err", base.atmosphere.atm4038_err),
        )
        constants = replace(constants, atmosphere=atm)
    if recorded.get("lambda_k"):
        decay = DecayConstants(
            "from IA file", recorded["lambda_k"], recorded.get("lambda_k_err", 0.0), 0.0, 0.0
        )
        constants = replace(constants, decay=decay)
    return replace(
        constants,
        lambda_ar37=recorded.get("lambda_Ar37", base.lambda_ar37),
        lambda_ar39=recorded.get("lambda_Ar39", base.lambda_ar39),
        lambda_cl36=recorded.get("lambda_Cl36", base.lambda_cl36),
        abundance_sensitivity=recorded.get("abundance_sensitivity", base.abundance_sensitivity),
        fixed_k3739=(
            recorded.get("fixed_k3739", base.fixed_k3739[0]),
            recorded.get("fixed_k3739_err", base.fixed_k3739[1]),
        ),
    )


def default_conventions(ia: IAFile) -> Conventions:
    """2022 nested files were made with the trapped 40/36 error propagated; 2018 files not."""
    return PYCHRON_2022 if isinstance(ia, IAFile2022) else PYCHRON_2018


def _close(a: float | None, b: float | None, rtol: float) -> bool:
    if a is None or b is None or not math.isfinite(a):
        return False
    return abs(a - b) <= rtol * abs(b) if b else a == b


def judge(
    name: str,
    stored: float | None,
    candidates: Mapping[str, float | None],
    recorded: str | None,
    rtol: float,
) -> Comparison:
    """Which candidate convention reproduces ``stored``; ``recorded`` is the file's claim."""
    first = next(iter(candidates.values()))
    if stored is None:
        return Comparison(name, None, first, NOT_STORED)
    if stored == 0 and all(v is None for v in candidates.values()):
        return Comparison(name, stored, None, MATCH, "none (Pychron stores 0)")
    hits = [label for label, value in candidates.items() if _close(value, stored, rtol)]
    shown = candidates[hits[0]] if hits else candidates.get(recorded or "", first)
    if recorded in hits:
        return Comparison(name, stored, shown, MATCH, f"as {recorded}")
    if hits:
        said = f"; the file records {recorded}" if recorded else ""
        return Comparison(name, stored, shown, MATCH, f"as {hits[0]}{said}")
    return Comparison(name, stored, shown, MISMATCH, f"tried: {', '.join(candidates)}")


def _variants(error: Callable[[ErrorKind, float], float], j_rel: float) -> dict[str, float | None]:
    return {
        f"{kind.name}{' ⊕ J' if with_j else ''}": error(kind, j_rel if with_j else 0.0)
        for kind in (ErrorKind.SEM, ErrorKind.MSEM, ErrorKind.SD)
        for with_j in (False, True)
    }


def _group_rows(groups: GroupValues, ia: IAFile, rtol: float) -> list[Comparison]:
    ages = ia.ages
    if ages is None:
        return []
    include_j = getattr(ia, "include_j_error_in_mean", None)
    if isinstance(ia, IAFile2022):
        include_j = ia.preferred.include_j_error_in_mean
    age_kind = ia.preferred_kind("age")
    recorded_kind = None
    kind_name = (age_kind.kind if age_kind else getattr(ia, "age_kind", None)) or ""
    if kind_name.lower().startswith("weighted mean"):
        recorded_kind = _kind_label(ia.age_error_kind_effective)
    recorded = f"{recorded_kind}{' ⊕ J' if include_j else ''}" if recorded_kind else None
    w = groups.weighted
    rows = [
        judge("weighted mean", ages.weighted_age, {"value": w.value}, None, rtol),
        judge(
            "weighted mean error",
            ages.weighted_age_err,
            _variants(lambda k, j: w.error_as(k, j), groups.j_rel_error),
            recorded,
            rtol,
        ),
    ]
    p = groups.plateau
    rows.append(
        judge("plateau", ages.plateau_age, {"value": p.value if p else None}, "value", rtol)
    )
    if p is not None:
        errors = {k.name: p.error(k) for k in (ErrorKind.SEM, ErrorKind.MSEM)}
        rows.append(judge("plateau error", ages.plateau_age_err, errors, None, rtol))
    integ, valid = groups.integrated, groups.integrated_valid
    values: dict[str, float | None] = {"all steps": integ.value}
    errors = {"all steps, with J": integ.error_with_j, "all steps, without J": integ.error}
    if valid is not None:
        values["non-omitted steps"] = valid.value
        errors["non-omitted steps, with J"] = valid.error_with_j
        errors["non-omitted steps, without J"] = valid.error
    rows.append(judge("integrated", ages.integrated_age, values, None, rtol))
    rows.append(judge("integrated error", ages.integrated_age_err, errors, None, rtol))
    iso, fit = groups.isochron, groups.isochron_fit
    rows.append(
        judge("isochron", ages.isochron_age, {"value": iso.value if iso else None}, "value", rtol)
    )
    if iso is not None and fit is not None:
        errors = {
            "SE ⊕ J": iso.error_with_j,
            "MSE ⊕ J": fit.scaled(iso.error_with_j, ErrorKind.MSE),
            "SE": iso.error,
        }
        rows.append(judge("isochron error", ages.isochron_age_err, errors, None, rtol))
    return rows


def _kind_label(text: str | None) -> str | None:
    if not text:
        return None
    lowered = text.lower()
    if "mswd" in lowered:
        return ErrorKind.MSEM.name
    return ErrorKind.SD.name if lowered.strip() == "sd" else ErrorKind.SEM.name


def _explain_mismatches(
    rows: list[Comparison], reduction: Reduction, ia: IAFile, rtol: float, is_2018: bool
) -> list[Comparison]:
    """Turn a mismatch into "not determinable" when only an unrecorded selection, or an
    unrecorded 2018 convention, explains it."""
    out = []
    for row in rows:
        if row.status != MISMATCH:
            out.append(row)
            continue
        left_out = _leave_one_out(row, reduction, ia, rtol)
        if left_out is not None:
            note = f"reproduces only with {left_out} left out; the file does not record that"
            out.append(replace(row, status=UNKNOWN, note=note))
        elif is_2018 and row.name.startswith(("integrated error", "isochron")):
            diff = "" if row.rel is None else f" (relative difference {row.rel:.1e})"
            note = f"the 2018 convention is not recorded{diff}"
            out.append(replace(row, status=UNKNOWN, note=note))
        else:
            out.append(row)
    return out


def _leave_one_out(row: Comparison, reduction: Reduction, ia: IAFile, rtol: float) -> str | None:
    steps = [i for i, r in enumerate(reduction.results) if r.ok]
    for drop in steps:
        try:
            groups = group_values(reduction, [s for s in steps if s != drop])
        except ArdvcError:
            continue
        again = [c for c in _group_rows(groups, ia, rtol) if c.name == row.name]
        if again and again[0].status == MATCH:
            return reduction.results[drop].record_id
    return None


def check_ia(
    ia: IAFile,
    *,
    path: str,
    data: DataRepo,
    data_rev: str,
    meta: MetaRepo,
    meta_rev: str,
    conventions: Conventions | None = None,
    constants: ArArConstants | None = None,
    rtol: float = 1e-9,
) -> IACheckReport:
    conv = conventions or default_conventions(ia)
    consts = constants_from(ia, constants or ArArConstants())
    nested = isinstance(ia, IAFile2022)
    analyses, failures = [], []
    for entry in ia.analyses:
        name = entry.uuid if nested and entry.uuid else entry.record_id
        try:
            analyses.append(data.analysis(name, data_rev))
        except ArdvcError as exc:
            failures.append(f"{entry.record_id}: {exc}")
    reduction = reduce_analyses(
        analyses, meta, meta_rev=meta_rev, constants=consts, conventions=conv,
        repos={data.name: data},
    )  # fmt: skip
    report = IACheckReport(
        path=path, data_repo=data.name, data_commit=data.git.head_id(data_rev) or data_rev,
        meta_commit=reduction.meta_commit, conventions=conv.name,
        format_version=ia.format_version, rtol=rtol, failures=failures,
    )  # fmt: skip
    by_id = {r.record_id: r for r in reduction.results}
    for entry in ia.analyses:
        got = by_id.get(entry.record_id)
        if got is None:
            continue
        if not got.ok:
            report.failures.append(f"{entry.record_id}: {got.error}")
            continue
        for attr in PER_ANALYSIS:
            stored = getattr(entry, attr)
            if attr == "age_err":
                stored = entry.age_err_wo_j if entry.age_err_wo_j is not None else stored
            computed = getattr(got, attr)
            status = MATCH if _close(computed, stored, rtol) else MISMATCH
            if stored is None:
                status = NOT_STORED
            report.analyses.append(
                Comparison(f"{entry.record_id} {attr}", stored, computed, status)
            )
    if reduction.chain is not None and not report.failures:
        rows = _group_rows(group_values(reduction), ia, rtol)
        report.groups = _explain_mismatches(rows, reduction, ia, rtol, not nested)
    return report


def names_of(rows: Sequence[Comparison], status: str) -> list[str]:
    return [r.name for r in rows if r.status == status]
