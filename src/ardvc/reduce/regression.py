"""Isotope-evolution intercepts for many series at once (reduction-math.md §1–§3).

:func:`fit_batch` groups series by model, cuts each group into blocks of similar length,
and runs Pychron's outlier filter and final fit on a whole block with array operations
(:mod:`ardvc.reduce.ols`, :mod:`ardvc.reduce.outliers`). Exponential fits are the one
per-series loop (:mod:`ardvc.reduce.nonlinear`).

Failures never abort the batch: each series carries a :class:`FitStatus`. NaN/inf results
stay NaN and are flagged; :func:`compat_zero` turns them into the 0 Pychron stores. The
one case where the default result *is* 0 ± 0 is every point being excluded (constant data,
Lusk01121 ``L2(CDD)`` baselines): that is what Pychron computes, and it is flagged
``ALL_EXCLUDED``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ardvc.errors import UsageError
from ardvc.reduce.fitbatch import MAX_COEF, FitBatch, StrArray, compat_zero
from ardvc.reduce.fitspec import ErrorType, FitKind, FitSpec, FitStatus
from ardvc.reduce.nonlinear import fit_exponential
from ardvc.reduce.ols import (
    BoolArray,
    FloatArray,
    IntArray,
    centred_sum_squares,
    horner,
    kept_std,
    scale_abscissa,
)
from ardvc.reduce.outliers import FilteredFit, FilterParams, filter_and_fit
from ardvc.reduce.series import ExcludedLike, SeriesLike, SeriesSet, blocks

__all__ = ["FitBatch", "compat_zero", "fit_batch"]

_POLY_KINDS = {
    1: FitKind.AVERAGE,
    2: FitKind.LINEAR,
    3: FitKind.PARABOLIC,
    4: FitKind.CUBIC,
    5: FitKind.QUARTIC,
}
"""Model by coefficient count; ``weighted mean`` shares the linear group (§1)."""
_ERR_CODES = {ErrorType.SEM: 0, ErrorType.SD: 1, ErrorType.CI: 2, ErrorType.MSEM: 3}


@dataclass
class _Block:
    """One block of series of a single engine, prepared for fitting."""

    idx: IntArray
    specs: list[FitSpec]
    x: FloatArray
    y: FloatArray
    present: BoolArray
    finite: BoolArray
    usable: BoolArray
    params: FilterParams
    err_codes: IntArray

    @classmethod
    def build(cls, series: SeriesSet, idx: IntArray, table: _SpecTable) -> _Block:
        t, y, present, user = series.block(idx)
        uid = table.ids[idx]
        x = t - table.offset[uid, None]
        finite = present & np.isfinite(x) & np.isfinite(y)
        params = FilterParams(table.iterations[uid], table.std_devs[uid], table.use_sd[uid])
        for u in np.unique(uid):
            truncation = table.unique[u].truncate
            if truncation is not None:
                rows = uid == u
                user[rows] |= truncation.excluded(x[rows]) & present[rows]
        return cls(
            idx,
            [table.unique[i] for i in uid],
            np.where(finite, x, 0.0),
            np.where(finite, y, 0.0),
            present,
            finite,
            finite & ~user,
            params,
            table.err_code[uid],
        )


@dataclass
class _Result:
    """Per-block arrays in the layout of :class:`FitBatch`."""

    value: FloatArray
    error: FloatArray
    fn: IntArray
    kept: BoolArray
    outliers: BoolArray
    status: IntArray
    sef: FloatArray
    rsquared_adj: FloatArray
    coef: FloatArray
    centre: FloatArray
    scale: FloatArray
    hat0: FloatArray
    kind: StrArray

    def where(self, pick: BoolArray, other: _Result) -> _Result:
        """Series-wise choice: ``self`` where ``pick``, else ``other``."""
        fields = {}
        for f in dataclasses.fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            shape = (-1,) + (1,) * (a.ndim - 1)
            fields[f.name] = np.where(pick.reshape(shape), a, b)
        return _Result(**fields)


def _intercept_errors(
    codes: IntArray,
    is_mean: bool,
    sef: FloatArray,
    v: FloatArray,
    n: IntArray,
    ssr: FloatArray,
    ci_term: FloatArray,
) -> FloatArray:
    """§3: SEM = SEF·√v, SD = √(SEF² + SEF²·v), MSEM = SEM (no MSWD without y errors),
    CI = t₀.₉₇₅,ₙ₋₁·s_yx·√(1/n + (x₀ − x̄)²/Sxx)/2. The mean: SEM = s/√n, else s."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if is_mean:
            sem = sef / np.sqrt(n)
            return np.where((codes == 0) | (codes == 3), sem, sef)
        sem = sef * np.sqrt(v)
        sd = np.sqrt(sef**2 + sef**2 * v)
        error = np.where(codes == 1, sd, sem)
        ci_rows = codes == 2
        if ci_rows.any():
            dof = np.where(n > 2, n - 1, 1)
            from scipy import stats  # deferred: scipy.stats costs 0.6 s to import

            t = stats.t.ppf(0.975, dof)
            syx = np.sqrt(ssr / np.where(n > 2, n - 2, np.nan))
            ci = t * syx * np.sqrt(1.0 / n + ci_term) / 2.0
            error = np.where(ci_rows, ci, error)
    result: FloatArray = error
    return result


def _status(
    block: _Block, n: IntArray, q: int, singular: BoolArray, value: FloatArray, error: FloatArray
) -> IntArray:
    status = np.full(len(n), FitStatus.OK, dtype=np.int64)
    bad_result = ~(np.isfinite(value) & np.isfinite(error))
    too_few = (n <= q) | ((block.err_codes == 2) & (n <= 2) & (q > 1))
    rules = [
        (bad_result, FitStatus.NONFINITE),
        (too_few, FitStatus.TOO_FEW_POINTS),
        (singular & (n > q), FitStatus.SINGULAR),
        (n == 0, FitStatus.ALL_EXCLUDED),
        ((block.present & ~block.finite).any(axis=1), FitStatus.NONFINITE),
        (~block.present.any(axis=1), FitStatus.NO_DATA),
    ]
    for mask, code in rules:  # later rules take precedence
        status[mask] = code
    return status


def _poly(block: _Block, q: int, kind: FitKind) -> _Result:
    scaled = scale_abscissa(block.x, block.finite)
    filtered: FilteredFit = filter_and_fit(
        scaled.u, block.y, block.usable, block.finite, q, block.params
    )
    fit = filtered.fit
    u0 = scaled.u0
    value = horner(fit.coef, u0)
    sef = fit.sef()
    v = fit.variance_factor(u0)
    ci_term = np.zeros(len(v))
    if (block.err_codes == 2).any():
        ubar, suu = centred_sum_squares(scaled.u, filtered.kept)
        with np.errstate(invalid="ignore", divide="ignore"):
            ci_term = (u0 - ubar) ** 2 / suu
    error = _intercept_errors(block.err_codes, q == 1, sef, v, fit.n, fit.ssr, ci_term)
    status = _status(block, fit.n, q, fit.singular, value, error)
    value = np.where(status == FitStatus.ALL_EXCLUDED, 0.0, value)
    error = np.where(status == FitStatus.ALL_EXCLUDED, 0.0, error)
    hopeless = np.isin(status, [FitStatus.NO_DATA, FitStatus.SINGULAR]) | (
        (status == FitStatus.NONFINITE) & (block.present & ~block.finite).any(axis=1)
    )
    value = np.where(hopeless, np.nan, value)
    error = np.where(hopeless | (status == FitStatus.TOO_FEW_POINTS), np.nan, error)
    with np.errstate(invalid="ignore", divide="ignore"):
        sst = kept_std(block.y, filtered.kept) ** 2 * (fit.n - 1)
        r2adj = 1.0 - (fit.ssr / sst) * (fit.n - 1) / (fit.n - q)
    coef = np.full((len(value), MAX_COEF), np.nan)
    coef[:, :q] = fit.coef
    hat0 = np.full((len(value), MAX_COEF), np.nan)
    hat0[:, :q] = fit.intercept_weights(u0)
    return _Result(
        value, error, fit.n, filtered.kept, filtered.outliers, status, sef, r2adj, coef,
        scaled.centre, scaled.scale, hat0, np.full(len(value), kind.value),
    )  # fmt: skip


def _auto(block: _Block) -> _Result:
    """Auto Linear/Parabolic: each fit with its own filtering; linear only if its
    adjusted R² is strictly larger (Pychron's ``linear_r > parabolic_r``)."""
    linear = _poly(block, 2, FitKind.LINEAR)
    parabolic = _poly(block, 3, FitKind.PARABOLIC)
    with np.errstate(invalid="ignore"):
        pick = linear.rsquared_adj > parabolic.rsquared_adj
    return linear.where(pick, parabolic)


def _exponential(block: _Block) -> tuple[_Result, BoolArray]:
    """Per-series exponential fits; returns the results and the non-converged rows."""
    m = block.x.shape[0]
    res = _poly(block, 1, FitKind.EXPONENTIAL)  # shapes and input checks
    failed = np.zeros(m, dtype=bool)
    for row in range(m):
        if res.status[row] in (FitStatus.NO_DATA, FitStatus.NONFINITE):
            continue
        spec = block.specs[row]
        fit = fit_exponential(
            block.x[row], block.y[row], block.usable[row], block.finite[row],
            spec.filtering_iterations, spec.std_devs, spec.use_standard_deviation_filtering,
        )  # fmt: skip
        if not fit.converged:
            failed[row] = True
            continue
        n = np.array([fit.n])
        sef = np.sqrt(fit.ssr / (fit.n - 3)) if fit.n > 3 else np.nan
        xk = block.x[row][fit.kept]
        ci_term = np.array([xk.mean() ** 2 / np.sum((xk - xk.mean()) ** 2)])
        code = block.err_codes[row : row + 1]
        err = _intercept_errors(code, False, np.array([sef]), np.array([fit.v]), n,
                                np.array([fit.ssr]), ci_term)  # fmt: skip
        res.value[row], res.error[row], res.fn[row] = fit.value, err[0], fit.n
        res.kept[row], res.outliers[row] = fit.kept, fit.outliers
        res.sef[row], res.rsquared_adj[row] = sef, np.nan
        res.coef[row, :3] = fit.params
        res.hat0[row] = np.nan
        ok = np.isfinite(fit.value) and np.isfinite(err[0]) and fit.n > 3
        res.status[row] = FitStatus.OK if ok else FitStatus.TOO_FEW_POINTS
    return res, failed


def _engine(spec: FitSpec) -> tuple[str, int]:
    if spec.kind is FitKind.AUTO:
        return "auto", 3
    if spec.kind is FitKind.EXPONENTIAL:
        return "exp", 3
    degree = spec.kind.degree
    assert degree is not None
    return "poly", degree + 1


@dataclass(frozen=True)
class _SpecTable:
    """Distinct specs and per-distinct-spec settings as arrays: a batch of 100,000
    series usually holds a handful of distinct specs, so settings are gathered with
    one index operation per block instead of Python loops over series."""

    unique: list[FitSpec]
    ids: IntArray
    offset: FloatArray
    iterations: IntArray
    std_devs: FloatArray
    use_sd: BoolArray
    err_code: IntArray
    engines: list[tuple[str, int]]

    @classmethod
    def build(cls, specs: FitSpec | Sequence[FitSpec], n: int) -> _SpecTable:
        if isinstance(specs, FitSpec):
            index = {specs: 0}
            ids = np.zeros(n, dtype=np.int64)
        else:
            index = {}
            ids = np.fromiter((index.setdefault(s, len(index)) for s in specs), np.int64)
            if len(ids) != n:
                raise UsageError(f"{len(ids)} fit specs for {n} series (one, or one per series)")
        unique = list(index)
        return cls(
            unique,
            ids,
            np.array([s.time_zero_offset for s in unique], dtype=np.float64),
            np.array([s.filtering_iterations for s in unique], dtype=np.int64),
            np.array([s.std_devs for s in unique], dtype=np.float64),
            np.array([s.use_standard_deviation_filtering for s in unique], dtype=bool),
            np.array([_ERR_CODES[s.error_type] for s in unique], dtype=np.int64),
            [_engine(s) for s in unique],
        )

    def groups(self) -> dict[tuple[str, int], IntArray]:
        """Series indices per engine (model family and coefficient count)."""
        keys = sorted(set(self.engines))
        code = np.array([keys.index(e) for e in self.engines], dtype=np.int64)
        per_series = code[self.ids]
        return {key: np.flatnonzero(per_series == i) for i, key in enumerate(keys)}


def fit_batch(
    t: SeriesLike,
    y: SeriesLike,
    specs: FitSpec | Sequence[FitSpec],
    user_excluded: ExcludedLike = None,
) -> FitBatch:
    """Fit N series. ``t``/``y``: (N, P) NaN-padded arrays or lists of 1-D arrays;
    ``specs``: one for all or one per series; ``user_excluded``: (N, P) bool mask or
    per-series index lists. See :class:`FitBatch` for the result."""
    series = SeriesSet(t, y, user_excluded)
    count, width = len(series), series.width
    table = _SpecTable.build(specs, count)
    value, error = np.full(count, np.nan), np.full(count, np.nan)
    sef, r2adj = np.full(count, np.nan), np.full(count, np.nan)
    fn = np.zeros(count, dtype=np.int64)
    outliers = np.zeros((count, width), dtype=bool)
    kept = np.zeros((count, width), dtype=bool)
    present = np.zeros((count, width), dtype=bool)
    status = np.zeros(count, dtype=np.int8)
    coef = np.full((count, MAX_COEF), np.nan)
    centre, scale = np.zeros(count), np.ones(count)
    hat0 = np.full((count, MAX_COEF), np.nan)
    kind = np.full(count, "", dtype=f"<U{max(len(k.value) for k in FitKind)}")

    def store(block: _Block, res: _Result) -> None:
        idx, w = block.idx, min(block.x.shape[1], width)  # beyond `width`: padding only
        value[idx], error[idx], fn[idx], status[idx] = res.value, res.error, res.fn, res.status
        sef[idx], r2adj[idx], coef[idx] = res.sef, res.rsquared_adj, res.coef
        centre[idx], scale[idx], kind[idx], hat0[idx] = res.centre, res.scale, res.kind, res.hat0
        outliers[idx, :w], kept[idx, :w] = res.outliers[:, :w], res.kept[:, :w]
        present[idx, :w] = block.present[:, :w]

    fallback: list[int] = []
    for (engine, q), members in table.groups().items():
        for idx in blocks(members, series.lengths):
            block = _Block.build(series, idx, table)
            if engine == "auto":
                store(block, _auto(block))
            elif engine == "exp":
                res, failed = _exponential(block)
                store(block, res)
                fallback.extend(int(i) for i in idx[failed])
            else:
                store(block, _poly(block, q, _POLY_KINDS[q]))
    for idx in blocks(np.array(fallback, dtype=np.int64), series.lengths):
        block = _Block.build(series, idx, table)
        res = _poly(block, 1, FitKind.AVERAGE)
        res.status[res.status == FitStatus.OK] = FitStatus.NONLINEAR_FALLBACK
        store(block, res)
    user = present & ~kept & ~outliers
    return FitBatch(
        value=value, error=error, n=present.sum(axis=1).astype(np.int64), fn=fn,
        outliers=outliers, excluded=(user | outliers) & present, present=present,
        kind_used=kind, status=status, sef=sef, rsquared_adj=r2adj, coef=coef,
        centre=centre, scale=scale, hat0=hat0,
    )  # fmt: skip
