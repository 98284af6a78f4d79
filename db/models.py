"""Tables. Items keep their wire JSON in `data` plus the indexed columns pages are read by.

Every row carries its owner's `user_id`, so each query scopes by user itself instead of
filtering afterwards. Items and threads are ordered by `seq`, an auto-increment key, so the
order never depends on clock ties.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base of the bridge's tables."""


class ThreadRow(Base):
    """A thread: metadata only; its items live in `items`."""

    __tablename__ = "threads"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default='{"type":"active"}')
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Private server state (never sent): e.g. that the user stopped the last answer.
    meta: Mapped[str] = mapped_column(Text, default="{}")
    # A lease on the thread while a stream runs, so a second stream gets 409 on every worker.
    busy_token: Mapped[str | None] = mapped_column(String(64))
    busy_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_threads_user_seq", "user_id", "seq"),)


class ItemRow(Base):
    """A thread item: its wire JSON, and the columns pages are read by."""

    __tablename__ = "items"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str] = mapped_column(String(64), ForeignKey("threads.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("thread_id", "id", name="uq_items_thread_id"),
        Index("ix_items_thread_seq", "thread_id", "seq"),
    )


class AttachmentRow(Base):
    """An attachment: its wire JSON, where its bytes are, and whether they have arrived."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    thread_id: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(Text)
    mime_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded: Mapped[bool] = mapped_column(Boolean, default=False)
    storage: Mapped[str] = mapped_column(String(16))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[str] = mapped_column(Text)


class FeedbackRow(Base):
    """A thumbs up or down on one item; the latest one counts."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(255))
    thread_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("threads.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("thread_id", "item_id", name="uq_feedback_item"),)


class TaskRow(Base):
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


class TaskCounterRow(Base):
    """The last task number given to a user, so a number is never given twice (not even
    after the task that had it is deleted: "task 11" in an old message stays that task)."""

    __tablename__ = "task_counters"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)
