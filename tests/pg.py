"""A throw-away PostgreSQL server on loopback for one test session (ARCHITECTURE.md §5).

``initdb`` into a temporary folder, ``pg_ctl start`` on a free port bound to 127.0.0.1 (the
unix socket in the same folder), a login role with a password and a database, then
``pg_ctl stop`` and the folder removed. ``initdb`` refuses to run as root, so as root the
server commands run as an unprivileged user (``postgres`` from the Debian package, else
``nobody``) through ``runuser``, which owns the temporary folder.

Fast on purpose: no fsync, no synchronous commit (the data dies with the session).
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

DEBIAN_BINDIRS = "/usr/lib/postgresql/*/bin"
SERVER_TOOLS = ("initdb", "pg_ctl", "postgres")
UNPRIVILEGED_USERS = ("postgres", "nobody")
START_TIMEOUT_S = 30
PORT_ATTEMPTS = 3

_CONF = """
# ardvc test server: loopback only, durability off (the data dies with the session)
listen_addresses = '127.0.0.1'
unix_socket_directories = '{sockdir}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
log_min_messages = warning
"""


class PostgresUnavailable(Exception):
    """No PostgreSQL server can be run here (binaries or an unprivileged user missing)."""


def _version_key(bindir: Path) -> tuple[int, ...]:
    """``/usr/lib/postgresql/15/bin`` → (15,): the newest installed version wins."""
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))


def find_bindir() -> Path:
    """The folder of ``initdb``/``pg_ctl``/``postgres``: PATH first, then Debian's layout."""
    found = [shutil.which(tool) for tool in SERVER_TOOLS]
    if all(found):
        # pg_ctl finds postgres beside its own (symlink-resolved) location
        return Path(str(found[1])).resolve().parent
    candidates = sorted(
        (Path(p) for p in glob.glob(DEBIAN_BINDIRS)),
        key=_version_key,
        reverse=True,
    )
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in SERVER_TOOLS):
            return bindir
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) are not on PATH nor in "
        f"{DEBIAN_BINDIRS}; install them (Debian/Ubuntu: apt-get install postgresql; "
        "make test does it when run as root)"
    )


def unprivileged_user() -> str | None:
    """None when not root; else the user to run the server as (initdb refuses root)."""
    if os.geteuid() != 0:
        return None
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root and runuser is missing (util-linux)")
    for name in UNPRIVILEGED_USERS:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise PostgresUnavailable(
        f"running as root and none of the users {', '.join(UNPRIVILEGED_USERS)} exists to "
        "run PostgreSQL as (initdb refuses root)"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """One running server; :meth:`stop` ends it and removes its folder."""

    bindir: Path
    base: Path
    run_as: str | None
    port: int = 0
    admin: str = "ardvc_admin"
    user: str = "ardvc_test"
    password: str = field(default_factory=lambda: f"pw-{secrets.token_hex(12)}")
    database: str = "ardvc_test"

    @property
    def datadir(self) -> Path:
        return self.base / "data"

    @property
    def sockdir(self) -> Path:
        return self.base / "sock"

    @property
    def logfile(self) -> Path:
        return self.base / "server.log"

    def url(self, database: str | None = None) -> str:
        """``postgresql+psycopg://user:password@127.0.0.1:PORT/db`` of the test role."""
        return (
            f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/"
            f"{database or self.database}"
        )

    # --- running the server's tools -------------------------------------------------------

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        command: Sequence[str] = [str(self.bindir / tool), *args]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(
            command, cwd=self.base, capture_output=True, text=True, check=False, timeout=120
        )

    def _log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no server log)"

    def _failed(self, what: str, done: subprocess.CompletedProcess[str]) -> RuntimeError:
        return RuntimeError(
            f"PostgreSQL {what} failed (exit {done.returncode}) in {self.base}\n"
            f"stdout: {done.stdout.strip()}\nstderr: {done.stderr.strip()}\n"
            f"server log:\n{self._log_tail()}"
        )

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        """initdb, start on a free loopback port, wait until ready, create role and db."""
        self.sockdir.mkdir()
        if self.run_as is not None:
            entry = pwd.getpwnam(self.run_as)
            for path in (self.base, self.sockdir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        init = self._run(
            "initdb",
            "--pgdata",
            str(self.datadir),
            "--username",
            self.admin,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        if init.returncode != 0:
            raise self._failed("initdb", init)
        with (self.datadir / "postgresql.conf").open("a") as conf:
            conf.write(_CONF.format(sockdir=self.sockdir))
        for attempt in range(PORT_ATTEMPTS):
            self.port = free_port()
            started = self._run(
                "pg_ctl",
                "--pgdata",
                str(self.datadir),
                "--log",
                str(self.logfile),
                "--wait",
                f"--timeout={START_TIMEOUT_S}",
                "-o",
                f"-p {self.port}",
                "start",
            )
            if started.returncode == 0:
                break
            port_taken = "could not bind" in self._log_tail()
            if not port_taken or attempt == PORT_ATTEMPTS - 1:
                raise self._failed("start", started)
        self._wait_ready()
        self._create_role_and_database()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with self.admin_connection():
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"PostgreSQL on port {self.port} not ready after {START_TIMEOUT_S} s: "
                        f"{exc}\nserver log:\n{self._log_tail()}"
                    ) from exc
                time.sleep(0.05)

    def admin_connection(self) -> psycopg.Connection[tuple[object, ...]]:
        """A superuser connection over the unix socket (trusted), in autocommit."""
        return psycopg.connect(
            host=str(self.sockdir),
            port=self.port,
            user=self.admin,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        )

    def _create_role_and_database(self) -> None:
        with self.admin_connection() as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(self.user), sql.Literal(self.password)
                )
            )
        self.create_database(self.database)

    def create_database(self, name: str) -> str:
        """A new empty database owned by the test role; returns its URL."""
        with self.admin_connection() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0").format(
                    sql.Identifier(name), sql.Identifier(self.user)
                )
            )
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, closing whatever connections a test left open."""
        with self.admin_connection() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def halt(self) -> None:
        """Stop the server but keep its data (an index server that went down)."""
        stopped = self._run("pg_ctl", "--pgdata", str(self.datadir), "-m", "fast", "-w", "stop")
        if stopped.returncode != 0:
            raise self._failed("stop", stopped)

    def resume(self) -> None:
        """Start a halted server again on the same port."""
        started = self._run(
            "pg_ctl", "--pgdata", str(self.datadir), "--log", str(self.logfile), "--wait",
            f"--timeout={START_TIMEOUT_S}", "-o", f"-p {self.port}", "start",
        )  # fmt: skip
        if started.returncode != 0:
            raise self._failed("restart", started)
        self._wait_ready()

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder."""
        try:
            if (self.datadir / "postmaster.pid").exists():
                stopped = self._run(
                    "pg_ctl", "--pgdata", str(self.datadir), "-m", "fast", "-w", "stop"
                )
                if stopped.returncode != 0:
                    raise self._failed("stop", stopped)
        finally:
            shutil.rmtree(self.base)


def start_server() -> PostgresServer:
    """A running server, or :class:`PostgresUnavailable` when none can be run here."""
    bindir = find_bindir()
    run_as = unprivileged_user()
    # as root, a folder the server's user can reach (pytest's own tmp is root-only)
    parent = "/tmp" if run_as is not None and Path("/tmp").is_dir() else None
    base = Path(tempfile.mkdtemp(prefix="ardvc-pg-", dir=parent))
    server = PostgresServer(bindir=bindir, base=base, run_as=run_as)
    try:
        server.start()
    except BaseException as exc:
        try:
            server.stop()
        except (RuntimeError, OSError, subprocess.SubprocessError) as stop_exc:
            exc.add_note(f"stopping the half-started server failed too: {stop_exc}")
        raise
    return server
