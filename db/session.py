"""The engine: database URLs as users paste them, turned into async SQLAlchemy engines."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry, SingletonThreadPool

from .models import Base

DEFAULT_URL = "sqlite:///./data/bridge.db"
POOL_SIZE = 10
"""Connections per process to PostgreSQL (`DATABASE_POOL_SIZE`): every request and every
statement of a streaming turn shares them; a turn holds one only while a statement runs."""
POOL_TIMEOUT = 10.0
"""Seconds a request waits for a free connection (`DATABASE_POOL_TIMEOUT`), then 503."""
SQLITE_WRITE_TIMEOUT = 30.0
"""Seconds a write waits for a SQLite file's one writing connection, then 503."""
IDLE_PING_SECONDS = 10.0
"""A pooled connection idle longer than this is pinged before use (see `_ping_when_idle`)."""


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
            # One connection writes. SQLite lets one writer in at a time anyway; with several
            # connections, the others wait on the file's lock in SQLite's busy handler, which
            # polls with sleeps and gives up after busy_timeout: under a hundred concurrent
            # turns some did ("database is locked", a 503). One connection makes them wait in
            # the pool's queue instead, in order, for up to SQLITE_WRITE_TIMEOUT. Reads do not
            # wait for it: they run on the loop's own connection (`sqlite_reader`). Other
            # processes on the same file still meet the busy timeout.
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
            kwargs.setdefault("pool_timeout", SQLITE_WRITE_TIMEOUT)
        engine = create_async_engine(target, **kwargs)
        _tune_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", 0)
    kwargs.setdefault("pool_timeout", POOL_TIMEOUT)
    # The most recently used connection first, so under light load one stays hot and the
    # others age out; no pre-ping (a round trip per checkout): see `_ping_when_idle`.
    kwargs.setdefault("pool_use_lifo", True)
    kwargs.setdefault("pool_pre_ping", False)
    kwargs.setdefault("poolclass", OnePool)
    engine = create_async_engine(target, **kwargs)
    _ping_when_idle(engine)
    _transactional_on_checkout(engine)
    return engine


def pool_options(url: str, size: int, timeout: float) -> dict[str, Any]:
    """`make_engine` options for the pool's size and wait (PostgreSQL; SQLite has no pool
    to size: its writes are serialised by the file)."""
    if connect_url(url).get_backend_name() != "postgresql":
        return {}
    return {"pool_size": size, "pool_timeout": timeout}


class OnePool(AsyncAdaptedQueuePool):
    """The one PostgreSQL pool of a process, with a short way in for hot reads (issue #13).

    Everything else checks connections out as SQLAlchemy does: a proxy object, checkout and
    checkin events, a rollback on return, several greenlet switches; about 50 µs of CPU per
    checkout, a third of a page read. A hot read instead takes a connection's entry straight
    from the pool's own queue and puts it back (`lend`, `give_back`). Both ways wait in the
    same queue, in order, for the same `pool_size` connections, so the pool's size, its
    bounded wait and its counts hold for both, and neither can starve the other.

    `lend` steps aside (returns None, and the caller takes SQLAlchemy's way) whenever that way
    has work to do: opening a connection the pool does not have yet, replacing an invalidated
    one, or pinging one idle for `IDLE_PING_SECONDS`; and always when the pool is set to
    overflow, recycle or pre-ping, which `make_engine` never does.
    """

    # Log as SQLAlchemy's own pools do (under `sqlalchemy`, quiet below WARNING), not as
    # `db.session.OnePool`, whose INFO lines would reach the bridge's log.
    _sqla_logger_namespace = "sqlalchemy.pool.impl.OnePool"

    @property
    def _entries(self) -> asyncio.Queue[ConnectionPoolEntry]:
        return cast("asyncio.Queue[ConnectionPoolEntry]", self._pool._queue)  # type: ignore[attr-defined]

    async def lend(self) -> ConnectionPoolEntry | None:
        """A pooled connection's entry, its connection open and recently used, or None.

        Waits at most the pool's timeout when every connection is busy, then raises the
        same TimeoutError as a checkout (a 503).
        """
        if self._pre_ping or self._recycle > -1 or self._max_overflow != 0:
            return None  # options `make_engine` does not set: SQLAlchemy's way handles them
        entries = self._entries
        if entries.empty():
            if self._overflow < 0:
                return None  # the pool may open another connection: SQLAlchemy's way
            try:
                async with asyncio.timeout(self._timeout):
                    entry = await entries.get()
            except TimeoutError:
                raise PoolTimeout(
                    f"QueuePool limit of size {self.size()} overflow {self.overflow()} "
                    f"reached, connection timed out, timeout {self._timeout:.2f}",
                    code="3o7r",
                ) from None
        else:
            entry = entries.get_nowait()
        idle_since = entry.info.get("idle_since")
        if entry._is_hard_or_soft_invalidated() or (  # type: ignore[attr-defined]
            idle_since is not None and time.monotonic() - idle_since >= IDLE_PING_SECONDS
        ):
            entries.put_nowait(entry)
            return None
        return entry

    def give_back(self, entry: ConnectionPoolEntry) -> None:
        """Return what `lend` gave (to the next waiter, if any)."""
        entry.info["idle_since"] = time.monotonic()
        self._entries.put_nowait(entry)


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection before use only when it sat idle for a while.

    A pre-ping on every checkout costs a round trip per statement, which on a database 20 ms
    away is most of a turn (issue #13). A connection used moments ago is alive; one idle for
    `IDLE_PING_SECONDS` may have been closed by the server or a proxy, so it is pinged and
    replaced if dead. A connection that died within the window fails its statement; reads
    retry once on a fresh connection (`StoreBase._fetch`).
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            # In autocommit: one round trip, and no transaction left open behind it.
            dbapi_conn.autocommit = True
            cursor = dbapi_conn.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_conn.autocommit = False
        except Exception as exc:
            raise DisconnectionError("a pooled connection was dead") from exc


def _transactional_on_checkout(engine: AsyncEngine) -> None:
    """Hot reads leave pooled connections in autocommit (`StoreBase._fetch_driver`); whoever
    checks one out through SQLAlchemy gets it transactional, as SQLAlchemy expects."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_conn.autocommit:
            dbapi_conn.autocommit = False


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()


def autocommit(engine: AsyncEngine) -> AsyncEngine | None:
    """PostgreSQL: the engine in autocommit, on the SAME pool; None for SQLite.

    A single statement in a transaction costs three round trips (BEGIN, the statement,
    COMMIT); in autocommit it costs one and is just as atomic. Everything the hot paths do is
    one statement (CTEs where several rows change), so they run here; multi-statement work
    keeps `engine.begin()`. Autocommit is a client-side flag in psycopg: switching costs
    nothing, and the pool puts the connection back as it was.
    """
    if engine.url.get_backend_name() != "postgresql":
        return None
    return engine.execution_options(isolation_level="AUTOCOMMIT")


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
