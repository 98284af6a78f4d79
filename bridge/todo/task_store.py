"""The todo app's reads and writes of its tables, on the bridge's database engine.

Every method takes the owner's `user_id` and puts it in the query, as the bridge's store
does, so another user's tasks are exactly as absent as tasks that do not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db import NotFound

from ..storage import Store
from .tables import TaskCounterRow, TaskRow

tasks = cast(Table, TaskRow.__table__)
task_counters = cast(Table, TaskCounterRow.__table__)


class TaskNotFound(NotFound):
    """No such task for this user (a 404 `task_not_found`)."""

    kind = "task"


@dataclass(frozen=True)
class TaskStore:
    """The tasks of every user, on the engine the bridge's store uses."""

    engine: AsyncEngine

    @classmethod
    def of(cls, store: Store) -> TaskStore:
        """The tasks on the database of the bridge's store (the SQLAlchemy one, `db.Store`)."""
        engine = getattr(store, "engine", None)
        if not isinstance(engine, AsyncEngine):
            raise TypeError("the todo app keeps its tables beside db.Store's; this store has none")
        return cls(engine)

    async def add_task(
        self,
        user_id: str,
        title: str,
        description: str | None = None,
        due_date: date | None = None,
    ) -> dict[str, Any]:
        """Create a task with the user's next number; a number is never given twice."""
        now = _now()
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
                    created_at=now,
                    updated_at=now,
                )
            )
        return await self.load_task(user_id, number)

    async def load_task(self, user_id: str, number: int) -> dict[str, Any]:
        """One task, or TaskNotFound."""
        async with self.engine.connect() as conn:
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
        async with self.engine.connect() as conn:
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
                .values(**changes, updated_at=_now())
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


def _now() -> datetime:
    return datetime.now(UTC)


def _task_dict(row: Any) -> dict[str, Any]:
    created, updated = row.created_at, row.updated_at
    return {
        "id": row.number,
        "title": row.title,
        "description": row.description,
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "completed": row.completed,
        # SQLite hands back naive datetimes; everything stored is UTC.
        "created_at": (created if created.tzinfo else created.replace(tzinfo=UTC)).isoformat(),
        "updated_at": (updated if updated.tzinfo else updated.replace(tzinfo=UTC)).isoformat(),
    }
