"""Creating and upgrading the index schema with Alembic, on SQLite and PostgreSQL.

The migrations are the only way the schema is made: a test checks that they produce exactly
the models (Pychron's ORM and migrations disagree; ardvc's must not).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from ardvc.index.db import write_transaction

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: object | None = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    """Every revision this version of ardvc can upgrade from."""
    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create the schema from empty, or bring an older one up to ``revision``.

    Runs under the index's write lock, so several processes opening a new index at once
    migrate it once (the others find it done)."""
    with write_transaction(engine, lock="schema") as connection:
        command.upgrade(alembic_config(connection), revision)  # a no-op when already there


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)
