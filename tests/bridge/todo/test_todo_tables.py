"""The todo app's tables: its migrations build exactly its models, and a database from before
issue 11 (tasks made by the bridge's own first migration, no todo version) is taken over."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, insert, text

from bridge.app import schemas_of
from bridge.todo.tables import TaskRow, TodoBase
from bridge.todo.task_store import TaskStore
from bridge.todo.todo_app import TodoApp
from db import make_engine
from db.migrations import prepare_schema, sync_url, upgrade
from db.models import Base

TODO = schemas_of(TodoApp())


def _diff(url: str) -> list[Any]:
    both = MetaData()
    for table in [*Base.metadata.tables.values(), *TodoBase.metadata.tables.values()]:
        table.to_metadata(both)
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            found = compare_metadata(MigrationContext.configure(conn), both)
    finally:
        engine.dispose()
    ours = set(both.tables)  # the version tables and the rate limiter's are not theirs
    return [d for d in found if not (d[0] == "remove_table" and d[1].name not in ours)]


async def test_the_todo_migrations_build_the_todo_models(db_url: str) -> None:
    await asyncio.to_thread(upgrade, db_url, "head", TODO)
    assert await asyncio.to_thread(_diff, db_url) == []


async def test_a_database_from_before_issue_11_keeps_its_tasks_and_numbers(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await asyncio.to_thread(upgrade, db_url)  # the bridge's tables
    engine = make_engine(db_url)
    try:
        async with engine.begin() as conn:  # as the bridge's 0001 made it, unversioned for todo
            await conn.run_sync(TaskRow.__table__.create)  # type: ignore[attr-defined]
            at = datetime.now(UTC)
            for number in (1, 2, 5):
                await conn.execute(
                    insert(TaskRow.__table__).values(  # type: ignore[arg-type]
                        user_id="ann",
                        number=number,
                        title=f"t{number}",
                        completed=False,
                        created_at=at,
                        updated_at=at,
                    )
                )
        with caplog.at_level(logging.WARNING, logger="bridge.db"):
            await prepare_schema(engine, TODO)
        assert "of the app 'todo' is at revision (none)" in caplog.text
        await asyncio.to_thread(upgrade, db_url, "head", TODO)  # `chatkit-bridge migrate`
        rows = TaskStore(engine)
        assert [t["id"] for t in await rows.list_tasks("ann")] == [1, 2, 5]
        assert (await rows.add_task("ann", "next"))["id"] == 6
    finally:
        await engine.dispose()
    assert await asyncio.to_thread(_diff, db_url) == []


async def test_task_counters_start_after_each_users_highest_number(db_url: str) -> None:
    await asyncio.to_thread(upgrade, db_url)
    await asyncio.to_thread(command.upgrade, TODO[0].config(db_url), "t001")  # tasks, no counters
    engine = make_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO tasks (user_id, number, title, completed, created_at, updated_at)"
                    " VALUES ('ann', 7, 'old', false, '2026-01-01', '2026-01-01')"
                )
            )
        await asyncio.to_thread(upgrade, db_url, "head", TODO)
        assert (await TaskStore(engine).add_task("ann", "new"))["id"] == 8
        assert (await TaskStore(engine).add_task("bob", "first"))["id"] == 1
    finally:
        await engine.dispose()
