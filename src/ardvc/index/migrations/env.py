"""Alembic environment: ardvc passes the connection in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from ardvc.index.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("ardvc runs its migrations with an open connection")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
