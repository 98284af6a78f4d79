"""The Better Auth tests run the bridge on SQLite (Better Auth, not the database, is what they
test): `db_url` here is one SQLite file, not the root conftest's SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A fresh SQLite file."""
    return f"sqlite:///{tmp_path}/bridge.db"
