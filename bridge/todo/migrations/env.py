"""Alembic's entry point for the todo app's migrations (version table alembic_version_todo)."""

from db.migrations import run_env

run_env()
