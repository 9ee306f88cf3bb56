"""``ardvc ia save``: reduce one sample and commit its interpreted age (pychron-format.md
§3.4, §5.11, §6.2).

Where the file goes: the first number ``i`` for which neither
``reduction/<id[:3]>/ia/<id[3:]>_<i:05d>.ia.json`` (Pychron's location since 2026, which
every reader — Pychron's and ardvc's — tries first) nor the legacy
``<id[:3]>/ia/<id[3:]>_<i:05d>.ia.json`` exists, written under ``reduction/``. An IA file is
never rewritten in place, so there is no legacy file to keep using; checking both places
means a new file can never shadow an existing one of the same number.

The commit is ``<IA> added interpreted ages <name> <identifier> <sample>``, on the branch
head the analyses were read at; a moved branch, an unknown identifier, several identifiers,
or an analysis that does not reduce is refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ardvc.data import Analysis, DataRepo
from ardvc.data.write import encode_checked
from ardvc.errors import AnalysisNotFoundError, ConcurrentUpdateError, MissingInputError, UsageError
from ardvc.formats.ia import IAFile
from ardvc.formats.kinds import decode_file
from ardvc.formats.paths import FileAddress, normalise_name, shard_lengths
from ardvc.gitstore import Author, CommitResult, commit_files
from ardvc.gitstore.messages import IA
from ardvc.meta import MetaRepo
from ardvc.reduce.constants import ArArConstants
from ardvc.reduce.conventions import Conventions
from ardvc.reduction.fit_files import branch_and_head
from ardvc.reduction.groups import GroupValues, group_values
from ardvc.reduction.ia_write import choose_preferred, ia_content
from ardvc.reduction.run import Reduction, reduce_analyses
from ardvc.reduction.select import select_analyses

Json = Any
MAX_IA_FILES = 100_000


def ia_paths(identifier: str, number: int) -> tuple[str, str]:
    """(``reduction/…`` path, legacy path) of IA file ``number`` of ``identifier``."""
    name = normalise_name(f"{identifier}_{number:05d}")
    length = shard_lengths(name)[0]
    shard, tail = name[:length], name[length:]
    return (
        FileAddress(shard, tail, "ia", reduction=True).path,
        FileAddress(shard, tail, "ia").path,
    )


def next_ia_path(data: DataRepo, identifier: str, rev: str) -> tuple[int, str]:
    """The first number free in both locations, and the ``reduction/`` path to write."""
    for number in range(MAX_IA_FILES):
        new, legacy = ia_paths(identifier, number)
        if not data.git.exists(new, rev) and not data.git.exists(legacy, rev):
            return number, new
    raise UsageError(f"{data.name} already holds {MAX_IA_FILES} IA files for {identifier}")


def read_ia(data: DataRepo, identifier: str, number: int, rev: str | None = None) -> IAFile:
    """IA file ``number`` of ``identifier`` where ardvc's reader finds it."""
    name = f"{identifier}_{number:05d}"
    path = data.locate(name, "ia", rev)
    if path is None:
        raise AnalysisNotFoundError(f"no interpreted age {name} in {data.name}")
    return decode_file("ia", data.git.read(path, rev), path=path, repo=data.name)


@dataclass(frozen=True)
class IAPlan:
    """A reduced sample and the file that records it, not yet committed."""

    repo: str
    branch: str
    head: str
    identifier: str
    sample: str
    name: str
    number: int
    path: str
    preferred: str
    content: dict[str, Json]
    reduction: Reduction
    groups: GroupValues

    @property
    def message(self) -> str:
        return f"{IA} added interpreted ages {self.name} {self.identifier} {self.sample}"


def select_sample(
    data: DataRepo, rev: str, *, identifier: str | None = None, names: Sequence[str] = ()
) -> list[Analysis]:
    """The analyses of one sample at ``rev``: every analysis of ``identifier`` (any type),
    or the named run IDs/uuids, which must all belong to one identifier."""
    if not identifier and not names:
        raise UsageError("name the sample: an identifier, or run IDs / uuids")
    chosen = select_analyses(
        data, rev, names=names, identifiers=[identifier] if identifier else [], types=None
    )
    if not chosen:
        raise AnalysisNotFoundError(
            f"no analysis of identifier {identifier!r} in {data.name} at {rev[:10]}",
            hint="ardvc find --repo NAME lists the identifiers of a repository",
        )
    ids = sorted({a.main.identifier for a in chosen})
    if identifier and ids != [identifier]:
        raise UsageError(f"the named analyses belong to {', '.join(ids)}, not {identifier}")
    if len(ids) > 1:
        raise UsageError(f"an interpreted age is of one sample; got identifiers {', '.join(ids)}")
    return chosen


def _excluded(analyses: list[Analysis], exclude: Sequence[str]) -> tuple[list[Analysis], list[str]]:
    keys = {x: a for a in analyses for x in (a.record_id, a.uuid, a.name) if x}
    unknown = [e for e in exclude if e not in keys]
    if unknown:
        raise UsageError(f"--exclude {', '.join(unknown)}: not among the selected analyses")
    dropped = {id(keys[e]) for e in exclude}
    kept = [a for a in analyses if id(a) not in dropped]
    return kept, [a.record_id for a in analyses if id(a) in dropped]


def _default_name(analyses: list[Analysis]) -> str:
    """Pychron names a sample's IA by its aliquot (``02``) when the steps share one."""
    aliquots = {a.main.aliquot for a in analyses}
    if len(aliquots) != 1:
        raise UsageError("the steps span several aliquots: give the IA a --name")
    return f"{aliquots.pop():02d}"


def plan_ia(
    data: DataRepo,
    meta: MetaRepo,
    analyses: Sequence[Analysis],
    *,
    conventions: Conventions,
    constants: ArArConstants | None = None,
    meta_rev: str | None = None,
    name: str | None = None,
    preferred: str | None = None,
    exclude: Sequence[str] = (),
    branch: str | None = None,
) -> IAPlan:
    """Reduce ``analyses`` (one sample, read at the branch head) minus ``exclude`` and build
    the IA file; any analysis that does not reduce is refused, naming it."""
    target, head = branch_and_head(data, branch)
    if not analyses:
        raise AnalysisNotFoundError(f"no analysis selected in {data.name}")
    stale = sorted({a.commit for a in analyses} - {head})
    if stale:
        raise ConcurrentUpdateError(
            f"{data.name}:{target} is at {head[:10]}, the analyses were read at "
            f"{stale[0][:10]}; nothing was written",
            hint="read the analyses again at the branch head",
        )
    kept, excluded = _excluded(list(analyses), exclude)
    if not kept:
        raise MissingInputError("every selected analysis is excluded: nothing to reduce")
    reduction = reduce_analyses(
        kept, meta, meta_rev=meta_rev, constants=constants, conventions=conventions,
        repos={data.name: data},
    )  # fmt: skip
    failed = [r for r in reduction.results if not r.ok]
    identifier = kept[0].main.identifier
    if len(failed) == len(kept):
        raise MissingInputError(
            f"no analysis of {identifier} could be reduced: {failed[0].record_id}: "
            f"{failed[0].error}; nothing was written",
            hint="check the irradiation, J and production in the MetaRepo (--meta-at)",
        )
    if failed:
        listed = "; ".join(f"{r.record_id}: {r.error}" for r in failed[:3])
        raise MissingInputError(
            f"{len(failed)} of {len(kept)} analyses of {identifier} could not be reduced "
            f"({listed}); nothing was written",
            hint="fix their inputs, or leave them out with --exclude RUNID",
        )
    groups = group_values(reduction)
    kind = choose_preferred(groups, preferred)
    label = name if name is not None else _default_name(kept)
    number, path = next_ia_path(data, identifier, head)
    content = ia_content(
        kept, reduction, groups, kind=kind, name=label, head=head, excluded=excluded
    )
    sample = kept[0].main.sample or ""
    return IAPlan(
        data.name, target, head, identifier, sample, label, number, path, kind, content,
        reduction, groups,
    )  # fmt: skip


def save_ia_plan(data: DataRepo, plan: IAPlan, author: Author) -> CommitResult:
    """Commit the IA file of ``plan`` on top of the head it was computed at, or nothing."""
    encoded = encode_checked("ia", plan.content, plan.path)
    return commit_files(
        data.git, {plan.path: encoded}, plan.message, author,
        branch=plan.branch, expected_parent=plan.head,
    )  # fmt: skip


def save_ia(
    data: DataRepo,
    meta: MetaRepo,
    author: Author,
    *,
    conventions: Conventions,
    identifier: str | None = None,
    names: Sequence[str] = (),
    constants: ArArConstants | None = None,
    meta_rev: str | None = None,
    name: str | None = None,
    preferred: str | None = None,
    exclude: Sequence[str] = (),
    branch: str | None = None,
) -> tuple[IAPlan, CommitResult]:
    """Select one sample at the branch head, reduce it, and commit its IA file."""
    _, head = branch_and_head(data, branch)
    analyses = select_sample(data, head, identifier=identifier, names=names)
    plan = plan_ia(
        data, meta, analyses, conventions=conventions, constants=constants, meta_rev=meta_rev,
        name=name, preferred=preferred, exclude=exclude, branch=branch,
    )  # fmt: skip
    return plan, save_ia_plan(data, plan, author)
