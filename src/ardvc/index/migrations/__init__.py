"""Alembic migrations of the index schema (run by ardvc, no alembic.ini needed)."""
