"""One PostgreSQL pool per process: its size, its bounded wait, and dead connections.

Issue #13: a process opened up to 60 connections in two pools; now `DATABASE_POOL_SIZE`
connections in one, a bounded wait for a free one (503 before a stream), and no pre-ping
round trip on every checkout (only a connection idle for a while is pinged).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from db import Store, make_engine
from db.session import create_schema, pool_options
from schemas import ThreadMetadata, UserMessageItem, utcnow

from ..wire import user_input

pytestmark = pytest.mark.postgres


def test_the_pool_is_sized_by_the_setting_and_never_overflows() -> None:
    url = "postgresql://u@h/db"
    assert pool_options(url, 7, 2.5) == {"pool_size": 7, "pool_timeout": 2.5}
    assert pool_options("sqlite:///x.db", 7, 2.5) == {}
    engine = make_engine(url, **pool_options(url, 7, 2.5))
    assert engine.pool.size() == 7  # type: ignore[attr-defined]
    assert engine.pool._max_overflow == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_a_request_waits_a_bounded_time_for_a_connection_then_503(
    pg_url: str, make_app: Any, connect: Any
) -> None:
    app = await make_app(database_url=pg_url, pool_size=1, pool_timeout=0.3)
    engine = app.state.services.store.engine
    async with connect(app) as http:
        async with engine.connect() as held:  # the pool's only connection, busy
            await held.execute(text("SELECT 1"))
            busy = await http.post(
                "/chatkit", json={"type": "threads.create", "params": {"input": user_input("hi")}}
            )
        assert busy.status_code == 503, busy.text
        assert busy.json()["error"]["code"]
        free = await http.post(
            "/chatkit", json={"type": "threads.create", "params": {"input": user_input("hi")}}
        )
        assert free.status_code == 200


async def test_a_pooled_connection_the_server_closed_is_replaced_before_a_write(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("db.session.IDLE_PING_SECONDS", 0.0)  # every checkout counts as idle
    engine = make_engine(pg_url, pool_size=1)
    await create_schema(engine)
    store = Store(engine)
    try:
        async with engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        with psycopg.connect(pg_url.split("?")[0], autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # A write is not retried, so only the ping on checkout can save it.
        await store.create_thread("ann", ThreadMetadata(id="thr_after", created_at=utcnow()))
        assert (await store.load_thread("ann", "thr_after")).id == "thr_after"
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid
    finally:
        await store.close()


async def _autocommit_of_pooled(store: Store) -> bool:
    async with store.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        return bool(raw.driver_connection.autocommit)  # type: ignore[union-attr]


async def test_a_failed_or_cancelled_hot_read_gives_back_a_transactional_connection(
    pg_url: str,
) -> None:
    """The hot read switches a pooled connection to autocommit; whatever happens to the read,
    the pool must not hand an autocommit connection to a transaction afterwards."""
    engine = make_engine(pg_url, pool_size=1)
    await create_schema(engine)
    store = Store(engine)
    try:
        with pytest.raises(Exception, match="NUL"):
            await store.list_items("ann", "thr_\x00", limit=20)
        assert await _autocommit_of_pooled(store) is False
        reading = asyncio.get_running_loop().create_task(
            store._fetch_driver("SELECT pg_sleep(5)", ())
        )
        await asyncio.sleep(0.3)
        reading.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reading
        assert await _autocommit_of_pooled(store) is False
        await store.create_thread("ann", ThreadMetadata(id="thr_ok", created_at=utcnow()))
        assert (await store.load_thread("ann", "thr_ok")).id == "thr_ok"
    finally:
        await store.close()


async def _pooled_pid(engine: Any) -> int:
    async with engine.connect() as conn:
        pid: int = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        return pid


@contextlib.asynccontextmanager
async def _ann_thread(pg_url: str, thread_id: str, **pool: Any) -> AsyncIterator[Store]:
    """A Store on an engine of its own (`pool`: its options) holding ann's `thread_id`."""
    store = Store(make_engine(pg_url, **pool))
    await create_schema(store.engine)
    try:
        await store.create_thread("ann", ThreadMetadata(id=thread_id, created_at=utcnow()))
        yield store
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def _every_connection_busy(store: Store) -> AsyncIterator[None]:
    """Holds the only connection of a pool of one, in a transaction, until exit."""
    async with store.engine.connect() as held:
        await held.execute(text("SELECT 1"))
        yield


async def test_a_hot_read_is_lent_a_connection_without_a_checkout(pg_url: str) -> None:
    """Issue #13: a page read takes a connection straight from the one pool's queue (no
    SQLAlchemy checkout), and gives it back idle and transactional."""
    from sqlalchemy import event

    from db.session import OnePool

    async with _ann_thread(pg_url, "thr_hot", pool_size=2) as store:
        engine = store.engine
        pool = engine.sync_engine.pool
        assert isinstance(pool, OnePool)
        item = UserMessageItem(
            id="msg_hot",
            thread_id="thr_hot",
            created_at=utcnow(),
            content=[{"type": "input_text", "text": "hi"}],  # type: ignore[list-item]
        )
        await store.add_item("ann", item)
        checkouts: list[object] = []
        event.listen(engine.sync_engine, "checkout", lambda *args: checkouts.append(args))
        for _ in range(5):
            page = await store.list_items("ann", "thr_hot", limit=20)
            assert [json.loads(raw)["id"] for raw in page.data] == ["msg_hot"]
        assert checkouts == []  # an empty page would check out for its 404 test
        assert pool.checkedout() == 0
        assert await _autocommit_of_pooled(store) is False
        # The connection the reads left in autocommit is a real transaction for a writer.
        with pytest.raises(RuntimeError):
            async with engine.begin() as conn:
                await conn.execute(text("DELETE FROM items WHERE id = 'msg_hot'"))
                raise RuntimeError("roll back")
        page = await store.list_items("ann", "thr_hot", limit=20)
        assert [json.loads(raw)["id"] for raw in page.data] == ["msg_hot"]


async def test_a_hot_read_waits_a_bounded_time_when_every_connection_is_busy(
    pg_url: str,
) -> None:
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    async with _ann_thread(pg_url, "thr_wait", pool_size=1, pool_timeout=0.3) as store:
        async with _every_connection_busy(store):
            started = asyncio.get_running_loop().time()
            with pytest.raises(PoolTimeout):
                await store.list_items("ann", "thr_wait", limit=20)
            assert 0.25 < asyncio.get_running_loop().time() - started < 3
        assert (await store.list_items("ann", "thr_wait", limit=20)).data == []


async def test_hot_reads_and_writes_waiting_for_one_connection_are_all_served(
    pg_url: str,
) -> None:
    """Reads and writes wait in the same queue: neither kind can starve the other."""
    async with _ann_thread(pg_url, "thr_mix", pool_size=1, pool_timeout=10) as store:
        async with _every_connection_busy(store):
            waiting = [
                asyncio.ensure_future(
                    store.list_items("ann", "thr_mix", limit=20)
                    if n % 2
                    else store.create_thread(
                        "ann", ThreadMetadata(id=f"thr_w{n}", created_at=utcnow())
                    )
                )
                for n in range(20)
            ]
            await asyncio.sleep(0.2)
            assert not any(task.done() for task in waiting)
        await asyncio.wait_for(asyncio.gather(*waiting), 10)
        for n in range(0, 20, 2):
            assert (await store.load_thread("ann", f"thr_w{n}")).id == f"thr_w{n}"
        assert store.engine.sync_engine.pool.checkedout() == 0


async def test_a_hot_read_on_a_connection_the_server_closed_is_retried_once(
    pg_url: str,
) -> None:
    async with _ann_thread(pg_url, "thr_dead", pool_size=1) as store:
        pid = await _pooled_pid(store.engine)
        with psycopg.connect(pg_url.split("?")[0], autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # Used moments ago, so not pinged: the read fails on the dead link and is retried.
        assert (await store.list_items("ann", "thr_dead", limit=20)).data == []
        assert await _pooled_pid(store.engine) != pid
        assert await _autocommit_of_pooled(store) is False
