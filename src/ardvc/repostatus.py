"""The state of each data repository as this workstation knows it without asking a remote:
branch, head commit, analysis count, the commits still waiting in the outbox, and — when
given the rows of ``ardvc status`` (:mod:`ardvc.sync.status`, as of the last fetch) — the
sync state with its remedy. The web UI's repositories page shows these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ardvc.data import DataRepo, RepoSummary, repo_summary
from ardvc.persist.outbox import Outbox, OutboxEntry
from ardvc.sync.status import RepoStatus as SyncRow


@dataclass(frozen=True)
class RepoStatus:
    summary: RepoSummary
    """Branch, head, date and analysis counts (``ardvc ls``)."""
    remotes: tuple[str, ...]
    pending: int
    """Commits in the outbox not yet known to be on the remote."""
    failing: int
    """Of those, how many a push already failed for."""
    last_error: str | None
    sync: SyncRow | None = None
    """The repository's row of ``ardvc status`` (ahead/behind as of the last fetch)."""

    @property
    def state(self) -> str:
        """The sync state (``in-sync``, ``ahead``, ``diverged``, ``push-failing`` … see
        ``ardvc status --help``) when known; else ``failing`` (a push failed), ``pending``
        (queued), ``local`` (no remote) or ``ok`` (nothing queued)."""
        if self.sync is not None:
            return str(self.sync.state)
        if self.failing:
            return "failing"
        if self.pending:
            return "pending"
        return "ok" if self.remotes else "local"

    @property
    def name(self) -> str:
        return self.summary.name

    @property
    def remedy(self) -> str:
        return self.sync.remedy if self.sync is not None else ""

    @property
    def ahead_behind(self) -> tuple[int | None, int | None]:
        return (self.sync.ahead, self.sync.behind) if self.sync is not None else (None, None)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("sync")
        ahead, behind = self.ahead_behind
        return {**out.pop("summary"), **out, "state": self.state, "remedy": self.remedy,
                "ahead": ahead, "behind": behind}  # fmt: skip


def local_status(
    repos: Sequence[DataRepo],
    outbox: Outbox,
    root: Path,
    summaries: dict[str, RepoSummary] | None = None,
    sync_rows: Sequence[SyncRow] = (),
) -> list[RepoStatus]:
    """Each repository's local state. ``summaries`` is an optional cache (by repository
    name) of summaries, used while their head is still the head and refreshed otherwise:
    counting the analyses of a large repository reads its whole tree."""
    rows = {r.name: r for r in sync_rows if r.kind == "data"}
    entries: dict[str, list[OutboxEntry]] = {}
    for entry in outbox.entries():
        entries.setdefault(entry.repo, []).append(entry)
    out = []
    for repo in repos:
        cached = summaries.get(repo.name) if summaries is not None else None
        summary = cached if cached and cached.head == repo.git.head_id() else repo_summary(repo)
        if summaries is not None:
            summaries[repo.name] = summary
        rel = str(repo.git.path.resolve().relative_to(root.resolve()))
        queued = entries.get(rel, [])
        failed = [e for e in queued if e.last_error]
        out.append(
            RepoStatus(
                summary=summary, remotes=tuple(r.name for r in repo.git.raw.remotes if r.name),
                pending=len(queued), failing=len(failed),
                last_error=failed[-1].last_error if failed else None,
                sync=rows.get(repo.name),
            )
        )  # fmt: skip
    return out
