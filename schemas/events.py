"""Stream events: the `data:` frames of a streaming response."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .base import WireBase
from .icons import IconName
from .items import ThreadItem
from .threads import Thread
from .updates import ThreadItemUpdate


class ThreadCreatedEvent(WireBase):
    """A new thread; the first event of `threads.create`, before which the widget drops all."""

    type: Literal["thread.created"] = "thread.created"
    thread: Thread


class ThreadUpdatedEvent(WireBase):
    """The thread's title or status changed."""

    type: Literal["thread.updated"] = "thread.updated"
    thread: Thread


class ThreadItemAddedEvent(WireBase):
    """An item starts; updates for it may follow."""

    type: Literal["thread.item.added"] = "thread.item.added"
    item: ThreadItem


class ThreadItemUpdatedEvent(WireBase):
    """An update to an item that was added."""

    type: Literal["thread.item.updated"] = "thread.item.updated"
    item_id: str
    update: ThreadItemUpdate


class ThreadItemDoneEvent(WireBase):
    """An item in its final form (stored)."""

    type: Literal["thread.item.done"] = "thread.item.done"
    item: ThreadItem


class ThreadItemRemovedEvent(WireBase):
    """An item removed from the thread."""

    type: Literal["thread.item.removed"] = "thread.item.removed"
    item_id: str


class ThreadItemReplacedEvent(WireBase):
    """An item replaced whole."""

    type: Literal["thread.item.replaced"] = "thread.item.replaced"
    item: ThreadItem


class StreamOptions(WireBase):
    """Runtime options of the stream."""

    allow_cancel: bool


class StreamOptionsEvent(WireBase):
    """Stream options; `allow_cancel` shows the stop button."""

    type: Literal["stream_options"] = "stream_options"
    stream_options: StreamOptions


class ProgressUpdateEvent(WireBase):
    """A transient status line (never the last event of a turn)."""

    type: Literal["progress_update"] = "progress_update"
    icon: IconName | None = None
    text: str


class ClientEffectEvent(WireBase):
    """Asks the host page to do something (`onEffect`), such as refreshing its task list."""

    type: Literal["client_effect"] = "client_effect"
    name: str
    data: dict[str, Any] = Field(default_factory=dict)


ErrorCode = Literal["stream.error", "custom"]
"""The protocol's error codes: `custom` shows `message`; `stream.error` shows the widget's own
localised text. The widget and the official types know no other; a machine-readable reason
for a failure belongs in the log, not here."""


class ErrorEvent(WireBase):
    """A failure after the stream started; `allow_retry` shows a retry button."""

    type: Literal["error"] = "error"
    code: ErrorCode = "custom"
    message: str | None = None
    allow_retry: bool = False


class NoticeEvent(WireBase):
    """A user-facing notice (markdown)."""

    type: Literal["notice"] = "notice"
    level: Literal["info", "warning", "danger"]
    message: str
    title: str | None = None


ThreadStreamEvent = Annotated[
    ThreadCreatedEvent
    | ThreadUpdatedEvent
    | ThreadItemAddedEvent
    | ThreadItemUpdatedEvent
    | ThreadItemDoneEvent
    | ThreadItemRemovedEvent
    | ThreadItemReplacedEvent
    | StreamOptionsEvent
    | ProgressUpdateEvent
    | ClientEffectEvent
    | ErrorEvent
    | NoticeEvent,
    Field(discriminator="type"),
]
