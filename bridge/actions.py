"""The action registry: widget and client actions by type, to streaming or sync handlers.

A team adds its own with `@actions.stream("type")` or `@actions.sync("type")`:

    async def complete(ctx: ActionContext, action: Action, sender: WidgetItem | None):
        yield ThreadItemReplacedEvent(...)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from schemas import Action, ThreadItem, ThreadMetadata, ThreadStreamEvent, WidgetItem

from .errors import BadRequest
from .ids import new_id
from .storage import Store


@dataclass
class ActionContext:
    """What an action handler gets: the user, the thread and the store."""

    user_id: str
    thread: ThreadMetadata
    store: Store
    services: Any

    def new_id(self, prefix: str) -> str:
        """A fresh item id."""
        return new_id(prefix)


StreamActionHandler = Callable[
    [ActionContext, Action, WidgetItem | None], AsyncIterator[ThreadStreamEvent]
]
SyncActionHandler = Callable[
    [ActionContext, Action, WidgetItem | None], Awaitable[ThreadItem | None]
]
F = TypeVar("F")
H = TypeVar("H")


class ActionRegistry:
    """Action type → handler, for `threads.custom_action` and `threads.sync_custom_action`."""

    def __init__(self) -> None:
        self._stream: dict[str, StreamActionHandler] = {}
        self._sync: dict[str, SyncActionHandler] = {}

    def stream(self, action_type: str) -> Callable[[StreamActionHandler], StreamActionHandler]:
        """Register a streaming handler (an async generator of events)."""

        def register(handler: StreamActionHandler) -> StreamActionHandler:
            self._stream[action_type] = handler
            return handler

        return register

    def sync(self, action_type: str) -> Callable[[SyncActionHandler], SyncActionHandler]:
        """Register a sync handler (returns the updated item, or None)."""

        def register(handler: SyncActionHandler) -> SyncActionHandler:
            self._sync[action_type] = handler
            return handler

        return register

    def streaming_handler(self, action_type: str) -> StreamActionHandler:
        """The streaming handler for a type, or a 400 naming the known types."""
        return _lookup(self._stream, action_type, "action type")

    def sync_handler(self, action_type: str) -> SyncActionHandler:
        """The sync handler for a type, or a 400 naming the known types."""
        return _lookup(self._sync, action_type, "sync action type")


def _lookup(handlers: dict[str, H], action_type: str, kind: str) -> H:
    try:
        return handlers[action_type]
    except KeyError:
        raise BadRequest(
            f"unknown {kind} {action_type!r}; known: {sorted(handlers) or 'none'}",
            code="unknown_action",
        ) from None
