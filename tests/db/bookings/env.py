"""Alembic's entry point for the toy app's scripts."""

from db.migrations import run_env

run_env()
