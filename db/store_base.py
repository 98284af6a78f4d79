"""The store's connections: one pool per process, and how each kind of work uses it.

- Hot reads (`_fetch`) run prepared SQL through the driver: on SQLite, plain sqlite3 on the
  event loop; on PostgreSQL, one autocommit statement (one round trip) on a pooled psycopg
  connection used directly, retried once if the pooled connection turns out to be dead. The
  connection is lent straight from the pool's queue (`session.OnePool.lend`: no SQLAlchemy
  checkout, ~50 µs of CPU less) and goes back still in autocommit; a SQLAlchemy checkout
  makes it transactional again. Lent and checked-out connections wait in the same queue for
  the same `DATABASE_POOL_SIZE` connections. On PostgreSQL a page read costs about what the
  same query costs through bare psycopg (issue #13).
- Single statements (`_one`) run in autocommit on PostgreSQL, on the same pool: a statement
  is atomic by itself, and BEGIN/COMMIT would add two round trips. The turn's writes are all
  single statements (CTEs where several rows change; see `lease_queries`).
- Work of several statements that must hold together uses `engine.begin()`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util import greenlet_spawn

from .not_found import ItemNotFound, ThreadNotFound
from .prepared import Prepared
from .session import OnePool, autocommit, sqlite_reader
from .tables import items, one_item, threads


class _OnLoop:
    """A synchronous SQLite connection used directly on the event loop, behind the async API.

    SQLAlchemy's aiosqlite adapter hops to a worker thread several times per query (about
    450 µs per page read under load, issue #7); a plain sqlite3 read of an indexed page takes
    tens of µs. In WAL mode readers never wait for the writer, so a read cannot stall the loop
    behind a write. Writes stay on the async engine.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def execute(self, statement: Any) -> Any:
        return self._conn.execute(statement)


async def _read(driver: psycopg.AsyncConnection[Any], sql: str, args: Any) -> list[Any]:
    """The rows of one query in autocommit (one round trip, no BEGIN/COMMIT).

    The connection stays in autocommit when it goes back to the pool, so a stream of reads
    never switches (each switch takes the connection's lock and a wait, ~10 µs); a checkout
    for SQLAlchemy's users switches it back first (`session._transactional_on_checkout`).
    """
    try:
        if not driver.autocommit:
            await driver.set_autocommit(True)
        cursor = await driver.execute(sql, args)
        rows: list[Any] = await cursor.fetchall()
        return rows
    except psycopg.Error as exc:
        lost = driver.closed or driver.broken
        raise DBAPIError.instance(
            sql, args, exc, psycopg.Error, connection_invalidated=lost
        ) from exc


def _reusable(driver: psycopg.AsyncConnection[Any]) -> bool:
    """Whether a pooled connection can be used again as it is: open and idle (a query
    cancelled midway leaves it busy)."""
    if driver.closed or driver.broken:
        return False
    return driver.pgconn.transaction_status == TransactionStatus.IDLE


class StoreBase:
    """The engine and the ways the store's queries reach it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._reader: Engine | None = sqlite_reader(engine)
        self._raw: sqlite3.Connection | None = None
        self._auto: AsyncEngine | None = autocommit(engine)

    @property
    def postgres(self) -> bool:
        """Whether the store runs on PostgreSQL (else SQLite)."""
        return self._auto is not None

    async def _fetch(self, query: Prepared, **params: Any) -> list[Any]:
        """Rows of a prepared read: raw sqlite3 on the loop, or the driver via the engine."""
        if self._reader is not None:
            sql, args = query.bind(self._reader.dialect, params)
            if self._raw is None:
                self._raw = self._reader.raw_connection().driver_connection
            return self._raw.execute(sql, args).fetchall()  # type: ignore[union-attr]
        sql, args = query.bind(self.engine.dialect, params)
        if self._auto is None:
            async with self.engine.connect() as conn:
                return list((await conn.exec_driver_sql(sql, args)).all())
        for attempt in (1, 2):
            try:
                return await self._fetch_driver(sql, args)
            except DBAPIError as exc:
                # Without a pre-ping, a connection the server closed fails on first use; the
                # pool has dropped it, so one more try gets a fresh one.
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    async def _fetch_driver(self, sql: str, args: Any) -> list[Any]:
        """One autocommit query on a pooled psycopg connection, used directly.

        SQLAlchemy's connection and result layers cost about 200 µs of CPU per page read, more
        than psycopg itself (issue #13), and its checkout about 50 µs more: the connection is
        lent straight from the one pool's queue (`OnePool.lend`), or checked out the usual
        way when the pool has work to do first. Errors are SQLAlchemy's errors as everywhere
        else.
        """
        pool = self.engine.sync_engine.pool
        entry = await pool.lend() if isinstance(pool, OnePool) else None
        if entry is None:
            return await self._fetch_checked_out(sql, args)
        assert isinstance(pool, OnePool)
        driver = cast("psycopg.AsyncConnection[Any]", entry.driver_connection)
        try:
            return await _read(driver, sql, args)
        finally:
            if not _reusable(driver):
                # Lost, or cancelled mid-query (still busy). A soft invalidation needs no
                # await (this may run while being cancelled): the pool closes and replaces
                # the connection on its next checkout.
                entry.invalidate(soft=True)
            pool.give_back(entry)

    async def _fetch_checked_out(self, sql: str, args: Any) -> list[Any]:
        """`_fetch_driver` on a connection checked out as SQLAlchemy does."""
        try:
            pooled = await self.engine.raw_connection()
        except psycopg.Error as exc:  # could not connect: as the engine would report it
            raise DBAPIError.instance(sql, args, exc, psycopg.Error) from exc
        driver = cast("psycopg.AsyncConnection[Any]", pooled.driver_connection)
        try:
            return await _read(driver, sql, args)
        finally:
            if not _reusable(driver):
                # Lost, or cancelled mid-query: the pool opens a fresh one when needed.
                await greenlet_spawn(pooled.invalidate)
            await greenlet_spawn(pooled.close)

    @asynccontextmanager
    async def _one(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one atomic statement: autocommit on PostgreSQL (one round trip),
        a transaction on SQLite (local, so BEGIN and COMMIT cost nothing on the wire)."""
        if self._auto is not None:
            async with self._auto.connect() as conn:
                yield conn
            return
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[Any]:
        """A connection for reads: on the loop for a SQLite file, else autocommit."""
        if self._reader is None:
            async with (self._auto or self.engine).connect() as conn:
                yield conn
            return
        with self._reader.connect() as conn:
            yield _OnLoop(conn)

    async def _require_thread(
        self, conn: AsyncConnection | _OnLoop, user_id: str, thread_id: str
    ) -> None:
        found = (
            await conn.execute(
                select(threads.c.seq).where(threads.c.id == thread_id, threads.c.user_id == user_id)
            )
        ).first()
        if found is None:
            raise ThreadNotFound(thread_id)

    async def _require_item(
        self, conn: AsyncConnection | _OnLoop, user_id: str, thread_id: str, item_id: str
    ) -> None:
        found = (
            await conn.execute(select(items.c.seq).where(one_item(user_id, thread_id, item_id)))
        ).first()
        if found is None:
            raise ItemNotFound(item_id)

    async def close(self) -> None:
        """Release the read connection and the engine's pool."""
        if self._reader is not None:
            self._raw = None
            self._reader.dispose()
        await self.engine.dispose()

    async def ping(self) -> None:
        """Raise if the database does not answer."""
        async with self.engine.connect() as conn:
            await conn.execute(select(1))
