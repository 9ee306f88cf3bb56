"""``ardvc exp run``: reduce a selection with other settings, away from the lab's branches.

The experiment gets its own bare repository under ``.ardvc/tmp/exps/<name>/`` whose
object store borrows the lab repository's (git's ``objects/info/alternates``: nothing is
copied) and whose branch ``experiment`` starts at the lab branch's head. Refits
(``--set fit.Ar40=linear``) are committed there exactly as ``ardvc fit --save`` would
commit them in the lab; the selection is then reduced from that branch with the
experiment's constants and conventions. The lab's repositories are only read: none of
their refs, files or objects change. The experiment is assembled under a temporary name
and renamed into place last, so a failed run leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pygit2

from ardvc import __version__
from ardvc.cache.runcache import RunCache
from ardvc.config import Config
from ardvc.data import DataRepo
from ardvc.errors import AnalysisNotFoundError, UsageError
from ardvc.exps.runner import ReductionRequest, reduce_selection
from ardvc.exps.store import BRANCH, Experiment, ExperimentStore
from ardvc.gitstore import Author, CommitPolicy, GitRepo
from ardvc.logs import get_logger
from ardvc.meta import MetaRepo
from ardvc.reduce.constants import ArArConstants
from ardvc.reduce.conventions import Conventions
from ardvc.reduction.fit_files import branch_and_head, plan_fits, save_fit_plan
from ardvc.reduction.refit import FitOverrides
from ardvc.reduction.select import DEFAULT_TYPES, select_analyses
from ardvc.reduction.settings import settings

FIT_PREFIX = "fit."
Progress = Callable[[str], None]


@dataclass(frozen=True)
class ExperimentRequest:
    """What to try: the selection (as for ``ardvc reduce``) and the settings."""

    name: str
    repo: str
    names: Sequence[str] = ()
    identifiers: Sequence[str] = ()
    types: Sequence[str] | None = DEFAULT_TYPES
    sets: Sequence[str] = ()
    """``fit.KEY=FIT``, ``fit.error_type=TYPE`` and every ``ardvc reduce --set`` key."""
    conventions: str | None = None
    meta_rev: str | None = None
    skip_problems: bool = False
    replace: bool = False


def split_sets(sets: Sequence[str]) -> tuple[FitOverrides | None, list[str]]:
    """``fit.*`` settings as :class:`FitOverrides` (validated), the rest for reduction."""
    kinds: dict[str, str] = {}
    error_type: str | None = None
    rest = []
    for item in sets:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep:
            raise UsageError(f"expected KEY=VALUE, got {item!r}")
        if not key.startswith(FIT_PREFIX):
            rest.append(item)
            continue
        target = key[len(FIT_PREFIX) :]
        if not target:
            raise UsageError(f"{item!r}: name what to refit, e.g. fit.Ar40=linear")
        if target == "error_type":
            error_type = value.strip()
        else:
            kinds[target] = value.strip()
    fits = FitOverrides(kinds, error_type) if kinds or error_type else None
    return fits, rest


def resolved_sets(
    config: Config, sets: Sequence[str], conventions: str | None
) -> tuple[list[str], str]:
    """The lab's reduction defaults and the experiment's settings as one ``--set`` list
    and a conventions preset: reproducible later whatever the configuration says then."""
    name = conventions or str(config.get("reduce.conventions"))
    base = [
        f"constants={config.get('reduce.decay_constants')}",
        f"atmosphere={config.get('reduce.atmosphere')}",
        f"monitor={config.get('reduce.monitor')}",
    ]
    if config.get("lab.timezone"):
        base.append(f"timezone={config.get('lab.timezone')}")
    return [*base, *sets], name


def experiment_settings(experiment: Experiment) -> tuple[ArArConstants, Conventions]:
    """The constants and conventions an experiment reduced with."""
    _, rest = split_sets(experiment.sets)
    return settings(None, rest, conventions=experiment.conventions)


def _own_repository(path: Path, lab: GitRepo, base: str) -> GitRepo:
    """A bare repository at ``path`` reading the lab repository's objects, its branch
    ``experiment`` at ``base``; new objects are written here, never there."""
    pygit2.init_repository(str(path), bare=True)
    alternates = path / "objects" / "info" / "alternates"
    alternates.parent.mkdir(parents=True, exist_ok=True)
    # relative, and the staging folder sits beside the final one: the link survives the
    # rename into place and a move of the whole lab
    target = os.path.relpath(
        (lab.git_dir / "objects").resolve(), alternates.parent.parent.resolve()
    )
    alternates.write_text(f"{target}\n")
    raw = pygit2.Repository(str(path))
    raw.references.create(f"refs/heads/{BRANCH}", pygit2.Oid(hex=base))
    raw.set_head(f"refs/heads/{BRANCH}")
    return GitRepo(path, CommitPolicy(branch=BRANCH, update_worktree=False))


def _discard(folder: Path) -> None:
    try:
        shutil.rmtree(folder)
    except OSError as exc:  # the run's own error is what the caller must see
        get_logger("exps").warning("could not remove %s: %s", folder, exc)


def run_experiment(
    store: ExperimentStore,
    data: DataRepo,
    meta: MetaRepo,
    config: Config,
    author: Author,
    request: ExperimentRequest,
    progress: Progress | None = None,
    runs: RunCache | None = None,
) -> Experiment:
    """Run ``request`` and record it; the lab's repositories are only read. With ``runs``
    (the lab's run-cache) an equal reduction is a lookup."""
    say = progress or (lambda _: None)
    store.check_new(request.name, request.replace)
    fits, _ = split_sets(request.sets)
    sets, conventions_name = resolved_sets(config, request.sets, request.conventions)
    constants, conventions = settings(None, split_sets(sets)[1], conventions=conventions_name)
    branch, base = branch_and_head(data)
    meta_commit = meta.commit_id(request.meta_rev)
    store.folder.mkdir(parents=True, exist_ok=True)
    staging = store.folder / f".{request.name}.tmp-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        say("borrowing the repository")
        own = DataRepo(_own_repository(staging / f"{data.name}.git", data.git, base))
        analyses = select_analyses(
            own, BRANCH, names=request.names, identifiers=request.identifiers, types=request.types
        )
        if not analyses:
            raise AnalysisNotFoundError(
                f"the selection is empty in {data.name}",
                hint="check --identifier, --type or the run IDs",
            )
        commits: list[str] = []
        if fits is not None:
            say(f"refitting {len(analyses)} analyses")
            plan = plan_fits(own, analyses, fits, branch=BRANCH)
            made = save_fit_plan(own, plan, author, skip_problems=request.skip_problems)
            commits = [r.commit for r in made if r.commit]
            analyses = [own.analysis(a.name, BRANCH) for a in analyses]
        say(f"reducing {len(analyses)} analyses")
        reduction_request = ReductionRequest(
            analyses, own, meta, meta_commit, constants, conventions, runs
        )
        reduction = reduce_selection(reduction_request)
        experiment = Experiment(
            name=request.name,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            ardvc_version=__version__,
            repo=data.name,
            branch=branch,
            base=base,
            meta_commit=meta_commit,
            selection={
                "names": list(request.names),
                "identifiers": list(request.identifiers),
                "types": list(request.types or []),
            },
            analyses=[a.name for a in analyses],
            requested=list(request.sets),
            sets=sets,
            conventions=conventions_name,
            fit_kinds=dict(fits.kinds) if fits else {},
            fit_error_type=fits.error_type if fits else None,
            skip_problems=request.skip_problems,
            commits=commits,
            results=[r.as_dict() for r in reduction.results],
            from_run_cache=reduction.from_run_cache,
        )
        store.save(experiment, staging)
        final = store.path(request.name)
        if final.exists():  # --replace: the old one goes only now that the new one is whole
            shutil.rmtree(final)
        staging.rename(final)
    except BaseException:
        _discard(staging)
        raise
    return experiment
