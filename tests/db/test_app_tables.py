"""An app's tables live beside the bridge's, with a migration history of their own."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, inspect

from db import make_engine
from db.migrations import BRIDGE, app_schema, head, prepare_schema, sync_url, upgrade
from db.models import Base

from .bookings import BookingsApp, metadata

BOOKINGS = app_schema("bookings", metadata, BookingsApp.tables.migrations)  # type: ignore[union-attr]


def _look(url: str) -> dict[str, Any]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            versions = {}
            for table in ("alembic_version", "alembic_version_bookings"):
                context = MigrationContext.configure(conn, opts={"version_table": table})
                versions[table] = context.get_current_revision()
            both = MetaData()
            for table in [*Base.metadata.tables.values(), *metadata.tables.values()]:
                table.to_metadata(both)
            return {
                "tables": set(inspect(conn).get_table_names()),
                "versions": versions,
                "diff": list(compare_metadata(MigrationContext.configure(conn), both)),
            }
    finally:
        engine.dispose()


def _app_diff(found: dict[str, Any]) -> list[Any]:
    """What differs from the bridge's and the app's models (the version tables aside)."""
    return [
        d
        for d in found["diff"]
        if not (d[0] == "remove_table" and d[1].name.startswith("alembic_version"))
    ]


async def test_an_app_table_is_created_and_stamped_with_the_bridge(
    make_app: Callable[..., Any], db_url: str
) -> None:
    await make_app(app=BookingsApp())
    found = await asyncio.to_thread(_look, db_url)
    assert "bookings" in found["tables"] and "threads" in found["tables"]
    assert found["versions"] == {"alembic_version": head(), "alembic_version_bookings": "b002"}
    assert _app_diff(found) == []


async def test_the_bare_engine_makes_no_app_table(
    make_app: Callable[..., Any], db_url: str
) -> None:
    await make_app()
    found = await asyncio.to_thread(_look, db_url)
    assert "bookings" not in found["tables"]
    assert not {"tasks", "task_counters"} & found["tables"]  # the todo app's, not the engine's
    assert found["versions"]["alembic_version_bookings"] is None


async def test_migrate_brings_an_app_behind_to_its_head(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await asyncio.to_thread(upgrade, db_url)  # the bridge's tables, at head
    await asyncio.to_thread(command.upgrade, BOOKINGS.config(db_url), "b001")
    engine = make_engine(db_url)
    try:
        with caplog.at_level(logging.WARNING, logger="bridge.db"):
            state = await prepare_schema(engine, [BOOKINGS])
        assert state.status == "current"  # the bridge's own
        assert "of the app 'bookings' is at revision b001 but this bridge needs b002" in caplog.text
        await asyncio.to_thread(upgrade, db_url, "head", [BOOKINGS])
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="bridge.db"):
            await prepare_schema(engine, [BOOKINGS])
        assert "bookings" not in caplog.text
    finally:
        await engine.dispose()
    found = await asyncio.to_thread(_look, db_url)
    assert found["versions"]["alembic_version_bookings"] == "b002"
    assert found["versions"]["alembic_version"] == head()
    assert _app_diff(found) == []


def test_the_bridge_schema_is_versioned_in_alembic_version() -> None:
    assert BRIDGE.version_table == "alembic_version"
    assert BOOKINGS.version_table == "alembic_version_bookings"
