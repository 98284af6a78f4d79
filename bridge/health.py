"""`GET /healthz`: ready when the database answers and holds the schema this bridge needs.

A load balancer takes a 503 as "not ready": the database does not answer, or its tables are
missing (dropped, or a new database the bridge did not create) or behind this version.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from db.migrations import head
from db.models import Base

from . import __version__
from .context import Services


@dataclass(frozen=True)
class SchemaCheck:
    """`ok`, or why the schema cannot serve requests."""

    ready: bool
    detail: str


@cache
def _head() -> str:
    return head()


def _check(conn: Connection) -> SchemaCheck:
    missing = sorted(set(Base.metadata.tables) - set(inspect(conn).get_table_names()))
    if missing:
        return SchemaCheck(False, "missing tables: " + ", ".join(missing))
    current = MigrationContext.configure(conn).get_current_revision()
    if current != _head():
        return SchemaCheck(
            False, f"behind: revision {current or '(none)'}, this bridge needs {_head()}"
        )
    return SchemaCheck(True, "ok")


async def check_schema(engine: AsyncEngine) -> SchemaCheck:
    """Whether the database's tables and revision are the ones this bridge needs."""
    async with engine.connect() as conn:
        return await conn.run_sync(_check)


async def healthz(services: Services, request: Request) -> Response:
    """App, database and schema state; 503 unless all are ready."""
    try:
        schema = await check_schema(services.store.engine)
    except Exception as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return JSONResponse(
            {"status": "degraded", "version": __version__, "database": f"error: {reason}"},
            status_code=503,
        )
    body = {"status": "ok" if schema.ready else "not ready", "version": __version__}
    body |= {"database": "ok", "schema": schema.detail}
    return JSONResponse(body, status_code=200 if schema.ready else 503)
