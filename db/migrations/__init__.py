"""Versioned schema migrations (Alembic), run with `python -m bridge migrate`.

A new, empty database gets the current schema at start-up and is stamped at head; a database
behind head keeps working as it is, and start-up says to migrate it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, inspect, pool
from sqlalchemy.ext.asyncio import AsyncEngine

from ..models import Base
from ..session import connect_url

log = logging.getLogger("bridge.db")
HERE = Path(__file__).parent


def sync_url(url: str) -> str:
    """The synchronous driver URL Alembic runs with (sqlite3, or psycopg 3 in sync mode)."""
    target = connect_url(url)
    driver = "sqlite" if target.get_backend_name() == "sqlite" else "postgresql+psycopg"
    return target.set(drivername=driver).render_as_string(hide_password=False)


def alembic_config(url: str) -> Config:
    """An Alembic config for this database, using the bridge's migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return config


def head() -> str:
    """The newest revision."""
    revision = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert revision is not None
    return revision


BASELINE = "0001"
"""The schema `create_all` made before migrations were versioned."""


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision`.

    A database with the bridge's tables but no version (made before migrations were
    versioned) is taken to be at the baseline, then upgraded from there.
    """
    config = alembic_config(url)
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            unversioned = MigrationContext.configure(conn).get_current_revision() is None
            has_tables = bool(set(inspect(conn).get_table_names()) & set(Base.metadata.tables))
    finally:
        engine.dispose()
    if unversioned and has_tables:
        command.stamp(config, BASELINE)
    command.upgrade(config, revision)


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: `created` (made just now), `current`, or `behind`."""

    status: str
    revision: str | None
    head: str


def _prepare(conn: Connection) -> SchemaState:
    context = MigrationContext.configure(conn)
    current = context.get_current_revision()
    newest = head()
    tables = set(inspect(conn).get_table_names())
    if current is None and not tables & set(Base.metadata.tables):
        Base.metadata.create_all(conn)
        context.stamp(ScriptDirectory.from_config(alembic_config("sqlite://")), "head")
        return SchemaState("created", newest, newest)
    if current == newest:
        return SchemaState("current", current, newest)
    return SchemaState("behind", current, newest)


async def prepare_schema(engine: AsyncEngine) -> SchemaState:
    """Create the schema on an empty database; report (and log) one that is behind."""
    async with engine.begin() as conn:
        state = await conn.run_sync(_prepare)
    if state.status == "behind":
        log.warning(
            "the database schema is at revision %s but this bridge needs %s: "
            "run `python -m bridge migrate` (or `chatkit-bridge migrate`)",
            state.revision or "(none)",
            state.head,
        )
    return state
