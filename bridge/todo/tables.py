"""The todo app's tables, beside the bridge's, with migrations of their own (`migrations/`).

`number` is the id the user sees, counted per user by `task_counters`, so a number is never
given twice (not even after its task is deleted: "task 11" in an old message stays that task).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.models import SeqType


class TodoBase(DeclarativeBase):
    """Declarative base of the todo app's tables."""


class TaskRow(TodoBase):
    """A todo of the default app. `number` is the id the user sees, counted per user."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(255))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("user_id", "number", name="uq_tasks_user_number"),)


class TaskCounterRow(TodoBase):
    """The last task number given to a user."""

    __tablename__ = "task_counters"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)
