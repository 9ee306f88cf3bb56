"""Repositories on the remote side: create the missing ones, list what is there.

Created: on a local or mounted path and over SSH on a plain git server with
``git init --bare`` (HEAD naming the branch being pushed, so clones check it out), and on
GitHub or GitLab through their APIs when a token is configured. A ``git://`` daemon or a
plain smart-HTTP server cannot create repositories: that is a clear error saying what to
run on the server.
"""

from __future__ import annotations

import shlex
from urllib.parse import urlsplit

from ardvc.errors import ArdvcError
from ardvc.gitstore.network import init_bare, run_ssh
from ardvc.sync.hosting import HostingApi
from ardvc.sync.remotes import Host, RemoteSpec, Transport, local_path


class ProvisionError(ArdvcError):
    """A remote repository could not be created or listed."""


def ssh_target(url: str) -> tuple[str, int | None, str]:
    """(``[user@]host``, port, path on the server) of an SSH URL."""
    if "://" in url:
        parts = urlsplit(url.replace("git+ssh://", "ssh://").replace("ssh+git://", "ssh://"))
        dest = f"{parts.username}@{parts.hostname}" if parts.username else str(parts.hostname)
        path = parts.path
        if path.startswith("/~"):
            path = path[1:]
        return dest, parts.port, path
    dest, _, path = url.partition(":")
    return dest, None, path


def _shell_path(path: str) -> str:
    if path.startswith("~/"):
        return "~/" + shlex.quote(path[2:])
    return shlex.quote(path)


def _ssh_base(spec: RemoteSpec, url: str) -> tuple[list[str], str]:
    dest, port, path = ssh_target(url)
    base = shlex.split(spec.ssh_command) if spec.ssh_command else ["ssh"]
    if port is not None:
        base += ["-p", str(port)]
    return [*base, dest], path


def create_remote_repo(
    spec: RemoteSpec, repo: str, branch: str, secret: str | None, timeout: float
) -> str:
    """Create repository ``repo`` on the remote; returns what was done, for the report."""
    url = spec.repo_url(repo)
    if spec.host is not Host.GIT:
        api = HostingApi(spec, secret, timeout)
        if api.exists(repo):
            return f"{spec.host} {spec.owner}/{repo} exists already"
        api.create(repo)
        return f"created {spec.owner}/{repo} on {spec.host}"
    transport = spec.transport
    if transport is Transport.LOCAL:
        init_bare(local_path(url), branch)
        return f"created bare repository {local_path(url)}"
    if transport is Transport.SSH:
        command, path = _ssh_base(spec, url)
        run_ssh(command, f"git init --quiet --bare --initial-branch={shlex.quote(branch)} "
                         f"{_shell_path(path)}", timeout)  # fmt: skip
        return f"created bare repository {path} over SSH"
    raise ProvisionError(
        f"{url} does not exist and a {transport} server cannot create repositories",
        hint=f"create it on the server (git init --bare {repo}.git), then ardvc push again",
    )


def list_remote_repos(spec: RemoteSpec, secret: str | None, timeout: float) -> list[str]:
    """Names of the repositories on the remote (without ``.git``)."""
    if spec.host is not Host.GIT:
        return HostingApi(spec, secret, timeout).names()
    if spec.transport is Transport.LOCAL:
        base = local_path(spec.url)
        if not base.is_dir():
            raise ProvisionError(f"{base} does not exist")
        return sorted(p.name.removesuffix(".git") for p in base.glob("*.git") if p.is_dir())
    if spec.transport is Transport.SSH:
        command, path = _ssh_base(spec, spec.url)
        folder = path.rstrip("/") or ("/" if path else ".")
        listing = run_ssh(command, f"ls -1 {_shell_path(folder)}", timeout)
        return sorted(n.removesuffix(".git") for n in listing.split() if n.endswith(".git"))
    raise ProvisionError(
        f"a {spec.transport} server cannot list its repositories",
        hint="name the repositories to clone with --repos",
    )
