"""Why the bridge cannot start, said in a line or two: the database URL, server, password, schema.

`serve` and `migrate` open the database before anything else and turn the usual mistakes into
a `StartupError` whose lines are printed as they are (the traceback only at `--log-level
debug`), instead of the 100-line traceback uvicorn or Alembic would print.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from db import make_engine
from db.migrations import SchemaState, prepare_schema
from db.session import connect_url

from ..health import check_schema

# A PostgreSQL server that does not answer fails in seconds, not in libpq's default of never.
CONNECT_TIMEOUT_SECONDS = 10


class StartupError(Exception):
    """A start-up failure: its lines are what the user reads."""

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def where(url: str) -> str:
    """The database URL as it may be printed (never with its password)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unreadable URL)"


def check_url(url: str) -> None:
    """Refuse a URL the bridge has no driver for (`mysql://…`) or cannot parse."""
    try:
        connect_url(url)
    except ArgumentError:
        raise StartupError(
            f"DATABASE_URL is not a database URL: {url[:60]!r}",
            "use sqlite:///path/to/file.db or postgresql://user:password@host/database",
        ) from None
    except ValueError:
        raise StartupError(
            f"unsupported database URL {where(url)}: the bridge runs on SQLite or PostgreSQL",
            "use sqlite:///path/to/file.db or postgresql://user:password@host/database",
        ) from None


def explain(exc: BaseException, url: str) -> StartupError:
    """The database error `exc` as the one or two lines a user can act on."""
    reason = _first_line(getattr(exc, "orig", None) or exc)
    parsed = make_url(url)
    name, host = parsed.database or "", parsed.host or "localhost"
    server = f"{host}:{parsed.port or 5432}"
    low = reason.lower()
    if parsed.get_backend_name() == "sqlite":
        return StartupError(
            f"cannot open the SQLite database {name or '(memory)'}: {reason}",
            "check that its folder exists and is writable (BRIDGE_DATA_DIR, DATABASE_URL)",
        )
    if "does not exist" in low and "database" in low:
        return StartupError(
            f"the database {name!r} does not exist on {server}",
            f"create it (createdb -h {host} {name}) or fix the name in DATABASE_URL",
        )
    if "role" in low and "does not exist" in low:
        return StartupError(
            f"the database server at {server} has no user {parsed.username!r} ({reason})",
            "check the user and password in DATABASE_URL",
        )
    if "password authentication failed" in low or "no password supplied" in low:
        return StartupError(
            f"the database server at {server} refused the user or password ({reason})",
            "check the user and password in DATABASE_URL",
        )
    if any(
        sign in low
        for sign in ("connection refused", "could not translate", "timeout", "timed out", "name")
    ):
        return StartupError(
            f"cannot reach the database server at {server}: {reason}",
            "is PostgreSQL running there, and is the host in DATABASE_URL right?",
        )
    if "schema" in low:
        return StartupError(
            f"the database {where(url)} has no usable schema: {reason}",
            "create the schema named in the URL's search_path, or remove the option",
        )
    return StartupError(f"cannot open the database {where(url)}: {reason}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0].strip()


def guarded(url: str, work: Callable[[], Any]) -> Any:
    """Run `work()`, which opens the database at `url`; its failures become a StartupError."""
    try:
        return work()
    except StartupError:
        raise
    except (SQLAlchemyError, OSError) as exc:
        raise explain(exc, url) from exc


def prepare_database(url: str) -> SchemaState:
    """Open the database, create the schema on an empty one, and refuse one that is behind."""
    check_url(url)

    async def prepare() -> SchemaState:
        connect_args: dict[str, Any] = {}
        if connect_url(url).get_backend_name() == "postgresql":
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        engine = make_engine(url, connect_args=connect_args)
        try:
            state = await prepare_schema(engine)
            if state.status != "behind":
                check = await check_schema(engine)
                if not check.ready:  # versioned, yet tables are gone (dropped by hand)
                    raise StartupError(
                        f"the database {where(url)} is not usable: {check.detail}",
                        "restore them, or point DATABASE_URL at a new, empty database",
                    )
            return state
        finally:
            await engine.dispose()

    # Alembic narrates its checks, and a schema behind is said below, once.
    quiet = [logging.getLogger(name) for name in ("alembic", "bridge.db")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.ERROR)
    try:
        state: SchemaState = guarded(url, lambda: asyncio.run(prepare()))
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
    if state.status == "behind":
        raise StartupError(
            f"the database schema is at revision {state.revision or '(none)'}, "
            f"this bridge needs {state.head}",
            "bring it up to date with: chatkit-bridge migrate",
        )
    return state
