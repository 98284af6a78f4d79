"""Alembic's entry point: migrate the database named in the config (synchronous driver)."""

from db.migrations import run_env

run_env()
