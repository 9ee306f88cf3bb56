"""``ardvc exp apply``: commit an experiment's results in the lab's repository.

Refits are committed as ``ardvc fit --save`` commits them (``<ISOEVO>.intercepts`` then
``<ISOEVO>.baselines``, one branch move), interpreted ages as ``ardvc ia save`` does
(``<IA>``). Before anything is written, apply checks that the experiment still holds:
every file of every chosen analysis must be the blob the experiment started from (the
lab's branch may have moved for other analyses), and the refitted entries about to be
written must equal the experiment's own (only the ``ardvc.data_commit`` note may differ).
So the ages ``ardvc reduce`` gives afterwards, with the experiment's settings, are the
experiment's ages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ardvc.data import Analysis, DataRepo
from ardvc.errors import ConcurrentUpdateError, UsageError
from ardvc.exps.run import experiment_settings
from ardvc.exps.store import BRANCH, Applied, Experiment, ExperimentStore
from ardvc.formats.jsonio import loads
from ardvc.gitstore import Author, GitRepo
from ardvc.meta import MetaRepo
from ardvc.reduction.fit_files import (
    FitPlan,
    branch_and_head,
    file_contents,
    plan_fits,
    save_fit_plan,
)
from ardvc.reduction.ia_save import plan_ia, save_ia_plan
from ardvc.reduction.refit import FitOverrides

RERUN = "run the experiment again (ardvc exp run --replace …) on the current data"


@dataclass
class ApplyOptions:
    only: Sequence[str] = ()
    """Run IDs / uuids to apply (default: every analysis of the experiment)."""
    ia: bool = False
    ia_name: str | None = None
    preferred: str | None = None
    exclude: Sequence[str] = field(default_factory=tuple)


def _chosen(experiment: Experiment, only: Sequence[str]) -> list[str]:
    if not only:
        return list(experiment.analyses)
    names = {}
    for name, result in zip(experiment.analyses, experiment.results, strict=True):
        for key in (name, result.get("record_id"), result.get("uuid")):
            if key:
                names[str(key)] = name
    unknown = [o for o in only if o not in names]
    if unknown:
        raise UsageError(f"not in experiment {experiment.name}: {', '.join(unknown)}")
    return list(dict.fromkeys(names[o] for o in only))


def _files(analysis: Analysis) -> dict[str | None, str]:
    return {m: f.blob_id for m, f in analysis.files.items()}


def _check_inputs(data: DataRepo, experiment: Experiment, head: str, names: list[str]) -> None:
    """Every file of the chosen analyses is what the experiment started from."""
    moved = [
        n
        for n in names
        if _files(data.analysis(n, experiment.base)) != _files(data.analysis(n, head))
    ]
    if moved:
        raise ConcurrentUpdateError(
            f"{len(moved)} analyses changed in {data.name}:{experiment.branch} since the "
            f"experiment ran ({', '.join(moved[:3])}); nothing was written",
            hint=RERUN,
        )


def _without_note(content: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, entry in content.items():
        if isinstance(entry, dict) and isinstance(entry.get("ardvc"), dict):
            entry = {
                **entry,
                "ardvc": {k: v for k, v in entry["ardvc"].items() if k != "data_commit"},
            }
        out[key] = entry
    return out


def _check_same(plan: FitPlan, own: DataRepo) -> None:
    """The entries about to be written equal those the experiment wrote."""
    for (name, modifier), content in file_contents(plan, plan.writable).items():
        mine = own.analysis(name, BRANCH)
        path = mine.path(modifier) or modifier
        theirs = loads(mine.raw_bytes(modifier), path=path, repo=own.name)
        if _without_note(content) != _without_note(theirs):
            raise ConcurrentUpdateError(
                f"the refit of {name} {modifier} no longer equals the experiment's; "
                "nothing was written",
                hint=RERUN,
            )


def apply_experiment(
    store: ExperimentStore,
    name: str,
    data: DataRepo,
    meta: MetaRepo,
    author: Author,
    options: ApplyOptions,
) -> Applied:
    """Commit the experiment's refits (and, with ``options.ia``, one interpreted age per
    identifier) on the lab branch the experiment started from."""
    experiment = store.load(name)
    if data.name != experiment.repo:
        raise UsageError(f"experiment {name} is of {experiment.repo}, not {data.name}")
    if not experiment.refits and not options.ia:
        raise UsageError(
            f"experiment {name} changes reduction settings only: there is nothing to commit "
            "but an interpreted age",
            hint="add --ia to save the interpreted age of each identifier",
        )
    names = _chosen(experiment, options.only)
    _, head = branch_and_head(data, experiment.branch)
    _check_inputs(data, experiment, head, names)
    commits: list[str] = []
    if experiment.refits:
        own = DataRepo(GitRepo(store.repo_path(name, experiment.repo)))
        overrides = FitOverrides(experiment.fit_kinds, experiment.fit_error_type)
        analyses = [data.analysis(n, head) for n in names]
        plan = plan_fits(data, analyses, overrides, branch=experiment.branch)
        _check_same(plan, own)
        made = save_fit_plan(data, plan, author, skip_problems=experiment.skip_problems)
        commits += [r.commit for r in made if r.commit]
    ia_paths = []
    if options.ia:
        constants, conventions = experiment_settings(experiment)
        _, head = branch_and_head(data, experiment.branch)
        groups: dict[str, list[Analysis]] = {}
        for n in names:
            analysis = data.analysis(n, head)
            groups.setdefault(analysis.main.identifier, []).append(analysis)
        for group in groups.values():
            ia_plan = plan_ia(
                data,
                meta,
                group,
                conventions=conventions,
                constants=constants,
                meta_rev=experiment.meta_commit,
                name=options.ia_name,
                preferred=options.preferred,
                exclude=options.exclude,
                branch=experiment.branch,
            )
            result = save_ia_plan(data, ia_plan, author)
            if result.commit:
                commits.append(result.commit)
                ia_paths.append(ia_plan.path)
    applied = Applied(
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        analyses=names,
        commits=commits,
        ia_paths=ia_paths,
    )
    experiment.applied.append(applied)
    store.save(experiment)
    return applied
