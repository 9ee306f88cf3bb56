"""Blank and IC-factor files from a :class:`~ardvc.reduction.references.ReferencePlan`, and
the one commit that writes them (pychron-format.md §5.5, §5.6, §6.2).

Every other entry and top-level key of an existing file stays as it is; each computed entry
is replaced by Pychron's keys (``value``, ``error``, ``fit``, ``error_type``,
``references``, ``reviewed``; IC factors also ``standard_ratio`` and
``reference_detector``) plus what Pychron leaves unrecorded (format §12 #7): the reference
series itself (``reference_data``: epoch seconds, values, errors, as Pychron writes it for
IC factors) and an ``ardvc`` block with the selection parameters, the time zone and the
references that entered the value. The value can thus be re-derived from the file alone,
even when the reference repositories are not at hand. The commit message lists the fits
exactly as the files spell them, so it cannot contradict them (format §6.2, §12 #19).
"""

from __future__ import annotations

from typing import Any

from ardvc import __version__
from ardvc.data import DataRepo
from ardvc.data.write import write_modifiers
from ardvc.errors import ConcurrentUpdateError, MissingInputError
from ardvc.formats.jsonio import loads
from ardvc.gitstore import Author, CommitResult
from ardvc.gitstore.messages import BLANKS, ICFACTOR, fits_message
from ardvc.reduction.references import Computed, ReferencePlan

Json = Any

X_AXIS = "hours relative to the newest timestamp among references and unknowns"


def fit_label(plan: ReferencePlan, computed: Computed) -> str:
    """The ``fit`` string as Pychron writes it: blank files carry the error-kind suffix
    (``Weighted Mean_SD``), IC-factor files the bare kind (``Weighted Mean``)."""
    return computed.fit.name if plan.modifier == "blanks" else computed.fit.kind.value


def entry_content(plan: ReferencePlan, computed: Computed) -> dict[str, Json]:
    """The new JSON entry of one computed blank or IC factor."""
    series = computed.series
    ardvc: dict[str, Json] = {
        "version": __version__,
        **plan.selection.as_dict(),
        "mass_spectrometer": plan.selection.mass_spectrometer
        or (computed.analysis.main.mass_spectrometer or "").lower()
        or None,
        "x": X_AXIS,
        "used": list(computed.used_record_ids),
    }
    entry: dict[str, Json] = {
        "value": computed.value,
        "error": computed.error,
        "fit": fit_label(plan, computed),
        "error_type": computed.fit.error_type,
        "references": [
            {"record_id": r.record_id, "uuid": r.uuid, "exclude": r.tag} for r in series.references
        ],
        "reviewed": True,
        "reference_data": {
            "xs": [float(r.seconds) for r in series.references],
            "vs": list(series.values),
            "es": list(series.errors),
        },
        "ardvc": ardvc,
    }
    if plan.ratio is not None:
        entry["standard_ratio"] = plan.ratio.standard_ratio
        entry["reference_detector"] = plan.ratio.numerator
        ardvc["ratio"] = plan.ratio.name
    return entry


def file_contents(plan: ReferencePlan) -> dict[tuple[str, str], dict[str, Json]]:
    """``(analysis name, modifier)`` → the whole new file of every unknown with a computed
    entry: its current file with those entries replaced (or a new file)."""
    out: dict[tuple[str, str], dict[str, Json]] = {}
    for computed in plan.computed:
        analysis = computed.analysis
        slot = (analysis.name, plan.modifier)
        if slot not in out:
            current: dict[str, Json] = {}
            if analysis.has(plan.modifier):
                current = loads(
                    analysis.raw_bytes(plan.modifier),
                    path=analysis.path(plan.modifier) or plan.modifier,
                    repo=analysis.repo,
                    commit=analysis.commit,
                )
            out[slot] = dict(current)
        out[slot][computed.key] = entry_content(plan, computed)
    return out


def commit_message(plan: ReferencePlan) -> str:
    """``<BLANKS>.blanks auto update blanks, fits=Ar36(Bracketing Interpolate),…`` or
    ``<ICFactor>.icfactors auto update ic_factors, fits=CDD(Average)``, from the entries
    written, sorted by key."""
    fits = sorted({(c.key, fit_label(plan, c)) for c in plan.computed})
    if plan.modifier == "blanks":
        return fits_message(BLANKS, "blanks", fits, prefix="auto update blanks,")
    return fits_message(ICFACTOR, "icfactors", fits, prefix="auto update ic_factors,")


def save_plan(repo: DataRepo, plan: ReferencePlan, author: Author) -> CommitResult:
    """Write every computed entry in one commit on the branch the plan was computed at;
    refuse when that branch has moved since (the kept entries would be stale)."""
    if not plan.computed:
        raise MissingInputError(
            f"nothing to write to {repo.name}: no {plan.modifier} entry could be computed",
            hint="; ".join(plan.problems[:3]) or None,
        )
    branch = repo.git.target_branch(None)
    head = repo.git.branch_head(branch) if branch else None
    if head != plan.head:
        raise ConcurrentUpdateError(
            f"{repo.name} moved from {plan.head[:10]} to {(head or 'nothing')[:10]} since the "
            f"{plan.modifier} were computed; nothing was written",
            hint="run the command again",
        )
    return write_modifiers(repo, file_contents(plan), commit_message(plan), author)
