"""A real OpenSSH server on loopback for the cache-remote tests (SFTP), started by the
same code as the sync tests' git-over-SSH server (``benchmarks/git_servers.sshd``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from git_servers import ServerUnavailable, Sshd, sshd


class SshdUnavailable(Exception):
    """No OpenSSH server binary here, or it did not start."""


@dataclass
class SshServer:
    """What an SFTP client needs: address, user, key and the server's host key."""

    host: str
    port: int
    user: str
    keyfile: Path
    known_hosts: Path
    sshd: Sshd

    def url(self, path: str) -> str:
        return f"ssh://{self.user}@{self.host}:{self.port}{path}"

    def stop(self) -> None:
        self.sshd.server.stop()


def start_sshd(folder: Path) -> SshServer:
    try:
        server = sshd(folder)
    except (ServerUnavailable, RuntimeError) as exc:
        raise SshdUnavailable(str(exc)) from exc
    return SshServer(
        "127.0.0.1", server.server.port, server.user, server.key, server.known_hosts, server
    )
