"""Offline mode: work without the network, then share everything.

``prepare`` clones (or pulls) the chosen data repositories and the MetaRepo and builds a
local SQLite index from git — not a database export, so it is exactly what git holds.
While offline, commits land locally (acquisition queues them in the outbox without trying
to push), the offline index follows every commit, and network commands refuse.
``finish`` pulls what others pushed meanwhile (new analyses are new files: the merge is
clean), pushes and drains the outbox, and only then re-syncs the lab's shared index and
leaves offline mode. Anything that fails leaves the lab offline with the report: nothing
is lost and ``finish`` can be run again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ardvc.gitstore import GitRepo
from ardvc.index.sync import SyncReport as IndexReport
from ardvc.sync.configure import clone_repositories
from ardvc.sync.context import SyncLab
from ardvc.sync.offline_state import (
    LabOfflineError,
    OfflineState,
    now,
    offline_dir,
    offline_index_url,
)
from ardvc.sync.operations import ShareReport, pull_lab, share
from ardvc.sync.steps import Progress, SyncReport


@dataclass
class PrepareReport:
    clone: SyncReport
    pull: SyncReport | None
    analyses: int = 0
    """Analyses in the offline index."""
    state: OfflineState | None = None

    @property
    def ok(self) -> bool:
        return self.state is not None and self.state.active

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "clone": self.clone.as_dict(),
                "pull": self.pull.as_dict() if self.pull else None, "analyses": self.analyses,
                "state": None if self.state is None else vars_of(self.state)}  # fmt: skip


def vars_of(state: OfflineState) -> dict[str, Any]:
    return {f: getattr(state, f) for f in state.__struct_fields__}


def prepare(
    lab: SyncLab, repos: Sequence[str], remote: str | None = None, *,
    progress: Progress | None = None,
) -> PrepareReport:  # fmt: skip
    """Make the lab ready to work offline on ``repos`` (see the module docstring)."""
    state = OfflineState.load(lab.workspace)
    if state.active:
        raise LabOfflineError(f"the lab is offline already (since {state.since})",
                         hint="ardvc offline finish first")  # fmt: skip
    name = lab.remote_name(remote)
    cloned = clone_repositories(lab, name, list(repos), progress=progress)
    report = PrepareReport(cloned, None)
    if not cloned.ok:
        return report
    report.pull = pull_lab(lab, name, [lab.meta_name, *repos], progress=progress,
                           sync_index=False)  # fmt: skip
    if not report.pull.ok:
        return report
    folder = offline_dir(lab.workspace)
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("index.sqlite3*"):
        leftover.unlink()
    reports = lab.catalog_at(offline_index_url(lab.workspace)).rebuild()
    report.analyses = sum(r.analyses for r in reports if r.repo != lab.meta_name)
    heads = {t.name: GitRepo(t.path).head_id() or "" for t in lab.targets()}
    report.state = OfflineState(active=True, since=now(), remote=name, repos=list(repos),
                                meta_commit=heads.get(lab.meta_name), heads=heads)  # fmt: skip
    report.state.save(lab.workspace)
    return report


@dataclass
class FinishReport:
    pull: SyncReport
    share: ShareReport | None = None
    index: list[IndexReport] = field(default_factory=list)
    finished: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.finished

    def as_dict(self) -> dict[str, Any]:
        return {"finished": self.finished, "pull": self.pull.as_dict(),
                "share": self.share.as_dict() if self.share else None,
                "index": [vars(r) for r in self.index], "notes": self.notes}  # fmt: skip


def finish(lab: SyncLab, *, progress: Progress | None = None, attempts: int = 4) -> FinishReport:
    """Share the offline work and return to the shared index (see the module docstring)."""
    state = OfflineState.load(lab.workspace)
    if not state.active:
        raise LabOfflineError("the lab is not offline", hint="ardvc offline prepare --repos …")
    name = lab.remote_name(state.remote)
    pulled = pull_lab(lab, name, progress=progress, sync_index=False, offline_ok=True)
    result = FinishReport(pulled)
    if not pulled.ok:
        return result
    result.share = share(lab, name, progress=progress, attempts=attempts, offline_ok=True)
    if not result.share.ok:
        result.notes.append("not every repository was pushed: the lab stays offline")
        return result
    if len(lab.outbox):
        result.notes.append(f"{len(lab.outbox)} outbox entries are left (ardvc outbox shows "
                            "them): the lab stays offline")  # fmt: skip
        return result
    result.index = lab.catalog_at(lab.shared_index_url()).sync()
    OfflineState().save(lab.workspace)
    for leftover in offline_dir(lab.workspace).glob("index.sqlite3*"):
        leftover.unlink()
    result.finished = True
    return result
