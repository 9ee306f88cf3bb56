"""The index's connection layer on SQLite and on a real PostgreSQL server (tests/pg.py).

Concurrency is tested with real threads and real locks: writers that check-then-insert
under ``write_transaction`` must never duplicate a row nor crash, and the same writers
without it must be seen to race (so the test can tell the difference).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from ardvc.config import Config, Level
from ardvc.errors import ConfigError, IndexUnavailableError, SecretInSharedConfigError
from ardvc.index.db import (
    check_connection,
    create_engine_for,
    describe,
    index_url,
    lock_key,
    masked_url,
    write_session,
    write_transaction,
)
from ardvc.workspace import Workspace

SECRET = "s3cret-Pa55word"


@pytest.fixture
def engine(index_urls: str) -> Iterator[Engine]:
    made = create_engine_for(index_urls)
    try:
        yield made
    finally:
        made.dispose()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scratch(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE items (name VARCHAR(32) NOT NULL, writer INTEGER)"))


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, COUNT(*) FROM items GROUP BY name")).all()
    return {str(name): int(count) for name, count in rows}


# --- URLs and configuration ----------------------------------------------------------------


def test_index_url_defaults_to_the_lab_sqlite_file(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path)
    workspace.ardvc_dir.mkdir()
    url = index_url(workspace, Config(workspace.ardvc_dir, env={}))
    assert url == f"sqlite:///{tmp_path / '.ardvc' / 'index.sqlite3'}"


def test_index_url_with_a_password_comes_from_config_local(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path)
    workspace.ardvc_dir.mkdir()
    config = Config(workspace.ardvc_dir, env={})
    url = f"postgresql+psycopg://lab:{SECRET}@db.lab.example:5432/ardvc"
    with pytest.raises(SecretInSharedConfigError):
        config.set("index.url", url, Level.LAB)
    config.set("index.url", url, Level.LOCAL)
    assert index_url(workspace, Config(workspace.ardvc_dir, env={})) == url


def test_masked_url() -> None:
    assert (
        masked_url("sqlite:////lab/.ardvc/index.sqlite3") == "sqlite:////lab/.ardvc/index.sqlite3"
    )
    assert masked_url(f"postgresql://u:{SECRET}@h:5432/db") == "postgresql://u:***@h:5432/db"
    shown = masked_url("postgresql+psycopg://u:p%40ss%2Fw0rd@h/db")
    assert shown == "postgresql+psycopg://u:***@h/db"
    assert masked_url("postgresql://u:pa/ss@h/db") == "postgresql://u:***@h/db"  # unescaped "/"
    assert masked_url("postgresql://u@h/db") == "postgresql://u@h/db"
    engine = create_engine_for(f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1/db")
    assert masked_url(engine.url) == "postgresql+psycopg://u:***@127.0.0.1:1/db"


@pytest.mark.parametrize(
    "url",
    [
        f"mysql://root:{SECRET}@localhost/ardvc",
        f"postgresql+psycopg2://u:{SECRET}@localhost/ardvc",
        f"postgresql+asyncpg://u:{SECRET}@localhost/ardvc",
        "sqlite+aiosqlite:///index.sqlite3",
        "not a url",
    ],
)
def test_unsupported_scheme_is_refused(url: str) -> None:
    with pytest.raises(ConfigError) as err:
        create_engine_for(url)
    assert SECRET not in str(err.value)
    assert err.value.hint and "sqlite:///" in err.value.hint


def test_plain_postgresql_url_uses_psycopg3() -> None:
    engine = create_engine_for("postgresql://u@127.0.0.1:1/db")
    assert engine.dialect.driver == "psycopg"
    assert create_engine_for("postgres://u@127.0.0.1:1/db").dialect.driver == "psycopg"


# --- engines on both backends --------------------------------------------------------------


def test_engine_connects_and_describes_itself(engine: Engine, index_urls: str) -> None:
    check_connection(engine)
    info = describe(engine)
    backend = index_urls.split(":", 1)[0].split("+", 1)[0]
    assert info["backend"] == backend
    assert info["driver"] == {"sqlite": "pysqlite", "postgresql": "psycopg"}[backend]
    assert info["server_version"][0].isdigit()
    if backend == "postgresql":
        password = engine.url.password
        assert password and password not in str(info)
        assert ":***@127.0.0.1:" in info["url"]
        assert info["database"] == engine.url.database
    else:
        assert info["url"] == index_urls
        assert info["database"].endswith("index.sqlite3")


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'i.sqlite3'}", busy_timeout=2.5)
    with engine.connect() as conn:
        pragma = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 1,
        "foreign_keys": 1,
        "busy_timeout": 2500,
    }
    engine.dispose()


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        conn.execute(
            text(
                "CREATE TABLE child (id INTEGER PRIMARY KEY,"
                " parent_id INTEGER REFERENCES parent(id))"
            )
        )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO child (id, parent_id) VALUES (1, 42)"))


def test_ddl_is_transactional(engine: Engine) -> None:
    """SQLite too: the driver's legacy mode would have autocommitted the CREATE TABLE."""
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(text("CREATE TABLE doomed (x INTEGER)"))
        raise RuntimeError("roll it back")
    assert not inspect(engine).has_table("doomed")


# --- write transactions --------------------------------------------------------------------

_SELECT = text("SELECT COUNT(*) FROM items WHERE name = :n")
_INSERT = text("INSERT INTO items VALUES (:n, :w)")


def test_write_transaction_serialises_concurrent_writers(engine: Engine) -> None:
    """Four writers check-then-insert the same six names: each name lands exactly once."""
    _scratch(engine)
    names = [f"run-{i}" for i in range(6)]
    writers = 4
    start = threading.Barrier(writers)

    def writer(number: int) -> None:
        start.wait()
        for name in names:
            with write_transaction(engine, lock=f"item:{name}") as conn:
                if not conn.execute(_SELECT, {"n": name}).scalar_one():
                    time.sleep(0.01)  # widen the window a racing writer would slip through
                    conn.execute(_INSERT, {"n": name, "w": number})

    with ThreadPoolExecutor(writers) as pool:
        for done in [pool.submit(writer, n) for n in range(writers)]:
            done.result()  # re-raises a writer's crash
    assert _counts(engine) == dict.fromkeys(names, 1)


def test_the_same_writers_race_without_it(engine: Engine) -> None:
    """Control: both writers see no row before either inserts. PostgreSQL then holds a
    duplicate; SQLite refuses the second (stale snapshot) with "database is locked"."""
    _scratch(engine)
    both_looked = threading.Barrier(2)

    def writer(number: int) -> None:
        with engine.begin() as conn:
            seen = conn.execute(_SELECT, {"n": "x"}).scalar_one()
            both_looked.wait(timeout=10)
            if not seen:
                conn.execute(_INSERT, {"n": "x", "w": number})

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(writer, n) for n in range(2)]
        errors = [f.exception() for f in futures]
    if engine.dialect.name == "postgresql":
        assert errors == [None, None]
        assert _counts(engine) == {"x": 2}
    else:
        failed = [e for e in errors if e is not None]
        assert len(failed) == 1 and isinstance(failed[0], DBAPIError)
        assert "database is locked" in str(failed[0])
        assert _counts(engine) == {"x": 1}


def test_write_transaction_commits_or_rolls_back(engine: Engine) -> None:
    _scratch(engine)
    with write_transaction(engine) as conn:
        conn.execute(_INSERT, {"n": "kept", "w": 1})
    with pytest.raises(RuntimeError), write_transaction(engine) as conn:
        conn.execute(_INSERT, {"n": "dropped", "w": 1})
        raise RuntimeError("fail after the insert")
    with write_session(engine, lock="repo:IR998") as session:
        session.execute(_INSERT, {"n": "orm", "w": 2})
    assert _counts(engine) == {"kept": 1, "orm": 1}


def test_a_writer_that_cannot_get_the_lock_in_time_gets_a_typed_error(index_urls: str) -> None:
    engine = create_engine_for(index_urls, busy_timeout=0.2)
    _scratch(engine)
    try:
        with write_transaction(engine, lock="repo:IR998") as holder:
            holder.execute(_INSERT, {"n": "held", "w": 1})
            began = time.monotonic()
            with (
                pytest.raises(IndexUnavailableError, match="busy: no write lock 'repo:IR998'"),
                write_transaction(engine, lock="repo:IR998"),
            ):
                pass
            assert time.monotonic() - began < 5
    finally:
        engine.dispose()
    assert _counts(engine) == {"held": 1}


def test_postgresql_locks_are_per_name(postgres_url: str) -> None:
    """Writers of different repositories do not wait for each other on PostgreSQL."""
    engine = create_engine_for(postgres_url, busy_timeout=0.2)
    try:
        with (
            write_transaction(engine, lock="repo:IR998"),
            write_transaction(engine, "repo:Cornudas"),
        ):
            pass
    finally:
        engine.dispose()
    assert lock_key("repo:IR998") != lock_key("repo:Cornudas")
    assert -(2**63) <= lock_key("repo:IR998") < 2**63


# --- unreachable databases -----------------------------------------------------------------


def _assert_masked(err: IndexUnavailableError, shown_url: str) -> None:
    assert shown_url in str(err)
    assert SECRET not in str(err)
    assert err.hint and SECRET not in err.hint


def test_closed_port_raises_index_unavailable(caplog: pytest.LogCaptureFixture) -> None:
    port = _closed_port()
    url = f"postgresql+psycopg://lab:{SECRET}@127.0.0.1:{port}/ardvc"
    engine = create_engine_for(url)
    caplog.set_level(logging.DEBUG)
    for attempt in (check_connection, describe):
        with pytest.raises(IndexUnavailableError) as err:
            attempt(engine)
        _assert_masked(err.value, f"postgresql+psycopg://lab:***@127.0.0.1:{port}/ardvc")
        assert "cannot reach the SQL index" in str(err.value)
        assert "PostgreSQL server is running" in (err.value.hint or "")
    with pytest.raises(IndexUnavailableError), write_transaction(engine):
        pass
    assert SECRET not in caplog.text


def test_wrong_password_raises_index_unavailable(postgres_url: str) -> None:
    good = create_engine_for(postgres_url).url
    engine = create_engine_for(good.set(password=SECRET).render_as_string(hide_password=False))
    with pytest.raises(IndexUnavailableError) as err:
        check_connection(engine)
    _assert_masked(err.value, f"{good.username}:***@127.0.0.1:{good.port}/{good.database}")
    assert "password authentication failed" in str(err.value)


def test_missing_sqlite_folder_raises_index_unavailable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'index.sqlite3'}"
    with pytest.raises(IndexUnavailableError, match="cannot open the SQL index") as err:
        check_connection(create_engine_for(url))
    assert url in str(err.value)
