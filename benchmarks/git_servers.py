"""Real git servers on loopback for the sync tests and the fault-injection benchmark:
``git daemon``, smart HTTP (``git http-backend`` behind ``git_http_server.py``, with basic
auth and the GitHub/GitLab endpoints) and OpenSSH's ``sshd`` with a throwaway host key
and client key.

Each server runs in its own process group, so :meth:`LoopbackServer.kill` takes the
connection handlers (``git-receive-pack`` …) down with it, as a crashed server would.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
START_TIMEOUT_S = 20.0
SSHD_PATHS = ("/usr/sbin/sshd", "/usr/local/sbin/sshd")


class ServerUnavailable(Exception):
    """A server program is not installed here."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class LoopbackServer:
    """A server process on 127.0.0.1:``port``; restartable on the same port."""

    argv: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def start(self) -> LoopbackServer:
        env = {**os.environ, **self.env}
        out = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            self.argv, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _listening(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.argv[0]} exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"{self.argv[0]} did not listen on {self.port}")
            time.sleep(0.01)
        return self

    def _signal(self, sig: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)
        self.process = None

    def kill(self) -> None:
        """SIGKILL the server and every process of its group (a crash)."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def git_daemon(root: Path, port: int | None = None) -> LoopbackServer:
    """``git daemon`` exporting every repository under ``root``, pushes enabled."""
    port = port or free_port()
    argv = ["git", "daemon", "--reuseaddr", "--listen=127.0.0.1", f"--port={port}",
            f"--base-path={root}", "--export-all", "--enable=receive-pack",
            "--informative-errors", str(root)]  # fmt: skip
    return LoopbackServer(argv, port).start()


def daemon_url(server: LoopbackServer) -> str:
    return f"git://127.0.0.1:{server.port}"


@dataclass
class HttpGit:
    server: LoopbackServer
    user: str
    password: str

    @property
    def git_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/git"

    @property
    def github_api(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/github-api"

    @property
    def gitlab_api(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/api/v4"


def http_git(root: Path, user: str, password: str, port: int | None = None) -> HttpGit:
    port = port or free_port()
    argv = [sys.executable, str(HERE / "git_http_server.py"), "--root", str(root),
            "--port", str(port)]  # fmt: skip
    env = {"GIT_HTTP_USER": user, "GIT_HTTP_PASSWORD": password}
    return HttpGit(LoopbackServer(argv, port, env).start(), user, password)


def find_sshd() -> str:
    for path in (shutil.which("sshd"), *SSHD_PATHS):
        if path and Path(path).is_file():
            return path
    raise ServerUnavailable(
        "OpenSSH's sshd is not installed (Debian: apt-get install openssh-server; "
        "make test installs it as root)"
    )


@dataclass
class Sshd:
    server: LoopbackServer
    user: str
    key: Path
    ssh_command: str
    known_hosts: Path
    """The server's host key, for clients that check it (SFTP through paramiko)."""

    def url(self, path: Path) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.server.port}{path}"


def sshd(workdir: Path, port: int | None = None) -> Sshd:
    """sshd on loopback: throwaway host key, one authorized client key, no PAM, for the
    current user; ``ssh_command`` is what a lab would put in ``remote.<name>.ssh_command``."""
    binary = find_sshd()
    workdir.mkdir(parents=True, exist_ok=True)
    host_key, client_key = workdir / "host_ed25519", workdir / "client_ed25519"
    for key in (host_key, client_key):
        if not key.exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
                           check=True)  # fmt: skip
    authorized = workdir / "authorized_keys"
    authorized.write_bytes(client_key.with_suffix(".pub").read_bytes())
    authorized.chmod(0o600)
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation dir
    port = port or free_port()
    config = workdir / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
        f"AuthorizedKeysFile {authorized}\nPidFile {workdir / 'sshd.pid'}\n"
        "StrictModes no\nUsePAM no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        "PermitRootLogin prohibit-password\nAllowTcpForwarding no\nX11Forwarding no\n"
        "Subsystem sftp internal-sftp\nMaxStartups 50\nMaxSessions 50\nLogLevel ERROR\n"
    )
    argv = [binary, "-D", "-e", "-f", str(config)]
    server = LoopbackServer(argv, port, log=workdir / "sshd.log").start()
    options = ("IdentitiesOnly=yes", "BatchMode=yes", "StrictHostKeyChecking=no",
               "UserKnownHostsFile=/dev/null", "LogLevel=ERROR")  # fmt: skip
    command = f"ssh -i {client_key} " + " ".join(f"-o {o}" for o in options)
    kind, key = host_key.with_suffix(".pub").read_text().split()[:2]
    known = workdir / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {kind} {key}\n")
    return Sshd(server, getpass.getuser(), client_key, command, known)
