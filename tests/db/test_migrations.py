"""Migrations build exactly the models' schema; start-up knows when a database is behind."""

from __future__ import annotations

import asyncio
import logging

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from db import make_engine
from db.migrations import head, prepare_schema, sync_url, upgrade
from db.models import Base


def _diff(url: str) -> list[object]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))
    finally:
        engine.dispose()


async def test_upgrade_builds_the_models_schema(db_url: str) -> None:
    await asyncio.to_thread(upgrade, db_url)
    assert await asyncio.to_thread(_diff, db_url) == []


async def test_first_start_creates_and_stamps(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        first = await prepare_schema(engine)
        again = await prepare_schema(engine)
    finally:
        await engine.dispose()
    assert (first.status, first.revision) == ("created", head())
    assert (again.status, again.revision) == ("current", head())
    assert await asyncio.to_thread(_diff, db_url) == []


async def test_a_database_behind_head_is_reported(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await asyncio.to_thread(upgrade, db_url)
    engine = make_engine(db_url)
    try:
        async with engine.begin() as conn:  # as if made before migrations were versioned
            await conn.execute(text("DELETE FROM alembic_version"))
        with caplog.at_level(logging.WARNING, logger="bridge.db"):
            state = await prepare_schema(engine)
        assert state.status == "behind" and state.revision is None
        assert "python -m bridge migrate" in caplog.text
        await asyncio.to_thread(upgrade, db_url)  # what `migrate` does
        state = await prepare_schema(engine)
        assert state.status == "current"
    finally:
        await engine.dispose()


async def test_task_counters_start_after_each_users_highest_number(db_url: str) -> None:
    from db import Store

    await asyncio.to_thread(upgrade, db_url, "0001")
    engine = make_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO tasks (user_id, number, title, completed, created_at, updated_at)"
                    " VALUES ('ann', 7, 'old', false, '2026-01-01', '2026-01-01')"
                )
            )
        await asyncio.to_thread(upgrade, db_url)
        assert (await Store(engine).add_task("ann", "new"))["id"] == 8
        assert (await Store(engine).add_task("bob", "first"))["id"] == 1
    finally:
        await engine.dispose()
