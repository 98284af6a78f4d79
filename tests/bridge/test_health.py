"""`GET /healthz` is a readiness check: database answering and schema current, or a 503.

Bug: a dropped schema left /healthz saying `ok` while every request was a 503.
Fix: /healthz checks the bridge's tables and the schema revision.
"""

from __future__ import annotations

import httpx
from sqlalchemy import text
from starlette.applications import Starlette

from bridge import __version__


async def test_ready(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "version": __version__,
        "database": "ok",
        "schema": "ok",
    }


async def test_dropped_table_is_not_ready(app: Starlette, client: httpx.AsyncClient) -> None:
    async with app.state.services.store.engine.begin() as conn:
        await conn.execute(text("DROP TABLE feedback"))
    response = await client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["schema"] == "missing tables: feedback"


async def test_schema_behind_is_not_ready(app: Starlette, client: httpx.AsyncClient) -> None:
    async with app.state.services.store.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["schema"].startswith("behind: revision older, this bridge needs ")


async def test_database_gone_is_degraded(app: Starlette, client: httpx.AsyncClient) -> None:
    await app.state.services.store.engine.dispose()
    app.state.services.store.engine = _broken_engine()
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"


def _broken_engine():  # type: ignore[no-untyped-def]
    from sqlalchemy.ext.asyncio import create_async_engine

    return create_async_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
