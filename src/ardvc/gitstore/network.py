"""Network git through the ``git`` command: fetch, push, ls-remote, clone.

The git CLI is used for everything that talks to a remote so that the user's SSH
configuration, proxies and credential helpers apply. Every call runs without a terminal
prompt (``GIT_TERMINAL_PROMPT=0``, stdin closed) and with a timeout, so a missing password
is a clear error instead of a hung process. Extra ``-c`` settings (ardvc's credential
helper, an SSH command) come from a :class:`GitNetwork`; secrets never travel on a
command line: the helper reads them itself from ``config.local``.

Failures are :class:`NetworkError` with a :class:`FailureKind` the sync layer turns into a
state and a remedy; their messages have any URL password masked.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from ardvc.config import mask_secret
from ardvc.errors import GitStoreError

DEFAULT_TIMEOUT_S = 300.0
_URL_WITH_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^\s/@:]*:[^\s/@]+@\S*", re.IGNORECASE)


class FailureKind(StrEnum):
    """Why a network operation failed, as far as git's output tells."""

    UNREACHABLE = "unreachable"
    AUTH = "auth"
    MISSING_REPO = "missing-repo"
    REJECTED = "rejected"
    """Non-fast-forward: the remote has commits this repository does not have."""
    REMOTE_LOCKED = "remote-locked"
    TIMEOUT = "timeout"
    OTHER = "other"


TRANSIENT = frozenset({FailureKind.UNREACHABLE, FailureKind.TIMEOUT, FailureKind.REMOTE_LOCKED})
"""Kinds worth retrying unchanged after a pause."""

_PATTERNS: tuple[tuple[FailureKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        (FailureKind.REJECTED, r"\[rejected\]|non-fast-forward|fetch first"),
        (
            FailureKind.REMOTE_LOCKED,
            r"unable to create '[^']*\.lock'|cannot lock ref|"
            r"failed to lock",
        ),
        (
            FailureKind.MISSING_REPO,
            r"does not appear to be a git repository|"
            r"repository '[^']*' (not found|does not exist)|repository not found|"
            r"no such repository|not exported|could not be found|"
            r"project you were looking for",
        ),
        (
            FailureKind.AUTH,
            r"authentication failed|permission denied|access denied|"
            r"could not read (username|password)|terminal prompts disabled|"
            r"invalid username or password|http basic|\b40[13]\b",
        ),
        (
            FailureKind.UNREACHABLE,
            r"could not resolve|connection refused|timed out|"
            r"unable to connect|connection reset|early eof|hung up|"
            r"rpc failed|broken pipe|no route to host|failed to connect|"
            r"empty reply|connection closed|unable to access|"
            r"couldn't connect|network is unreachable|could not read from remote repository|"
            r"killed by signal",
        ),
    )
)


def classify(text: str) -> FailureKind:
    """The kind of failure git's messages describe (first match in a fixed order)."""
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            return kind
    return FailureKind.OTHER


def mask_urls(text: str) -> str:
    """Replace the password of every URL in ``text`` with ``***``."""
    return _URL_WITH_PASSWORD.sub(lambda m: mask_secret(m.group(0)), text)


class NetworkError(GitStoreError):
    """A fetch, push, ls-remote or clone that did not happen."""

    def __init__(self, message: str, kind: FailureKind, *, hint: str | None = None) -> None:
        super().__init__(mask_urls(message), hint=hint)
        self.kind = kind


@dataclass(frozen=True)
class GitNetwork:
    """How network git runs: ``-c`` settings, extra environment and a timeout."""

    settings: tuple[tuple[str, str], ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT_S

    def argv(self, *args: str, path: Path | None = None) -> list[str]:
        head = ["git"]
        if path is not None:
            head += ["-C", str(path)]
        for key, value in self.settings:
            head += ["-c", f"{key}={value}"]
        return [*head, *args]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never", "LC_ALL": "C"})
        env.update(self.env)
        return env


def run_git(
    net: GitNetwork, *args: str, path: Path | None = None, what: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run one network git command; a non-zero exit is a :class:`NetworkError`."""
    return _run_networked(
        net.argv(*args, path=path), what or f"git {args[0]}", net.timeout, env=net.environment(),
        program="git",
        timeout_hint="the remote is slow or unreachable; try again (sync.timeout sets the limit)",
    )  # fmt: skip


def _run_networked(
    argv: Sequence[str],
    label: str,
    timeout: float,
    *,
    program: str,
    env: dict[str, str] | None = None,
    timeout_hint: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command that talks to a remote; a timeout, a failure to start or a non-zero
    exit is a :class:`NetworkError` classified from git's or ssh's message."""
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, env=env,
            stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise NetworkError(
            f"{label} timed out after {timeout:g} s", FailureKind.TIMEOUT, hint=timeout_hint
        ) from exc
    except OSError as exc:
        raise NetworkError(f"{program} could not be run: {exc}", FailureKind.OTHER) from exc
    if done.returncode != 0:
        text = done.stderr + "\n" + done.stdout
        tail = _tail(text, done.returncode)
        raise NetworkError(f"{label} failed: {tail}", classify(f"{text}\n{tail}"))
    return done


def _tail(text: str, code: int) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and ln.strip() != "Done"]
    lines = [ln for ln in lines if not ln.startswith("To ")]
    if lines:
        return "; ".join(lines[-3:])
    if code < 0:  # SIGPIPE: the other end went away mid-transfer
        return f"git was killed by signal {signal.Signals(-code).name} (the connection broke)"
    return f"exit status {code}"


# --- operations ------------------------------------------------------------------------------


def fetch(net: GitNetwork, path: Path, remote: str) -> None:
    """Update ``refs/remotes/<remote>/*`` (pruning branches deleted on the remote)."""
    run_git(net, "fetch", "--prune", "--quiet", remote, path=path, what=f"git fetch {remote}")


@dataclass(frozen=True)
class RefUpdate:
    """One ref of a push as git reported it."""

    ref: str
    """Destination, ``refs/heads/<branch>``."""
    flag: str
    """git's flag: `` `` fast-forward, ``*`` new, ``=`` up to date, ``!`` rejected, ``+`` forced."""
    summary: str
    new: str

    @property
    def ok(self) -> bool:
        return self.flag != "!"

    @property
    def branch(self) -> str:
        return self.ref.removeprefix("refs/heads/")


def _porcelain(stdout: str, wanted: Mapping[str, str]) -> dict[str, RefUpdate]:
    updates: dict[str, RefUpdate] = {}
    for line in stdout.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or len(parts[0]) != 1:
            continue
        _, _, dst = parts[1].partition(":")
        branch = dst.removeprefix("refs/heads/")
        if branch in wanted:
            updates[branch] = RefUpdate(dst, parts[0], parts[2], wanted[branch])
    return updates


def push(net: GitNetwork, path: Path, remote: str, tips: Mapping[str, str]) -> dict[str, RefUpdate]:
    """Push ``branch → commit`` (explicit commits: a commit made meanwhile is not sent
    half-known). Returns git's verdict per branch; a rejected branch is in the result with
    ``ok`` false, any other failure raises :class:`NetworkError`."""
    refspecs = [f"{tip}:refs/heads/{branch}" for branch, tip in tips.items()]
    argv = net.argv("push", "--porcelain", remote, *refspecs, path=path)
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=net.timeout,
            env=net.environment(), stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise NetworkError(
            f"git push {remote} timed out after {net.timeout:g} s", FailureKind.TIMEOUT
        ) from exc
    except OSError as exc:
        raise NetworkError(f"git could not be run: {exc}", FailureKind.OTHER) from exc
    updates = _porcelain(done.stdout, tips)
    rejected = any(not u.ok for u in updates.values())
    if len(updates) == len(tips) and (done.returncode == 0 or rejected):
        return updates  # rejected branches (non-fast-forward) are the caller's to report
    text = done.stderr + "\n" + done.stdout
    tail = _tail(text, done.returncode)
    branches = ", ".join(tips)
    raise NetworkError(f"git push {remote} {branches} failed: {tail}", classify(f"{text}\n{tail}"))


def ls_remote(net: GitNetwork, target: str, path: Path | None = None) -> dict[str, str]:
    """``ref → commit`` of a remote (by name inside ``path``, or by URL)."""
    done = run_git(net, "ls-remote", target, path=path, what="git ls-remote")
    refs = {}
    for line in done.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        if ref:
            refs[ref] = sha
    return refs


def clone(net: GitNetwork, url: str, dest: Path, *, remote: str = "origin") -> None:
    """Clone ``url`` into ``dest`` (which must not exist). The clone is made beside
    ``dest`` under a temporary name and renamed last, so an interrupted clone never
    leaves something that looks like a repository."""
    if dest.exists():
        raise GitStoreError(f"{dest} exists already; not cloning over it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.clone-", dir=dest.parent))
    try:
        run_git(
            net,
            "clone",
            "--quiet",
            "--origin",
            remote,
            url,
            str(staging / "repo"),
            what=f"git clone {url}",
        )
        (staging / "repo").rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def init_bare(path: Path, branch: str) -> None:
    """Create a bare repository (a remote on a local or mounted path) whose HEAD names
    ``branch``, so clones check it out."""
    path.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["git", "init", "--quiet", "--bare", f"--initial-branch={branch}", str(path)],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise NetworkError(
            f"git init --bare {path} failed: {_tail(done.stderr, done.returncode)}",
            FailureKind.OTHER,
        )


def run_ssh(command: Sequence[str], remote_command: str, timeout: float) -> str:
    """Run a shell command on an SSH host (``command`` = ssh and its options and host)."""
    return _run_networked([*command, remote_command], "ssh", timeout, program="ssh").stdout
