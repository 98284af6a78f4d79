"""A toy app with a table of its own and two migrations, for the app-tables tests."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table

from bridge.plugin import App, AppTables

metadata = MetaData()
bookings = Table(
    "bookings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", String(255), nullable=False),
    Column("flight", String(32), nullable=False),
    Column("seats", Integer, nullable=False, server_default="1"),
)


class BookingsApp(App):
    """Brings only its table."""

    name = "bookings"
    tables = AppTables(metadata, migrations=Path(__file__).parent)
