"""Bench data, written straight into the bridge's tables in bulk (100,000 rows in seconds).

Items are real wire JSON (a user message and an assistant answer, in turn), as the bridge
stores them, so pages read back exactly what a conversation would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from db import make_engine
from db.tables import items, threads
from schemas import AssistantMessageItem, UserMessageItem, encode

BATCH = 5_000
PAGE_THREAD = "thr_bench_page"
"""The thread the throughput runs read: exactly one page (20 items)."""
PAGE_ITEMS = 20
_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def growth_thread(size: int) -> str:
    """The id of the thread holding `size` items."""
    return f"thr_bench_items_{size}"


def growth_user(size: int) -> str:
    """The user who owns `size` threads."""
    return f"bench-threads-{size}"


def item_id(thread_id: str, n: int) -> str:
    """The id of a thread's n-th seeded item."""
    return f"msg_{thread_id[4:]}_{n:06d}"


def _templates() -> tuple[str, str]:
    question = UserMessageItem(
        id="@ID@",
        thread_id="@THREAD@",
        created_at=_EPOCH,
        content=[
            {"type": "input_text", "text": "What should I do first today, and what can wait?"}
        ],  # type: ignore[list-item]
    )
    answer = AssistantMessageItem(
        id="@ID@",
        thread_id="@THREAD@",
        created_at=_EPOCH,
        content=[
            {  # type: ignore[list-item]
                "type": "output_text",
                "text": "Start with the report due at noon: it blocks two other people. "
                "The groceries and the call to the garage can wait until the afternoon.",
                "annotations": [],
            }
        ],
    )
    return encode(question).decode(), encode(answer).decode()


def _item_rows(thread_id: str, user_id: str, count: int) -> Iterator[dict[str, Any]]:
    question, answer = _templates()
    for n in range(count):
        template, kind = (question, "user_message") if n % 2 == 0 else (answer, "assistant_message")
        ident = item_id(thread_id, n)
        yield {
            "id": ident,
            "thread_id": thread_id,
            "user_id": user_id,
            "type": kind,
            "created_at": _EPOCH + timedelta(seconds=n),
            "data": template.replace("@ID@", ident).replace("@THREAD@", thread_id),
        }


def _thread_row(thread_id: str, user_id: str, n: int = 0) -> dict[str, Any]:
    created = _EPOCH + timedelta(seconds=n)
    return {
        "id": thread_id,
        "user_id": user_id,
        "title": f"Bench thread {n}",
        "status": json.dumps({"type": "active"}),
        "created_at": created,
        "updated_at": created,
        "meta": "{}",
    }


@dataclass(frozen=True)
class Seeded:
    """What was written, for the load to ask for."""

    page_thread: str
    growth_sizes: tuple[int, ...]


async def seed(db_url: str, user_id: str, growth_sizes: tuple[int, ...]) -> Seeded:
    """Create the schema, the one-page thread, and per size a thread of that many items and a
    user with that many threads."""
    engine = make_engine(db_url)
    try:
        await _prepare_schema(engine)
        thread_rows = [_thread_row(PAGE_THREAD, user_id)]
        thread_rows += [_thread_row(growth_thread(size), user_id) for size in growth_sizes]
        async with engine.begin() as conn:
            await conn.execute(insert(threads), thread_rows)
            await conn.execute(insert(items), list(_item_rows(PAGE_THREAD, user_id, PAGE_ITEMS)))
        for size in growth_sizes:
            await _bulk(engine, items, _item_rows(growth_thread(size), user_id, size))
            owner = growth_user(size)
            await _bulk(
                engine,
                threads,
                (_thread_row(f"thr_bench_{size}_{n:06d}", owner, n) for n in range(size)),
            )
        if engine.dialect.name == "postgresql":
            # Fresh statistics, as autovacuum would have them after a while: without them the
            # planner sorts a 100,000-item thread for each page (150 ms instead of 0.05 ms).
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return Seeded(PAGE_THREAD, growth_sizes)


async def _prepare_schema(engine: Any) -> None:
    # The schema as the bridge makes it at start-up (stamped when migrations exist).
    try:
        from db.migrations import prepare_schema
    except ImportError:
        from db.session import create_schema

        await create_schema(engine)
    else:
        await prepare_schema(engine)


async def _bulk(engine: Any, table: Any, rows: Iterator[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            async with engine.begin() as conn:
                await conn.execute(insert(table), batch)
            batch = []
    if batch:
        async with engine.begin() as conn:
            await conn.execute(insert(table), batch)
