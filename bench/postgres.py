"""A PostgreSQL schema of the bench's own, in a `bench` database it creates if absent."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from urllib.parse import quote

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench"


def bench_schema(url: str | None = None) -> tuple[str, Callable[[], None]] | str:
    """(URL on a fresh schema, drop) or, when PostgreSQL is not reachable, why not."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = url or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    target = make_url(url)
    plain = target.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        psycopg.connect(plain, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            return f"PostgreSQL at {target.render_as_string()} is not reachable: {exc}".strip()
        try:
            _create_database(target)
        except psycopg.Error as create_exc:
            return f"could not create database {target.database!r}: {create_exc}".strip()
    schema = "bench_" + secrets.token_hex(4)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in plain else "?"
    schema_url = f"{plain}{sep}options={quote(f'-csearch_path={schema}')}"

    def drop() -> None:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    return schema_url, drop


def _create_database(target: object) -> None:
    import psycopg
    from sqlalchemy.engine import URL

    assert isinstance(target, URL)
    errors = []
    for maintenance in ("postgres", "template1"):
        admin = target.set(drivername="postgresql", database=maintenance)
        try:
            with psycopg.connect(
                admin.render_as_string(hide_password=False), autocommit=True, connect_timeout=3
            ) as conn:
                conn.execute(f'CREATE DATABASE "{target.database}"')
            return
        except psycopg.errors.DuplicateDatabase:
            return
        except psycopg.Error as exc:
            errors.append(exc)
    raise errors[-1]
