"""fsck: the outbox against the remote. An entry is a commit ardvc made and has not seen
arrive on the remote; fsck asks the remote (``git ls-remote``) whether it has it now.

* on the remote already → a stale entry: repaired by removing it;
* remote has commits this repository has not fetched → cannot tell yet: repaired by
  fetching that branch, after which the check decides;
* not on the remote → listed (``ardvc outbox --push`` publishes it; fsck never pushes);
* the commit or the repository is gone → needs a person.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pygit2

from ardvc.errors import ArdvcError
from ardvc.health.findings import Finding, LabView
from ardvc.health.remote import RemoteUnreachable, fetch_branch, remote_heads
from ardvc.persist.outbox import OutboxEntry

PUSH = "ardvc outbox --push"


def _open(path: Path) -> pygit2.Repository | None:
    try:
        return pygit2.Repository(str(path))
    except (pygit2.GitError, KeyError):
        return None


def _entry_finding(
    kind: str,
    entry: OutboxEntry,
    detail: str,
    remedy: str,
    *,
    repairable: bool = False,
    severity: str = "warning",
) -> Finding:
    where = f"{entry.repo}:{entry.branch}@{entry.commit[:10]}"
    subject = {
        "repo": entry.repo,
        "branch": entry.branch,
        "commit": entry.commit,
        "entry": entry.key,
    }
    return Finding(kind, where, detail, repairable, remedy, severity, subject)


def _group(
    view: LabView, remote: str, repo: str, branch: str, entries: list[OutboxEntry]
) -> Iterator[Finding]:
    path = view.root / repo
    raw = _open(path)
    drop = f"if that is intended, remove {view.outbox.folder}/<entry> by hand"
    if raw is None:
        for e in entries:
            yield _entry_finding(
                "outbox-repo-missing", e, f"no repository at {path}", drop, severity="error"
            )
        return
    present = []
    for e in entries:
        if e.commit in raw:
            present.append(e)
        else:
            yield _entry_finding(
                "outbox-commit-missing",
                e,
                "the commit is not in the repository (history rewritten?)",
                drop,
                severity="error",
            )
    if not present:
        return
    if remote not in raw.remotes.names():
        for e in present:
            yield _entry_finding(
                "outbox-no-remote",
                e,
                f"the repository has no remote {remote!r}",
                f"git -C {path} remote add {remote} URL, or set persist.remote",
            )
        return
    try:
        tip = remote_heads(path, remote, branch).get(branch)
    except RemoteUnreachable as exc:
        for e in present:
            yield _entry_finding(
                "outbox-remote-unreachable",
                e,
                str(exc),
                "check the network and credentials (ardvc doctor)",
            )
        return
    for e in present:
        yield from _judge(raw, remote, e, tip)


def _judge(
    raw: pygit2.Repository, remote: str, entry: OutboxEntry, tip: str | None
) -> Iterator[Finding]:
    if tip is not None and tip not in raw:
        yield _entry_finding(
            "outbox-remote-ahead",
            entry,
            f"{remote}/{entry.branch} is at {tip[:10]}, which is not fetched: cannot tell yet",
            f"ardvc fsck --repair (fetches {entry.branch})",
            repairable=True,
        )
        return
    if tip is not None and (tip == entry.commit or raw.descendant_of(tip, entry.commit)):
        yield _entry_finding(
            "outbox-already-pushed",
            entry,
            f"the commit is on {remote} already: the entry is stale",
            "ardvc fsck --repair (removes it)",
            repairable=True,
        )
        return
    last = f" (last push error: {entry.last_error})" if entry.last_error else ""
    where = f"{remote}/{entry.branch}" if tip else f"{remote} (no branch {entry.branch})"
    summary = entry.message.splitlines()[0] if entry.message else entry.commit[:10]
    yield _entry_finding("outbox-not-pushed", entry, f"'{summary}' is not on {where}{last}", PUSH)


def check_outbox(view: LabView) -> Iterator[Finding]:
    """Outbox entries whose commit is not on the remote (or is, and should not be listed)."""
    remote = str(view.config.get("persist.remote") or "")
    groups: dict[tuple[str, str], list[OutboxEntry]] = {}
    for entry in view.outbox.entries():
        groups.setdefault((entry.repo, entry.branch), []).append(entry)
    if groups and not remote:
        yield Finding(
            "outbox-no-remote",
            "persist.remote",
            f"{len(view.outbox)} commits are queued but no remote is configured",
            False,
            "ardvc config persist.remote origin",
            "warning",
        )
        return
    for (repo, branch), entries in sorted(groups.items()):
        yield from _group(view, remote, repo, branch, entries)


def repair_outbox(view: LabView, findings: Sequence[Finding]) -> list[str]:
    actions = []
    remote = str(view.config.get("persist.remote"))
    fetched: set[tuple[str, str]] = set()
    stale = []
    for finding in findings:
        repo, branch = finding.subject["repo"], finding.subject["branch"]
        if finding.kind == "outbox-remote-ahead" and (repo, branch) not in fetched:
            try:
                fetch_branch(view.root / repo, remote, branch)
            except ArdvcError as exc:
                actions.append(f"could not fetch {repo}:{branch}: {exc}")
                continue
            fetched.add((repo, branch))
            actions.append(f"fetched {branch} of {repo} from {remote}")
        elif finding.kind == "outbox-already-pushed":
            stale.append(finding.subject["entry"])
    if stale:
        entries = [e for e in view.outbox.entries() if e.key in set(stale)]
        removed = view.outbox.remove(entries)
        actions.append(f"removed {removed} outbox entries already on {remote}")
    return actions
