"""Database URLs as users paste them."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from db import connect_url, make_engine

from ..conftest import PG_URL, require_postgres


@pytest.mark.parametrize(
    ("pasted", "driver_url"),
    [
        pytest.param(
            "postgres://u:pw@host/db?sslmode=require",
            "postgresql+psycopg://u:pw@host/db?sslmode=require",
            id="postgres-scheme",
        ),
        pytest.param(
            "postgresql://u:pw@ep-x.neon.tech/neondb?sslmode=require&channel_binding=require",
            "postgresql+psycopg://u:pw@ep-x.neon.tech/neondb?channel_binding=require&sslmode=require",
            id="neon",
        ),
        pytest.param("sqlite:///data/bridge.db", "sqlite+aiosqlite:///data/bridge.db", id="sqlite"),
    ],
)
def test_pasted_urls_map_to_async_drivers(pasted: str, driver_url: str) -> None:
    assert connect_url(pasted).render_as_string(hide_password=False) == driver_url


def test_other_databases_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="use sqlite or postgresql"):
        connect_url("mysql://u@h/db")


@pytest.mark.postgres
async def test_libpq_parameters_reach_the_server() -> None:
    require_postgres()
    sep = "&" if "?" in PG_URL else "?"
    engine = make_engine(f"{PG_URL}{sep}sslmode=prefer&application_name=bridge-url-test")
    try:
        async with engine.connect() as conn:
            name = (await conn.execute(text("select current_setting('application_name')"))).scalar()
    finally:
        await engine.dispose()
    assert name == "bridge-url-test"
