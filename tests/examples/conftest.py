"""The examples run on SQLite, as their READMEs start them; `make_app(build=…)` and `connect`
(the root conftest's) start them and talk to them in process."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

Start = Callable[..., Awaitable[tuple[Starlette, httpx.AsyncClient]]]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A fresh SQLite file (this package's apps are not parametrized over PostgreSQL)."""
    return f"sqlite:///{tmp_path}/app.db"
