"""The tables as SQLAlchemy Core objects, for the store's queries."""

from __future__ import annotations

from typing import cast

from sqlalchemy import ColumnElement, Table, and_

from .models import AttachmentRow, FeedbackRow, ItemRow, ThreadRow

threads = cast(Table, ThreadRow.__table__)
items = cast(Table, ItemRow.__table__)
attachments = cast(Table, AttachmentRow.__table__)
feedback = cast(Table, FeedbackRow.__table__)


def one_item(user_id: str, thread_id: str, item_id: str) -> ColumnElement[bool]:
    """The condition naming one item of one user's thread (every item query scopes by all three)."""
    return and_(items.c.thread_id == thread_id, items.c.id == item_id, items.c.user_id == user_id)
