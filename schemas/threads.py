"""Threads: a conversation's metadata, its status, and the thread with its first page of items."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from .base import Page, WireBase
from .items import ThreadItem


class ActiveStatus(WireBase):
    """The thread takes new messages."""

    type: Literal["active"] = "active"


class LockedStatus(WireBase):
    """The thread is read-only for now."""

    type: Literal["locked"] = "locked"
    reason: str | None = None


class ClosedStatus(WireBase):
    """The thread is closed for good."""

    type: Literal["closed"] = "closed"
    reason: str | None = None


ThreadStatus = Annotated[ActiveStatus | LockedStatus | ClosedStatus, Field(discriminator="type")]


class ThreadMetadata(WireBase):
    """A thread without its items."""

    id: str
    title: str | None = None
    created_at: datetime
    status: ThreadStatus = Field(default_factory=ActiveStatus)
    allowed_image_domains: list[str] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Thread(ThreadMetadata):
    """A thread with a page of its items, oldest first."""

    items: Page[ThreadItem] = Field(default_factory=Page)
