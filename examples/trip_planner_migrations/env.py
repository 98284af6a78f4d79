"""Alembic's entry point for the trip planner's scripts (version table alembic_version_trips)."""

from db.migrations import run_env

run_env()
