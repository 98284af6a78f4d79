"""The responder contract: what answers a turn, and what it is given.

The turn pipeline (`bridge/turn.py`) owns persistence and the wire: a responder only yields
ChatKit events. Items it finishes with `thread.item.done` are stored by the pipeline; an
assistant message it added and did not finish is kept (if not empty) when the client stops.
A responder reports failures by raising `TurnFailed`; anything else becomes a generic error.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from db.store import wire_thread
from schemas import (
    AssistantMessageContent,
    AssistantMessageContentPartAdded,
    AssistantMessageContentPartDone,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    InferenceOptions,
    NoticeEvent,
    ThreadItem,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemUpdatedEvent,
    ThreadMetadata,
    ThreadStatus,
    ThreadStreamEvent,
    ThreadUpdatedEvent,
    UserMessageItem,
    utcnow,
)

from .ids import new_id
from .settings import Settings
from .storage import Store

if TYPE_CHECKING:
    from .plugin import App

NoticeLevel = Literal["info", "warning", "danger"]


@dataclass
class Turn:
    """One answer to produce: the thread, who asks, the request's context, and the store."""

    user_id: str
    thread: ThreadMetadata
    store: Store
    settings: Settings
    input: UserMessageItem | None = None
    """The message being answered; None when continuing (client tool output, structured input)."""
    inference_options: InferenceOptions = field(default_factory=InferenceOptions)
    locale: str | None = None
    """The request's `Accept-Language` (the widget sends the user's locale), or None."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """The request's headers, case-insensitive (e.g. a page-context header the host page adds
    through `api.fetch`). Credentials are in here too: never echo them to the model."""
    request_metadata: dict[str, Any] = field(default_factory=dict)
    """The request's own `metadata` object (the widget sends none; other clients may)."""
    extra: dict[str, Any] = field(default_factory=dict)
    app: App | None = None
    """The app served (`bridge/plugin.py`), whose services the tools may use; None if bare."""

    @property
    def tool_choice(self) -> str | None:
        """The id picked in the composer's tool menu, if any: the app decides what it means
        (a tool to force, another agent, a mode). `AgentResponder` forces the model to call
        the tool only when the id names one of the agent's tools."""
        choice = self.inference_options.tool_choice
        return choice.id if choice is not None else None

    def notice(
        self, message: str, *, level: NoticeLevel = "info", title: str | None = None
    ) -> NoticeEvent:
        """A `notice` event to yield: a markdown message the widget shows above the composer."""
        return NoticeEvent(level=level, message=message, title=title)

    def thread_updated(
        self,
        *,
        title: str | None = None,
        status: ThreadStatus | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> ThreadUpdatedEvent:
        """A `thread.updated` event to yield with a new title, status (`ActiveStatus()`,
        `LockedStatus(reason=…)`, `ClosedStatus(reason=…)`) and/or metadata. The turn pipeline
        stores it; a locked or closed thread refuses new messages. `metadata` is the app's
        server-side data about the thread (`thread_metadata()` reads it back): stored, never sent to
        the client (as the reference server, which sends `metadata: {}`)."""
        changes: dict[str, Any] = {}
        if title is not None:
            changes["title"] = title
        if status is not None:
            changes["status"] = status
        thread = wire_thread(self.thread.model_copy(update=changes))
        if metadata is not None:
            thread.metadata = dict(metadata)
        return ThreadUpdatedEvent(thread=thread)

    async def thread_metadata(self) -> dict[str, Any]:
        """The thread's metadata as the app last stored it (`thread_updated(metadata=…)`)."""
        return await self.store.load_thread_meta(self.user_id, self.thread.id)

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
    A responder may also have `async def title(self, turn) -> str | None` (`TitleWriter`):
    then a new thread's title is that, run alongside the first answer, instead of the
    message's first words.
    """

    def respond(self, turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        """Yield the answer's events; raise TurnFailed for a failure the user should see."""
        ...


class TitleWriter(Protocol):
    """A responder that titles new threads itself (e.g. with a model call)."""

    async def title(self, turn: Turn) -> str | None:
        """The thread's title, or None to use the first words of the message."""
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
