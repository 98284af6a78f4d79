"""The tables as SQLAlchemy Core objects, for the store's queries."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from .models import AttachmentRow, FeedbackRow, ItemRow, TaskCounterRow, TaskRow, ThreadRow

threads = cast(Table, ThreadRow.__table__)
items = cast(Table, ItemRow.__table__)
attachments = cast(Table, AttachmentRow.__table__)
feedback = cast(Table, FeedbackRow.__table__)
tasks = cast(Table, TaskRow.__table__)
task_counters = cast(Table, TaskCounterRow.__table__)
