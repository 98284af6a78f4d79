"""The Store: every read and write of threads, items, attachments, feedback and tasks.

Every method takes the owner's `user_id` and puts it in the query itself, so another user's
rows are exactly as absent as rows that do not exist. Reads of items return the stored wire
JSON, which handlers send as is.

The operations live in one module per concept, each a part of `Store`:

| module | what |
|---|---|
| `store_base` | the one pool, and how reads, single statements and transactions use it |
| `thread_queries` | threads: create (with the first message and lease), load, list, delete |
| `item_queries` | items: append, replace, pages, history |
| `lease_queries` | the stream lease, and the turn's fenced writes (one round trip each) |
| `attachment_queries`, `feedback_queries` | attachments, feedback |
| `prepared`, `records`, `tables` | compiled hot reads; what the store returns; the tables |

A turn on PostgreSQL costs one round trip before its first event (`start_turn` or
`create_thread`: authorise, lease and user message in one statement), one more before the
model's first token (the history read), then one per finished item, one for the title and
one to release the lease (issue #13; `make bench` measures it through a delay proxy).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from .attachment_queries import AttachmentQueries
from .feedback_queries import FeedbackQueries
from .item_queries import ItemQueries
from .lease_queries import LeaseQueries
from .not_found import (
    AttachmentNotFound,
    ItemNotFound,
    LeaseLost,
    NotFound,
    TaskNotFound,
    ThreadNotFound,
)
from .prepared import Order
from .records import ItemPage, StoredAttachment, aware, now, thread_json, wire_thread
from .tables import task_counters, tasks
from .thread_queries import ThreadQueries

__all__ = [
    "AttachmentNotFound",
    "ItemNotFound",
    "ItemPage",
    "LeaseLost",
    "NotFound",
    "Order",
    "Store",
    "StoredAttachment",
    "TaskNotFound",
    "ThreadNotFound",
    "thread_json",
    "wire_thread",
]


class Store(ThreadQueries, ItemQueries, LeaseQueries, AttachmentQueries, FeedbackQueries):
    """All persistence of the bridge, on one async engine (SQLite or PostgreSQL)."""

    # ---- tasks ------------------------------------------------------------------------------

    async def add_task(
        self,
        user_id: str,
        title: str,
        description: str | None = None,
        due_date: date | None = None,
    ) -> dict[str, Any]:
        """Create a task with the user's next number; a number is never given twice."""
        at = now()
        async with self.engine.begin() as conn:
            number = await _next_task_number(conn, user_id)
            await conn.execute(
                insert(tasks).values(
                    user_id=user_id,
                    number=number,
                    title=title,
                    description=description,
                    due_date=due_date,
                    completed=False,
                    created_at=at,
                    updated_at=at,
                )
            )
        return await self.load_task(user_id, number)

    async def load_task(self, user_id: str, number: int) -> dict[str, Any]:
        """One task, or TaskNotFound."""
        async with self._reading() as conn:
            row = (
                await conn.execute(
                    select(tasks).where(tasks.c.user_id == user_id, tasks.c.number == number)
                )
            ).first()
        if row is None:
            raise TaskNotFound(str(number))
        return _task_dict(row)

    async def list_tasks(self, user_id: str, completed: bool | None = None) -> list[dict[str, Any]]:
        """The user's tasks in number order, optionally only (not) completed ones."""
        query = select(tasks).where(tasks.c.user_id == user_id)
        if completed is not None:
            query = query.where(tasks.c.completed == completed)
        async with self._reading() as conn:
            rows = (await conn.execute(query.order_by(tasks.c.number))).all()
        return [_task_dict(row) for row in rows]

    async def update_task(self, user_id: str, number: int, **changes: Any) -> dict[str, Any]:
        """Change a task's fields (title, description, due_date, completed)."""
        allowed = {"title", "description", "due_date", "completed"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}")
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(tasks)
                .where(tasks.c.user_id == user_id, tasks.c.number == number)
                .values(**changes, updated_at=now())
            )
        if result.rowcount == 0:
            raise TaskNotFound(str(number))
        return await self.load_task(user_id, number)

    async def delete_task(self, user_id: str, number: int) -> dict[str, Any]:
        """Delete a task; returns what it was."""
        task = await self.load_task(user_id, number)
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(tasks).where(tasks.c.user_id == user_id, tasks.c.number == number)
            )
        return task


def _task_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.number,
        "title": row.title,
        "description": row.description,
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "completed": row.completed,
        "created_at": aware(row.created_at).isoformat(),
        "updated_at": aware(row.updated_at).isoformat(),
    }


async def _next_task_number(conn: AsyncConnection, user_id: str) -> int:
    """Take the user's next task number, in the caller's transaction.

    One upsert on the user's counter row: PostgreSQL locks that row and SQLite the database
    until the transaction ends, so concurrent adds queue for it instead of clashing. A user
    without a counter (tables made before counters) starts after the highest number held.
    """
    insert_ = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    first = select(func.coalesce(func.max(tasks.c.number), 0) + 1).where(tasks.c.user_id == user_id)
    upsert = (
        insert_(task_counters)
        .values(user_id=user_id, last_number=first.scalar_subquery())
        .on_conflict_do_update(
            index_elements=[task_counters.c.user_id],
            set_={"last_number": task_counters.c.last_number + 1},
        )
        .returning(task_counters.c.last_number)
    )
    return int((await conn.execute(upsert)).scalar_one())
