"""A local S3-compatible server for tests: moto's standalone server on loopback.

``start_s3()`` runs ``moto.server`` (ThreadedMotoServer in a child process, so the test
talks HTTP to a real server as s3fs would to any S3-compatible store), waits until it
answers, and returns its endpoint with throw-away credentials; ``stop()`` ends it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

START_TIMEOUT_S = 30.0


class S3Unavailable(Exception):
    """moto's server cannot be started here."""


@dataclass
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_s3() -> S3Server:
    try:
        import moto.server  # noqa: F401
    except ImportError as exc:
        raise S3Unavailable(f"moto[server] is not installed: {exc}") from exc
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}"
    server = S3Server(endpoint, "testing-key", "testing-secret", process)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            raise S3Unavailable(f"moto server exited: {err[-2000:]}")
        try:
            with urllib.request.urlopen(endpoint, timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise S3Unavailable("moto server did not answer")
