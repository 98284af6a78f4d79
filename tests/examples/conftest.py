"""Starting an example app: its lifespan running, a client on it (ASGI, no network)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bridge import Settings

from ..conftest import RunningLifespan

Start = Callable[..., Any]


@pytest.fixture
async def start_example(tmp_path: Path) -> AsyncIterator[Start]:
    """`await start_example(build_app, **options)` → (app, client), offline, on SQLite."""
    lifespans: list[RunningLifespan] = []

    async def started(
        build: Callable[..., Starlette], **options: Any
    ) -> tuple[Starlette, httpx.AsyncClient]:
        settings = Settings(
            offline=True, database_url=f"sqlite:///{tmp_path}/app.db", data_dir=tmp_path
        )
        app = build(settings, **options)
        lifespan = RunningLifespan(app)
        await lifespan.start()
        lifespans.append(lifespan)
        transport = httpx.ASGITransport(app=app)
        # localhost: a host the bridge's Host check accepts without configuration.
        return app, httpx.AsyncClient(transport=transport, base_url="http://localhost")

    yield started
    for lifespan in lifespans:
        await lifespan.stop()
