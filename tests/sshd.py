"""A throw-away OpenSSH server on loopback for tests (cache remotes over SFTP, git over SSH).

``start_sshd(folder)`` writes a host key and a client key into ``folder`` (ssh-keygen),
an ``sshd_config`` allowing only that client key for the current user, starts ``sshd -D``
on a free 127.0.0.1 port and waits until it answers. As root it runs with
``StrictModes no`` and ``UsePAM no`` (temp folders are not owned as sshd wants). The
``SshServer`` it returns names host, port, user, the client key file and a known_hosts
file holding the host key; ``stop()`` ends the process.
"""

from __future__ import annotations

import contextlib
import getpass
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SSHD_PATHS = ("/usr/sbin/sshd", "/usr/local/sbin/sshd")
START_TIMEOUT_S = 15.0


class SshdUnavailable(Exception):
    """No OpenSSH server binary here."""


@dataclass
class SshServer:
    host: str
    port: int
    user: str
    keyfile: Path
    known_hosts: Path
    process: subprocess.Popen[bytes]
    folder: Path

    def url(self, path: str) -> str:
        return f"ssh://{self.user}@{self.host}:{self.port}{path}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def find_sshd() -> str:
    for candidate in (shutil.which("sshd"), *SSHD_PATHS):
        if candidate and Path(candidate).is_file():
            return candidate
    raise SshdUnavailable("no sshd binary (Debian: apt-get install openssh-server)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
                   check=True, capture_output=True)  # fmt: skip


def start_sshd(folder: Path) -> SshServer:
    sshd = find_sshd()
    folder.mkdir(parents=True, exist_ok=True)
    host_key, client_key = folder / "host_ed25519", folder / "client_ed25519"
    _keygen(host_key)
    _keygen(client_key)
    authorized = folder / "authorized_keys"
    authorized.write_text((folder / "client_ed25519.pub").read_text())
    authorized.chmod(0o600)
    port = _free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
        f"AuthorizedKeysFile {authorized}\nPidFile {folder / 'sshd.pid'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        "UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
        "Subsystem sftp internal-sftp\nLogLevel ERROR\nMaxStartups 50\nMaxSessions 50\n"
    )
    # the privilege separation folder Debian's sshd wants (not root: sshd runs without it)
    with contextlib.suppress(PermissionError):
        Path("/run/sshd").mkdir(exist_ok=True)
    process = subprocess.Popen(
        [sshd, "-D", "-e", "-f", str(config)],
        stdout=subprocess.DEVNULL, stderr=(folder / "sshd.log").open("wb"),
    )  # fmt: skip
    host_pub = (folder / "host_ed25519.pub").read_text().split()
    known = folder / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    server = SshServer("127.0.0.1", port, getpass.getuser(), client_key, known, process, folder)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SshdUnavailable(f"sshd exited: {(folder / 'sshd.log').read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(4).startswith(b"SSH"):
                    return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise SshdUnavailable("sshd did not answer on loopback")
