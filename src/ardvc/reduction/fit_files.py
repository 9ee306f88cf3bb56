"""``ardvc fit --save``: refitted intercepts and baselines written back, Pychron ≥ 2021 style
(pychron-format.md §5.3, §5.4, §6.2).

A :class:`FitPlan` holds the refits of a selection read at the branch head. Saving rewrites
each analysis' ``intercepts`` and ``baselines`` file with every refitted entry replaced by
Pychron's post-reduction keys (``value``, ``error``, ``fit``, ``error_type``,
``filter_outliers_dict``, ``n``, ``fn``, ``outlier_excluded``, ``user_excluded``,
``include_baseline_error``, ``reviewed``) plus an ``ardvc`` block naming the ardvc version
and the ``.data`` blob the fit was made from, so the value can be re-derived. Every other
key, entry and the file's JSON style stay as they are. Two commits, as Pychron makes them:
``<ISOEVO>.intercepts fits=…`` then ``<ISOEVO>.baselines fits=…``, the fit lists taken from
what the files say.

An entry that could not be refitted (a problem row, or a fit that failed: too few points,
singular, non-finite, no data, a non-converged exponential) makes the save refuse, unless
``skip_problems``: then those entries are left exactly as stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ardvc import __version__
from ardvc.data import Analysis, DataRepo
from ardvc.data.write import encode_checked
from ardvc.errors import (
    BranchNotFoundError,
    ConcurrentUpdateError,
    MissingInputError,
    UsageError,
)
from ardvc.formats.fits import FitEntry
from ardvc.formats.jsonio import detect_style, loads
from ardvc.gitstore import Author, CommitResult, CommitStep, commit_series
from ardvc.gitstore.messages import ISOEVO, fits_message
from ardvc.reduce.fitspec import STATUS_REASONS, ErrorType, FitKind, FitStatus
from ardvc.reduction.refit import FitOverrides, RefitRow, refit_many, spec_from_entry

Json = Any

MODIFIER = {"signal": "intercepts", "baseline": "baselines"}
FIT_NAMES: dict[FitKind, str] = {
    FitKind.LINEAR: "linear",
    FitKind.PARABOLIC: "parabolic",
    FitKind.CUBIC: "cubic",
    FitKind.QUARTIC: "quartic",
    FitKind.AVERAGE: "average",
    FitKind.WEIGHTED_MEAN: "weighted mean",
    FitKind.EXPONENTIAL: "exponential",
    FitKind.AUTO: "Auto Linear/Parabolic",
}
"""How a fit chosen with ``--fit`` is spelled in the file (Pychron's own spellings)."""
ERROR_TYPE_NAMES: dict[ErrorType, str] = {
    ErrorType.SEM: "SEM",
    ErrorType.SD: "SD",
    ErrorType.CI: "CI",
    ErrorType.MSEM: "SE but if MSWD>1 use SE * sqrt(MSWD)",
}
"""Error types as Pychron writes them; ``MSEM`` is Pychron's current sentence."""


class UnrefittableEntriesError(MissingInputError):
    """Some selected entries could not be refitted, so nothing was written."""


SAVABLE = frozenset({FitStatus.OK, FitStatus.ALL_EXCLUDED})
"""Statuses whose result is saved: ``ALL_EXCLUDED`` is the 0 ± 0 Pychron itself computes
for constant data (all-zero ion-counter baselines); it is recorded in the ``ardvc`` block."""


def problem_reason(row: RefitRow) -> str | None:
    """Why ``row`` cannot be saved: its problem, or a fit status not in :data:`SAVABLE`."""
    if row.problem is not None:
        return row.problem
    if row.status is not None and row.status not in SAVABLE:
        return STATUS_REASONS[row.status]
    return None


@dataclass(frozen=True)
class FitPlan:
    """Refits of analyses read at ``head``, the tip of ``branch`` of ``repo``."""

    repo: str
    branch: str
    head: str
    analyses: dict[str, Analysis]
    rows: list[RefitRow]
    overrides: FitOverrides | None = None

    @property
    def problems(self) -> list[RefitRow]:
        return [r for r in self.rows if problem_reason(r) is not None]

    @property
    def writable(self) -> list[RefitRow]:
        return [r for r in self.rows if problem_reason(r) is None]


def branch_and_head(repo: DataRepo, branch: str | None = None) -> tuple[str, str]:
    """The branch commits go to and its tip; refuse a detached HEAD or an empty branch."""
    target = repo.git.target_branch(branch)
    head = repo.git.branch_head(target) if target else None
    if target is None or head is None:
        raise BranchNotFoundError(
            f"{repo.name} has no branch to commit on (detached HEAD or empty branch)",
            hint="check out a branch, or set core.branch",
        )
    return target, head


def require_branch_head(repo: DataRepo, rev: str | None, branch: str | None = None) -> str:
    """The branch head, refusing a ``rev`` that is anything else (``--save`` with ``--at``):
    values refitted from an older state must not be committed on top of a newer one."""
    target, head = branch_and_head(repo, branch)
    if rev is not None and str(repo.git.resolve(rev).id) != head:
        raise UsageError(
            f"--save writes on the head of {repo.name}:{target} ({head[:10]}), "
            f"but --at {rev} is another commit",
            hint="drop --at (or give the branch head) to save",
        )
    return head


def plan_fits(
    repo: DataRepo,
    analyses: Sequence[Analysis],
    overrides: FitOverrides | None = None,
    *,
    branch: str | None = None,
) -> FitPlan:
    """Refit ``analyses`` (all read at the branch head) for saving."""
    target, head = branch_and_head(repo, branch)
    stale = sorted({a.commit for a in analyses} - {head})
    if stale:
        raise UsageError(
            f"the analyses were read at {stale[0][:10]}, not at the head of "
            f"{repo.name}:{target} ({head[:10]})",
            hint="read them at the branch head to save refits",
        )
    rows = refit_many(analyses, overrides)
    return FitPlan(repo.name, target, head, {a.name: a for a in analyses}, rows, overrides)


def written_fit(row: RefitRow, entry: FitEntry, offset: float) -> tuple[str, str]:
    """``(fit, error_type)`` as the file will spell them: the stored strings when the
    refit used the stored settings, Pychron's spelling of what ``--fit`` chose otherwise."""
    assert row.spec is not None
    stored = spec_from_entry(entry, offset)
    fit = entry.fit if entry.fit is not None and stored.kind is row.spec.kind else None
    error_type = entry.error_type if stored.error_type is row.spec.error_type else None
    return (
        fit if fit is not None else FIT_NAMES[row.spec.kind],
        error_type if error_type is not None else ERROR_TYPE_NAMES[row.spec.error_type],
    )


def entry_content(
    row: RefitRow, analysis: Analysis, current: dict[str, Json], head: str
) -> dict[str, Json]:
    """The new JSON entry of one refit: ``current`` with the post-reduction keys set."""
    fits = analysis.intercepts if row.series == "signal" else analysis.baselines
    assert fits is not None and row.spec is not None
    entry = fits.entries[row.key]
    fit, error_type = written_fit(row, entry, analysis.main.time_zero_offset or 0.0)
    stored_filter = current.get("filter_outliers_dict")
    spec = row.spec
    out = dict(current)
    out.update(
        value=row.value,
        error=row.error,
        fit=fit,
        error_type=error_type,
        filter_outliers_dict=stored_filter
        if isinstance(stored_filter, dict)
        else {
            "filter_outliers": spec.filter_outliers,
            "iterations": spec.iterations,
            "std_devs": spec.std_devs,
            "use_iqr_filtering": False,
            "use_standard_deviation_filtering": spec.use_standard_deviation_filtering,
        },
        n=row.n,
        fn=row.fn,
        outlier_excluded=sorted(row.outliers),
        user_excluded=list(entry.user_excluded or []),
        include_baseline_error=bool(current.get("include_baseline_error", False)),
        reviewed=True,
        ardvc={
            "version": __version__,
            "data_blob": analysis.files[".data"].blob_id,
            "data_commit": head,
            "fit_used": row.kind_used,
        },
    )
    if row.status is not None and row.status is not FitStatus.OK:
        out["ardvc"]["status"] = f"{row.status.name}: {STATUS_REASONS[row.status]}"
    return out


def _raw_file(analysis: Analysis, modifier: str) -> dict[str, Json]:
    data: dict[str, Json] = loads(
        analysis.raw_bytes(modifier),
        path=analysis.path(modifier) or modifier,
        repo=analysis.repo,
        commit=analysis.commit,
    )
    return data


def file_contents(
    plan: FitPlan, rows: Iterable[RefitRow]
) -> dict[tuple[str, str], dict[str, Json]]:
    """``(analysis name, modifier)`` → the whole new file, each written entry replaced."""
    out: dict[tuple[str, str], dict[str, Json]] = {}
    for row in rows:
        analysis = plan.analyses[row.analysis]
        slot = (row.analysis, MODIFIER[row.series])
        if slot not in out:
            out[slot] = dict(_raw_file(analysis, slot[1]))
        current = out[slot].get(row.key)
        out[slot][row.key] = entry_content(
            row, analysis, current if isinstance(current, dict) else {}, plan.head
        )
    return out


def commit_messages(
    rows: Iterable[RefitRow], contents: dict[tuple[str, str], dict[str, Json]]
) -> dict[str, str]:
    """modifier → ``<ISOEVO>.<modifier> fits=Key(fit),…``, the fits read back from the
    entries as written (so the message cannot contradict the files), sorted by key."""
    fits: dict[str, set[tuple[str, str]]] = {}
    for row in rows:
        modifier = MODIFIER[row.series]
        entry = contents[(row.analysis, modifier)][row.key]
        fits.setdefault(modifier, set()).add((row.key, str(entry["fit"])))
    return {m: fits_message(ISOEVO, m, sorted(pairs)) for m, pairs in fits.items()}


def _refuse_problems(plan: FitPlan) -> None:
    problems = plan.problems
    if not problems:
        return
    shown = "; ".join(f"{r.analysis} {r.series} {r.key}: {problem_reason(r)}" for r in problems[:3])
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    raise UnrefittableEntriesError(
        f"{len(problems)} selected entries of {plan.repo} could not be refitted: "
        f"{shown}{more}; nothing was written",
        hint="fix or deselect them, or pass --skip-problems to leave them as stored",
    )


def save_fit_plan(
    repo: DataRepo, plan: FitPlan, author: Author, *, skip_problems: bool = False
) -> list[CommitResult]:
    """Commit the refits of ``plan``: intercepts, then baselines; refuse when any entry
    could not be refitted (unless ``skip_problems``) or when the branch has moved."""
    if not skip_problems:
        _refuse_problems(plan)
    rows = plan.writable
    if not rows:
        raise UnrefittableEntriesError(
            f"nothing to write to {repo.name}: no selected entry could be refitted"
        )
    contents = file_contents(plan, rows)
    messages = commit_messages(rows, contents)
    head = repo.git.branch_head(plan.branch)
    if head != plan.head:
        raise ConcurrentUpdateError(
            f"{repo.name}:{plan.branch} moved from {plan.head[:10]} to "
            f"{(head or 'nothing')[:10]} since the data were read; nothing was written",
            hint="run the command again",
        )
    changes: dict[str, dict[str, bytes]] = {}
    for (name, modifier), content in contents.items():
        analysis = plan.analyses[name]
        path = analysis.path(modifier)
        assert path is not None
        style = detect_style(analysis.raw_bytes(modifier))
        changes.setdefault(modifier, {})[path] = encode_checked(modifier, content, path, style)
    steps = [
        CommitStep(changes[modifier], messages[modifier])
        for modifier in ("intercepts", "baselines")
        if modifier in changes
    ]
    # both commits, chained, published by one branch move: a crash or a concurrent writer
    # leaves the intercepts and baselines of a refit together or not at all
    results = commit_series(repo.git, steps, author, branch=plan.branch, expected_parent=plan.head)
    return results


def save_fits(
    repo: DataRepo,
    analyses: Sequence[Analysis],
    overrides: FitOverrides | None,
    author: Author,
    *,
    skip_problems: bool = False,
    branch: str | None = None,
) -> list[CommitResult]:
    """Refit ``analyses`` (read at the branch head) and commit the results."""
    plan = plan_fits(repo, analyses, overrides, branch=branch)
    return save_fit_plan(repo, plan, author, skip_problems=skip_problems)
