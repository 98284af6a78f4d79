"""Versioned schema migrations (Alembic), run with `python -m bridge migrate`.

A new, empty database gets the current schema at start-up and is stamped at head; a database
behind head keeps working as it is, and start-up says to migrate it.

The bridge's tables are one `Schema`; an app brings its tables as another (`bridge.plugin.
AppTables`), with Alembic scripts of its own whose revisions are recorded in a version table
of its own (`alembic_version_<app>`), so the two histories never mix. Every script folder's
`env.py` is the one line `from db.migrations import run_env; run_env()`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, create_engine, inspect, pool
from sqlalchemy.ext.asyncio import AsyncEngine

from ..models import Base
from ..session import connect_url

log = logging.getLogger("bridge.db")
HERE = Path(__file__).parent

BASELINE = "0001"
"""The schema `create_all` made before migrations were versioned."""


@dataclass(frozen=True)
class Schema:
    """A set of tables with its own migration history (the bridge's, or an app's)."""

    name: str
    metadata: MetaData
    scripts: Path | None
    """The Alembic script folder; None: tables are created when missing, never migrated."""
    version_table: str = "alembic_version"
    baseline: str | None = None
    """The revision a database holding these tables but no version is taken to be at;
    None: the first revision."""

    def config(self, url: str) -> Config:
        """An Alembic config running this schema's scripts on `url`."""
        assert self.scripts is not None, f"{self.name} has no migrations"
        config = Config()
        config.set_main_option("script_location", str(self.scripts))
        config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
        config.set_main_option("version_table", self.version_table)
        config.attributes["target_metadata"] = self.metadata
        return config

    def head(self) -> str | None:
        """The newest revision (None without migrations)."""
        if self.scripts is None:
            return None
        return ScriptDirectory.from_config(self.config("sqlite://")).get_current_head()

    def base(self) -> str:
        """The revision an unversioned database with these tables is at."""
        if self.baseline is not None:
            return self.baseline
        bases = ScriptDirectory.from_config(self.config("sqlite://")).get_bases()
        return bases[0]


BRIDGE = Schema("bridge", Base.metadata, HERE, baseline=BASELINE)
"""The bridge's own tables: threads, items, attachments, feedback."""


def app_schema(name: str, metadata: MetaData, migrations: Path | None) -> Schema:
    """An app's tables, versioned in `alembic_version_<name>`."""
    return Schema(name, metadata, migrations, version_table=f"alembic_version_{name}")


def run_env() -> None:
    """The body of every `env.py`: run the configured schema's migrations (sync driver)."""
    from alembic import context

    config = context.config
    metadata: MetaData = config.attributes.get("target_metadata", Base.metadata)

    def own_tables_only(name: str | None, kind: str, parents: Any) -> bool:
        # The database holds the bridge's tables and every app's: a schema's autogenerate
        # must not see the others' tables as ones to drop.
        return kind != "table" or name in metadata.tables

    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            include_name=own_tables_only,
            version_table=config.get_main_option("version_table") or "alembic_version",
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def sync_url(url: str) -> str:
    """The synchronous driver URL Alembic runs with (sqlite3, or psycopg 3 in sync mode)."""
    target = connect_url(url)
    driver = "sqlite" if target.get_backend_name() == "sqlite" else "postgresql+psycopg"
    return target.set(drivername=driver).render_as_string(hide_password=False)


def alembic_config(url: str) -> Config:
    """An Alembic config for this database, using the bridge's migration scripts."""
    return BRIDGE.config(url)


def head() -> str:
    """The bridge's newest revision."""
    revision = BRIDGE.head()
    assert revision is not None
    return revision


def upgrade(url: str, revision: str = "head", apps: Sequence[Schema] = ()) -> None:
    """Apply the bridge's migrations up to `revision`, then each app's up to its head.

    A database with a schema's tables but no version (made before migrations were
    versioned) is taken to be at that schema's baseline, then upgraded from there.
    """
    for schema, target in [(BRIDGE, revision), *((app, "head") for app in apps)]:
        if schema.scripts is None:
            continue
        config = schema.config(url)
        engine = create_engine(sync_url(url), poolclass=pool.NullPool)
        try:
            with engine.connect() as conn:
                context = MigrationContext.configure(
                    conn, opts={"version_table": schema.version_table}
                )
                unversioned = context.get_current_revision() is None
                tables = set(inspect(conn).get_table_names())
                has_tables = bool(tables & set(schema.metadata.tables))
        finally:
            engine.dispose()
        if unversioned and has_tables:
            command.stamp(config, schema.base())
        command.upgrade(config, target)


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: `created` (made just now), `current`, or `behind`."""

    status: str
    revision: str | None
    head: str | None
    name: str = "bridge"


def _prepare(conn: Connection, schema: Schema) -> SchemaState:
    context = MigrationContext.configure(conn, opts={"version_table": schema.version_table})
    current = context.get_current_revision()
    newest = schema.head()
    tables = set(inspect(conn).get_table_names())
    if current is None and not tables & set(schema.metadata.tables):
        schema.metadata.create_all(conn)
        if schema.scripts is not None:
            context.stamp(ScriptDirectory.from_config(schema.config("sqlite://")), "head")
        return SchemaState("created", newest, newest, schema.name)
    if schema.scripts is None:
        schema.metadata.create_all(conn)  # only what is missing
        return SchemaState("current", None, None, schema.name)
    if current == newest:
        return SchemaState("current", current, newest, schema.name)
    return SchemaState("behind", current, newest, schema.name)


async def prepare_schema(
    engine: AsyncEngine, apps: Sequence[Schema] = (), *, include_bridge: bool = True
) -> SchemaState:
    """Create the schema on an empty database; report (and log) one that is behind.

    `apps` are the apps' schemas, prepared after the bridge's (left out with
    `include_bridge=False`, for a store of the caller's own); the first state is returned.
    """
    states = []
    for schema in [BRIDGE, *apps] if include_bridge else apps:
        async with engine.begin() as conn:
            states.append(await conn.run_sync(_prepare, schema))
    for state in states:
        if state.status == "behind":
            log.warning(
                "the database schema%s is at revision %s but this bridge needs %s: "
                "run `python -m bridge migrate` (or `chatkit-bridge migrate`)",
                "" if state.name == "bridge" else f" of the app {state.name!r}",
                state.revision or "(none)",
                state.head,
            )
    return states[0] if states else SchemaState("current", None, None, "none")
