"""The responder contract: what answers a turn, and what it is given.

The turn pipeline (`bridge/turn.py`) owns persistence and the wire: a responder only yields
ChatKit events. Items it finishes with `thread.item.done` are stored by the pipeline; an
assistant message it added and did not finish is kept (if not empty) when the client stops.
A responder reports failures by raising `TurnFailed`; anything else becomes a generic error.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from db import Store
from schemas import (
    AssistantMessageContent,
    AssistantMessageContentPartAdded,
    AssistantMessageContentPartDone,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    InferenceOptions,
    ThreadItem,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemUpdatedEvent,
    ThreadMetadata,
    ThreadStreamEvent,
    UserMessageItem,
    utcnow,
)

from .ids import new_id
from .settings import Settings


@dataclass
class Turn:
    """One answer to produce: the thread, who asks, and how to reach the store."""

    user_id: str
    thread: ThreadMetadata
    store: Store
    settings: Settings
    input: UserMessageItem | None = None
    """The message being answered; None when continuing (client tool output, structured input)."""
    inference_options: InferenceOptions = field(default_factory=InferenceOptions)
    locale: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def new_id(self, prefix: str) -> str:
        """A fresh item id (`msg`, `cli`, `wf`, …): never reuse a provider's item id."""
        return new_id(prefix)

    async def history(self, last: int | None = None) -> list[ThreadItem]:
        """The thread's items, hidden context included, oldest first (the input included)."""
        return await self.store.load_items(self.user_id, self.thread.id, last=last)


class Responder(Protocol):
    """Anything that answers a turn with a stream of ChatKit events.

    Optional: `running(*, files)` (an async context manager the app enters for its lifetime)
    and `stopped(thread, kept) -> items` (what to store after the user stopped an answer,
    given the partial items kept; the bridge's default is a hidden "the user stopped" note).
    """

    def respond(self, turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        """Yield the answer's events; raise TurnFailed for a failure the user should see."""
        ...


async def stream_text(
    turn: Turn, chunks: Iterable[str] | AsyncIterable[str]
) -> AsyncIterator[ThreadStreamEvent]:
    """An assistant message streamed from text chunks, as the widget needs it.

    `thread.item.added` (empty content) → `content_part.added` → a `text_delta` per chunk →
    `content_part.done` → `thread.item.done`. For a custom responder that produces plain text.
    """
    item_id = turn.new_id("msg")
    thread_id = turn.thread.id
    yield ThreadItemAddedEvent(
        item=AssistantMessageItem(id=item_id, thread_id=thread_id, created_at=utcnow())
    )
    yield ThreadItemUpdatedEvent(
        item_id=item_id,
        update=AssistantMessageContentPartAdded(
            content_index=0, content=AssistantMessageContent(text="")
        ),
    )
    said: list[str] = []

    async def each() -> AsyncIterator[str]:
        if isinstance(chunks, AsyncIterable):
            async for chunk in chunks:
                yield chunk
        else:
            for chunk in chunks:
                yield chunk

    async for chunk in each():
        said.append(chunk)
        yield ThreadItemUpdatedEvent(
            item_id=item_id,
            update=AssistantMessageContentPartTextDelta(content_index=0, delta=chunk),
        )
    text = "".join(said)
    yield ThreadItemUpdatedEvent(
        item_id=item_id,
        update=AssistantMessageContentPartDone(
            content_index=0, content=AssistantMessageContent(text=text)
        ),
    )
    yield ThreadItemDoneEvent(
        item=AssistantMessageItem(
            id=item_id,
            thread_id=thread_id,
            created_at=utcnow(),
            content=[AssistantMessageContent(text=text)],
        )
    )
