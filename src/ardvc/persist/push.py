"""Draining the outbox: push each repository's branch to its remote with the git CLI.

Network git goes through the ``git`` command (its credential helpers, SSH config and
proxies are the user's). An entry is removed only after ``git push`` succeeded and its
commit is an ancestor of (or equal to) the tip that was pushed; a failed push keeps every
entry of that branch with the error, its URL passwords masked.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pygit2

from ardvc.errors import ArdvcError
from ardvc.gitstore.network import GitNetwork, NetworkError, mask_urls
from ardvc.gitstore.network import push as git_push
from ardvc.logs import get_logger
from ardvc.persist.outbox import Outbox, OutboxEntry

PUSH_TIMEOUT_S = 120.0


class PushFailed(Exception):
    """A push that did not happen; ``str()`` is safe to store and show."""


def _mask(text: str) -> str:
    return mask_urls(text)


def has_remote(path: Path, remote: str) -> bool:
    repo = pygit2.Repository(str(path))
    return remote in repo.remotes.names()


def push_branch(
    path: Path,
    remote: str,
    branch: str,
    timeout: float = PUSH_TIMEOUT_S,
    net: GitNetwork | None = None,
) -> str:
    """Push ``branch`` of the repository at ``path``; returns the commit that was pushed."""
    tip = str(pygit2.Repository(str(path)).references[f"refs/heads/{branch}"].target)
    network = net or GitNetwork(timeout=timeout)
    try:
        update = git_push(network, path, remote, {branch: tip})[branch]
    except NetworkError as exc:
        raise PushFailed(str(exc)) from exc
    if not update.ok:
        raise PushFailed(_mask(f"git push {remote} {branch} failed: {update.summary}"))
    return tip


@dataclass
class DrainReport:
    pushed: dict[str, str] = field(default_factory=dict)
    """``repo:branch`` → commit pushed."""
    removed: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    """``repo:branch`` → error."""
    waiting: dict[str, str] = field(default_factory=dict)
    """``repo:branch`` → why nothing was tried (no remote configured)."""


def _contains(path: Path, tip: str, commit: str) -> bool:
    repo = pygit2.Repository(str(path))
    try:
        return commit == tip or bool(repo.descendant_of(tip, commit))
    except (KeyError, ValueError, pygit2.GitError):
        return False


def settle(
    outbox: Outbox, path: Path, entries: Sequence[OutboxEntry], tip: str, branch: str
) -> tuple[int, list[OutboxEntry]]:
    """After ``tip`` of ``branch`` is known to be on the remote: remove the entries whose
    commit it contains; the others (their commit left the branch: a reset or a rewrite)
    stay, with that said. Returns (removed, kept)."""
    done = [e for e in entries if _contains(path, tip, e.commit)]
    gone = [e for e in entries if e not in done]
    removed = outbox.remove(done)
    if gone:
        outbox.record_failure(gone, f"commit no longer on {branch}; it was not pushed")
    return removed, gone


def drain(outbox: Outbox, root: Path, remote: str, net: GitNetwork | None = None) -> DrainReport:
    """Push every repository branch with pending entries once."""
    report = DrainReport()
    groups: dict[tuple[str, str], list[OutboxEntry]] = {}
    for entry in outbox.entries():
        groups.setdefault((entry.repo, entry.branch), []).append(entry)
    for (repo, branch), entries in groups.items():
        name = f"{repo}:{branch}"
        path = root / repo
        try:
            if not has_remote(path, remote):
                report.waiting[name] = f"no remote {remote!r} configured"
                continue
            tip = push_branch(path, remote, branch, net=net)
        except (PushFailed, pygit2.GitError, KeyError) as exc:
            message = str(exc) if isinstance(exc, PushFailed) else f"{type(exc).__name__}: {exc}"
            outbox.record_failure(entries, message)
            report.failed[name] = message
            continue
        report.pushed[name] = tip
        report.removed += settle(outbox, path, entries, tip, branch)[0]
    return report


class OutboxWorker:
    """Pushes in the background: after each :meth:`wake`, and again with backoff while
    pushes fail (``retry_s`` doubling up to ``max_retry_s``)."""

    def __init__(
        self,
        outbox: Outbox,
        root: Path,
        remote: str,
        *,
        retry_s: float = 5.0,
        max_retry_s: float = 300.0,
        on_report: Callable[[DrainReport], None] | None = None,
        net: GitNetwork | None = None,
    ) -> None:
        self.outbox, self.root, self.remote, self.net = outbox, root, remote, net
        self.retry_s, self.max_retry_s = retry_s, max_retry_s
        self.on_report = on_report
        self.last: DrainReport | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._loop, name="ardvc-outbox", daemon=True)
        self._log = get_logger("outbox")
        self._thread.start()

    def wake(self) -> None:
        self._idle.clear()
        self._wake.set()

    def _loop(self) -> None:
        delay = self.retry_s
        while not self._stop.is_set():
            woke = self._wake.wait(timeout=delay if self.last and self.last.failed else None)
            self._wake.clear()
            if self._stop.is_set() and not woke:
                break
            try:
                self.last = drain(self.outbox, self.root, self.remote, self.net)
            except (ArdvcError, OSError, pygit2.GitError) as exc:
                # the thread must outlive a bad moment (a full disk, an unreadable
                # entry): the entries stay queued and the next attempt backs off
                message = f"{type(exc).__name__}: {exc}"
                self._log.error("the outbox could not be drained: %s", message)
                self.last = DrainReport(failed={"outbox": message})
            for name, error in self.last.failed.items():
                self._log.warning("push of %s not done (kept in the outbox): %s", name, error)
            for name, tip in self.last.pushed.items():
                self._log.log(logging.INFO, "pushed %s at %s", name, tip[:12])
            if self.on_report is not None:
                self.on_report(self.last)
            delay = min(delay * 2, self.max_retry_s) if self.last.failed else self.retry_s
            if not self._wake.is_set():
                self._idle.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Until the entries queued so far had one push attempt."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float = PUSH_TIMEOUT_S) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
