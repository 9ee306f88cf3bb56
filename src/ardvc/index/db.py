"""Connections to the SQL index: SQLite for one workstation, PostgreSQL (psycopg 3) for a lab.

Everything that opens the index goes through :func:`create_engine_for`, so both backends
behave alike where it matters: writes that must not race take a named lock up front
(:func:`write_transaction`), waits for a lock are bounded, and a database that cannot be
reached raises :class:`~ardvc.errors.IndexUnavailableError` naming the URL with its password
masked. Passwords never reach a message or a log.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry

from ardvc.config import Config, is_secret, mask_secret
from ardvc.errors import ConfigError, IndexUnavailableError
from ardvc.workspace import Workspace

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 60.0
"""Longest wait for another writer's lock (SQLite busy timeout, PostgreSQL lock_timeout)."""
CONNECT_TIMEOUT_S = 10
"""Longest wait for a PostgreSQL server to accept a connection."""
DEFAULT_LOCK = "index"
"""Lock name of writers that change the index as a whole."""

_BEGIN_OPTION = "ardvc_sqlite_begin"
_SQLITE_DRIVERS = {"pysqlite"}
_POSTGRES_DRIVERS = {"psycopg"}


# --- URLs ----------------------------------------------------------------------------------


def index_url(workspace: Workspace, config: Config) -> str:
    """``index.url`` from the configuration, else the lab's embedded SQLite file."""
    configured = config.get("index.url")
    if configured:
        return str(configured)
    return f"sqlite:///{workspace.index_db}"


def masked_url(url: str | URL) -> str:
    """The URL as a user may see it: ``postgresql+psycopg://u:***@host/db``."""
    rendered = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    shown = mask_secret(rendered) if is_secret("index.url", rendered) else rendered
    try:
        password = make_url(rendered).password
    except ArgumentError:
        return shown
    if password and str(password) in shown:
        # a password the simple pattern cannot see (an unescaped "/" or "@")
        return make_url(rendered).render_as_string(hide_password=True)
    return shown


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"index.url {masked_url(url)!r} is not a database URL",
            hint="use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB",
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "postgres":
        backend = "postgresql"
    explicit_driver = "+" in parsed.drivername
    if backend == "postgresql":
        if explicit_driver and parsed.get_driver_name() not in _POSTGRES_DRIVERS:
            raise _unsupported(url, "ardvc talks to PostgreSQL through psycopg 3")
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if explicit_driver and parsed.get_driver_name() not in _SQLITE_DRIVERS:
            raise _unsupported(url, "ardvc uses Python's own sqlite3 driver")
        return parsed
    raise _unsupported(url, "the index lives in SQLite or PostgreSQL")


def _unsupported(url: str, why: str) -> ConfigError:
    return ConfigError(
        f"index.url {masked_url(url)!r}: unsupported database ({why})",
        hint="use sqlite:///PATH (one workstation) or postgresql+psycopg://USER@HOST:PORT/DB "
        "(a lab's shared index); set it with ardvc config index.url URL, or with "
        "ardvc config --local index.url URL when it holds a password",
    )


# --- engines -------------------------------------------------------------------------------


def create_engine_for(url: str, *, busy_timeout: float = BUSY_TIMEOUT_S) -> Engine:
    """An engine for the index at ``url``, configured for ardvc's concurrency rules.

    ``busy_timeout`` bounds every wait for another writer's lock, in seconds.
    """
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed, busy_timeout)
    else:
        engine = _postgres_engine(parsed, busy_timeout)
    event.listen(engine, "handle_error", _unavailable_on_connection_error)
    return engine


def _sqlite_engine(url: URL, busy_timeout: float) -> Engine:
    engine = create_engine(url)
    busy_ms = max(0, round(busy_timeout * 1000))
    in_memory = url.database in (None, "", ":memory:")

    def on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # SQLAlchemy's recipe for real transactions on sqlite3 (any Python version): the
        # driver emits no BEGIN of its own, the "begin" listener below does.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()
        if mode != "wal" and not in_memory:
            log.warning("SQLite index %s is in journal mode %r, not WAL", url.database, mode)

    def on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)
    return engine


def _postgres_engine(url: URL, busy_timeout: float) -> Engine:
    defaults: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT_S,
        "application_name": "ardvc",
        "options": f"-c lock_timeout={max(0, round(busy_timeout * 1000))}",
    }
    connect_args = {key: value for key, value in defaults.items() if key not in url.query}
    try:
        return create_engine(
            url,
            connect_args=connect_args,
            pool_size=5,
            max_overflow=10,
            pool_timeout=30,
            pool_recycle=1800,
            pool_pre_ping=True,
        )
    except ImportError as exc:
        raise ConfigError(
            f"index.url {masked_url(url)!r} needs psycopg 3, which is not installed",
            hint="pip install 'ardvc[postgres]'",
        ) from exc


def _unavailable_on_connection_error(context: ExceptionContext) -> None:
    """Connection failures (and lost connections) become :class:`IndexUnavailableError`."""
    if context.is_pre_ping or context.engine is None:
        return  # the pool handles pre-ping failures by reconnecting
    if context.connection is not None and not context.is_disconnect:
        return  # an SQL error on a live connection stays SQLAlchemy's
    raise unavailable(context.engine.url, context.original_exception)


def unavailable(url: URL, cause: BaseException) -> IndexUnavailableError:
    """The typed error for an index at ``url`` that failed with ``cause``."""
    reason = "; ".join(line.strip() for line in str(cause).splitlines() if line.strip())
    if url.password:
        reason = reason.replace(str(url.password), "***")
    if url.get_backend_name() == "sqlite":
        hint = (
            "check that the folder of the index file exists and is writable, "
            "or point index.url at another database"
        )
        return IndexUnavailableError(
            f"cannot open the SQL index {masked_url(url)}: {reason}", hint=hint
        )
    hint = (
        "check that the PostgreSQL server is running and reachable from this machine, and "
        "the host, port, user, password and database name in index.url (ardvc config "
        "--show-origin index.url tells where it is set; a URL with a password belongs in "
        "config.local: ardvc config --local index.url URL)"
    )
    return IndexUnavailableError(
        f"cannot reach the SQL index {masked_url(url)}: {reason}", hint=hint
    )


def check_connection(engine: Engine) -> None:
    """Connect once and run a trivial query; raises :class:`IndexUnavailableError`."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1")).scalar_one()


def describe(engine: Engine) -> dict[str, str]:
    """What ``ardvc index info`` shows: backend, driver, masked URL, database, version."""
    backend = engine.dialect.name
    with engine.connect() as connection:
        if backend == "sqlite":
            version = connection.execute(text("SELECT sqlite_version()")).scalar_one()
            database = engine.url.database or ":memory:"
        else:
            version = connection.execute(text("SHOW server_version")).scalar_one()
            database = connection.execute(text("SELECT current_database()")).scalar_one()
    return {
        "backend": backend,
        "driver": engine.dialect.driver,
        "url": masked_url(engine.url),
        "database": str(database),
        "server_version": str(version),
    }


# --- write transactions --------------------------------------------------------------------


def lock_key(name: str) -> int:
    """The signed 64-bit PostgreSQL advisory-lock key of a lock name (stable everywhere)."""
    digest = hashlib.blake2b(f"ardvc:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def write_transaction(engine: Engine, lock: str = DEFAULT_LOCK) -> Iterator[Connection]:
    """A transaction whose writer holds ``lock`` until it commits or rolls back.

    Two writers that check-then-insert under the same lock name run one after the other,
    so neither duplicates the other's rows. On SQLite the lock is the database's write lock
    (``BEGIN IMMEDIATE``: every writer serialises, whatever the name); on PostgreSQL it is a
    transaction-scoped advisory lock on the name, so writers of different names (e.g.
    ``repo:IR998`` and ``repo:Cornudas``) run side by side. Commits on a clean exit, rolls
    back on an exception. A lock not had within the engine's busy timeout raises
    :class:`IndexUnavailableError`.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        try:
            transaction = connection.begin()
            if not sqlite:
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(CAST(:key AS BIGINT))"),
                    {"key": lock_key(lock)},
                )
        except OperationalError as exc:
            raise IndexUnavailableError(
                f"the SQL index {masked_url(engine.url)} is busy: no write lock {lock!r} "
                f"within the busy timeout ({' '.join(str(exc.orig).split())})",
                hint="another ardvc process is writing to the index; retry when it is done, "
                "or look for a stuck one",
            ) from exc
        with transaction:
            yield connection


@contextmanager
def write_session(engine: Engine, lock: str = DEFAULT_LOCK) -> Iterator[Session]:
    """An ORM :class:`Session` inside :func:`write_transaction`; flushed before the commit."""
    with write_transaction(engine, lock) as connection, Session(bind=connection) as session:
        yield session
        session.flush()
