"""Asking a git remote, read-only, through the git CLI (the user's credentials, SSH config
and proxies), never prompting and always with a timeout; messages mask passwords."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from ardvc.config import mask_secret
from ardvc.errors import GitStoreError

TIMEOUT_S = 20.0
_URL_WITH_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^\s/@:]*:[^\s/@]+@\S*", re.IGNORECASE)


class RemoteUnreachable(GitStoreError):
    """The remote did not answer; the message is safe to show (passwords masked)."""


def mask(text: str) -> str:
    return _URL_WITH_PASSWORD.sub(lambda m: mask_secret(m.group(0)), text)


def quiet_env() -> dict[str, str]:
    """git that fails instead of asking for a password or a host key."""
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    return env


def run_git(path: Path, *args: str, timeout: float = TIMEOUT_S) -> str:
    """stdout of ``git -C path args``; :class:`RemoteUnreachable` on any failure."""
    try:
        done = subprocess.run(
            ["git", "-C", str(path), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=quiet_env(),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RemoteUnreachable(f"git {args[0]} gave no answer within {timeout:g} s") from exc
    except OSError as exc:
        raise RemoteUnreachable(f"git could not be run: {exc}") from exc
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
        tail = "; ".join(lines[-2:]) or f"exit status {done.returncode}"
        raise RemoteUnreachable(mask(f"git {args[0]} failed: {tail}"))
    return done.stdout


def remote_heads(path: Path, remote: str, branch: str | None = None) -> dict[str, str]:
    """branch → commit on ``remote`` (``git ls-remote --heads``; nothing is fetched)."""
    refs = [f"refs/heads/{branch}"] if branch else []
    out = run_git(path, "ls-remote", "--heads", remote, *refs)
    heads = {}
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref.startswith("refs/heads/"):
            heads[ref.removeprefix("refs/heads/")] = sha
    return heads


def fetch_branch(path: Path, remote: str, branch: str) -> None:
    """Fetch one branch (its remote-tracking ref moves, no local branch does)."""
    run_git(path, "fetch", "--quiet", remote, branch, timeout=4 * TIMEOUT_S)
