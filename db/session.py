"""The engine: database URLs as users paste them, turned into async SQLAlchemy engines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import SingletonThreadPool

from .models import Base

DEFAULT_URL = "sqlite:///./data/bridge.db"


def connect_url(url: str) -> URL:
    """Map a pasted URL (`postgres://…?sslmode=require`, `sqlite:///…`) to an async driver URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):  # Heroku and others still hand out postgres://
        # psycopg 3 hands libpq parameters such as sslmode and channel_binding through as is.
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    raise ValueError(
        f"unsupported database URL {parsed.render_as_string()!r}: use sqlite or postgresql"
    )


def make_engine(url: str = DEFAULT_URL, **kwargs: Any) -> AsyncEngine:
    """Create the engine; for a SQLite file, create its folder and turn on WAL and foreign keys."""
    target = connect_url(url)
    if target.get_backend_name() == "sqlite":
        if target.database and target.database != ":memory:":
            Path(target.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(target, **kwargs)
        _tune_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_async_engine(target, **kwargs)


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()


def postgres_reader(engine: AsyncEngine) -> AsyncEngine | None:
    """An autocommit engine for PostgreSQL's hot reads, or None for other databases.

    On the main engine a read costs four round trips: the pool's pre-ping, an implicit BEGIN,
    the query and a ROLLBACK on return. In autocommit with no pre-ping it costs one; the
    store retries a read once when the server had dropped the pooled connection.
    """
    if engine.url.get_backend_name() != "postgresql":
        return None
    return create_async_engine(
        engine.url, isolation_level="AUTOCOMMIT", pool_pre_ping=False, pool_size=10, max_overflow=20
    )


def sqlite_reader(engine: AsyncEngine) -> Engine | None:
    """A synchronous engine for reading a SQLite file on the event loop, or None.

    One connection per thread (the loop's); a short busy timeout, because a read that had to
    wait would wait on the loop. None for PostgreSQL and for in-memory SQLite (another
    connection would see another database).
    """
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    reader = create_engine(url.set(drivername="sqlite"), poolclass=SingletonThreadPool)

    @event.listens_for(reader, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=200")
        cur.execute("PRAGMA query_only=ON")
        cur.close()

    return reader


async def create_schema(engine: AsyncEngine) -> None:
    """Create missing tables (first start); versioned migrations are `python -m bridge migrate`."""
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
