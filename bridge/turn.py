"""The turn pipeline: everything a streaming op sends after the response started.

It sends the lead events (`thread.created`, the user echo), `stream_options`, then the
answer's events, storing each item when it is done. It never raises to the client: a failure
becomes an `error` event and the body closes. When the client goes away it stops the answer,
keeps a non-empty partial assistant message, and leaves a hidden note that the user stopped,
so the next answer does not continue the old one.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

from db import Store
from db.store import wire_thread
from schemas import (
    HIDDEN_ITEM_TYPES,
    AssistantMessageContent,
    AssistantMessageContentPartAdded,
    AssistantMessageContentPartAnnotationAdded,
    AssistantMessageContentPartDone,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    ErrorEvent,
    SDKHiddenContextItem,
    StreamOptions,
    StreamOptionsEvent,
    ThreadItem,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemRemovedEvent,
    ThreadItemReplacedEvent,
    ThreadItemUpdatedEvent,
    ThreadMetadata,
    ThreadStreamEvent,
    ThreadUpdatedEvent,
    UserMessageItem,
    WorkflowItem,
    WorkflowTaskAdded,
    WorkflowTaskUpdated,
    utcnow,
)

from .errors import TurnFailed
from .ids import new_id
from .logs import RequestLog
from .sse import frame

log = logging.getLogger("bridge.turn")

STOPPED_NOTE = (
    "The user stopped the previous answer before it was finished. "
    "Do not continue it; answer the next message on its own."
)
CLEANUP_SECONDS = 10.0

StopHook = Callable[[ThreadMetadata, list[ThreadItem]], Awaitable[Sequence[ThreadItem]]]
"""What to store after a stop, given the thread and the partial items kept: the responder's
`stopped(thread, kept)` when it has one (an app overrides it), else `stopped_note`."""


async def stopped_note(thread: ThreadMetadata, kept: list[ThreadItem]) -> list[ThreadItem]:
    """The default after a stop: a hidden note, so the next answer does not continue the old."""
    return [
        SDKHiddenContextItem(
            id=new_id("hid"), thread_id=thread.id, created_at=utcnow(), content=STOPPED_NOTE
        )
    ]


SHUTDOWN_MESSAGE = "The server is restarting, so this answer was stopped. Please try again."


@dataclass
class Lease:
    """The thread's stream lease: renewed while the stream runs, released when it ends."""

    store: Store
    thread_id: str
    token: str
    ttl: float
    _renewer: asyncio.Task[None] | None = field(default=None, repr=False)
    _retrier: asyncio.Task[None] | None = field(default=None, repr=False)
    _released: bool = field(default=False, repr=False)

    def start(self) -> None:
        """Begin renewing the lease in the background."""
        if self._renewer is None:
            self._renewer = asyncio.get_running_loop().create_task(self._renew())

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                await self.store.renew_thread(self.thread_id, self.token, self.ttl)
            except Exception:  # a failed renewal only shortens the lease
                log.warning("could not renew the lease of thread %s", self.thread_id)

    async def release(self) -> None:
        """Stop renewing and give the lease back; safe to call twice; never raises.

        If the database is away, the release is retried in the background until it works or
        the lease has expired anyway, so the thread is usable as soon as the database is back.
        """
        if self._renewer is not None:
            self._renewer.cancel()
            self._renewer = None
        if self._released:  # the stream's end and the response's close both call this
            return
        self._released = True
        with anyio.CancelScope(shield=True), anyio.move_on_after(CLEANUP_SECONDS):
            try:
                await self.store.release_thread(self.thread_id, self.token)
            except Exception:
                log.warning("could not release the lease of thread %s; retrying", self.thread_id)
                self._retrier = asyncio.get_running_loop().create_task(self._release_later())

    async def _release_later(self) -> None:
        deadline = asyncio.get_running_loop().time() + self.ttl
        pause = 0.2
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(pause)
            try:
                await self.store.release_thread(self.thread_id, self.token)
                return
            except Exception:
                pause = min(pause * 2, 2.0)


class ShutdownWatch:
    """Stops a turn that is still running `grace` seconds after the server began shutting down.

    The stopped turn keeps what it streamed (like a stop by the user) and ends with an `error`
    event that allows a retry, so a restart never leaves a half-written answer.
    """

    def __init__(self, event: anyio.Event, grace: float) -> None:
        self.event = event
        self.grace = grace
        self.fired = False
        self._task: asyncio.Task[Any] | None = None
        self._watcher: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Watch on behalf of the task that streams the turn."""
        self._task = asyncio.current_task()
        self._watcher = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        await self.event.wait()
        await asyncio.sleep(self.grace)
        if self._task is not None:
            self.fired = True
            self._task.cancel()

    def claim(self) -> bool:
        """Whether the cancellation being handled is this watch's; if so, absorb it."""
        if self.fired and self._task is not None and self._task.cancelling():
            self._task.uncancel()
            return True
        return False

    def stop(self) -> None:
        """Stop watching."""
        if self._watcher is not None:
            self._watcher.cancel()


def auto_title(message: UserMessageItem, limit: int = 48) -> str | None:
    """A short title from the first user message: its first words, cut at a word boundary."""
    text = " ".join(
        part.text for part in message.content if part.type == "input_text" and part.text.strip()
    )
    # Control characters (a pasted NUL) are never wanted in a title, and PostgreSQL refuses NUL.
    text = " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in text).split())
    if not text:
        return None
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(",.;:!?-") + "…"


class _Pending:
    """Items added but not done yet, kept current so a stop can save what was streamed."""

    def __init__(self) -> None:
        self.items: dict[str, ThreadItem] = {}

    def added(self, item: ThreadItem) -> None:
        self.items[item.id] = item.model_copy(deep=True)

    def finished(self, item_id: str) -> None:
        self.items.pop(item_id, None)

    def updated(self, event: ThreadItemUpdatedEvent) -> None:
        item = self.items.get(event.item_id)
        update = event.update
        if isinstance(item, AssistantMessageItem):
            while len(item.content) <= getattr(update, "content_index", -1):
                item.content.append(AssistantMessageContent(text=""))
            match update:
                case AssistantMessageContentPartAdded() | AssistantMessageContentPartDone():
                    item.content[update.content_index] = update.content.model_copy(deep=True)
                case AssistantMessageContentPartTextDelta():
                    item.content[update.content_index].text += update.delta
                case AssistantMessageContentPartAnnotationAdded():
                    item.content[update.content_index].annotations.append(update.annotation)
        elif isinstance(item, WorkflowItem):
            match update:
                case WorkflowTaskAdded():
                    item.workflow.tasks.append(update.task)
                case WorkflowTaskUpdated() if update.task_index < len(item.workflow.tasks):
                    item.workflow.tasks[update.task_index] = update.task

    def keepable(self) -> list[ThreadItem]:
        """Pending assistant messages with some text: what a stop keeps."""
        return [
            item
            for item in self.items.values()
            if isinstance(item, AssistantMessageItem)
            and any(part.text.strip() for part in item.content)
        ]


async def run_turn(
    *,
    store: Store,
    user_id: str,
    thread: ThreadMetadata,
    lease: Lease,
    lead: Sequence[ThreadStreamEvent] = (),
    user_item: UserMessageItem | None = None,
    answer: Callable[[], AsyncIterator[ThreadStreamEvent]],
    title_from: UserMessageItem | None = None,
    record: RequestLog | None = None,
    shutdown: ShutdownWatch | None = None,
    on_stop: StopHook | None = None,
) -> AsyncIterator[bytes]:
    """The frames of one streaming op.

    `lead` events go first (`thread.created`); then `user_item` is stored and echoed as
    `thread.item.done` (the widget drops its optimistic copy unless the server echoes it).
    """
    lease.start()
    if shutdown is not None:
        shutdown.start()
    pending = _Pending()
    stats = record or RequestLog("", "")
    stats.events, stats.outcome = 0, "completed"
    try:
        for lead_event in lead:
            stats.events += 1
            yield frame(lead_event)
        if user_item is not None:
            await store.add_item(user_id, user_item)
            stats.events += 1
            yield frame(ThreadItemDoneEvent(item=user_item))
        stats.events += 1
        yield frame(StreamOptionsEvent(stream_options=StreamOptions(allow_cancel=True)))
        failed = True
        try:
            async for event in answer():
                if await _persist(store, user_id, thread.id, event, pending):
                    stats.events += 1
                    yield frame(event)
            failed = False
        except asyncio.CancelledError:
            raise
        except TurnFailed as failure:
            stats.outcome, stats.error = "error", failure.message
            yield frame(
                ErrorEvent(
                    code=failure.code, message=failure.message, allow_retry=failure.allow_retry
                )
            )
        except Exception as exc:
            log.exception("turn failed on thread %s", thread.id)
            stats.outcome, stats.error = "error", f"{type(exc).__name__}: {exc}"
            # No message, as the reference server: the widget shows its own (localised) text
            # for `stream.error` (tests/conformance, error_mid_stream).
            yield frame(ErrorEvent(code="stream.error", allow_retry=True))
        # Titled after an answer only, as the reference: a failed turn leaves no title.
        updated = None if failed else await _maybe_title(store, user_id, thread, title_from)
        if updated is not None:
            stats.events += 1
            yield frame(updated)
    except (asyncio.CancelledError, GeneratorExit) as stop:
        # The client went away (cancelled, or the body closed), or the shutdown watch fired.
        by_shutdown = isinstance(stop, asyncio.CancelledError) and (
            shutdown is not None and shutdown.claim()
        )
        stats.outcome = "error" if by_shutdown else "stopped by client"
        with anyio.CancelScope(shield=True), anyio.move_on_after(CLEANUP_SECONDS):
            await _keep_after_stop(store, user_id, thread, pending, on_stop or stopped_note)
        if not by_shutdown:
            raise
        stats.error = "server shutting down"
        yield frame(ErrorEvent(code="server.shutdown", message=SHUTDOWN_MESSAGE, allow_retry=True))
    finally:
        if shutdown is not None:
            shutdown.stop()
        await lease.release()


async def _persist(
    store: Store, user_id: str, thread_id: str, event: ThreadStreamEvent, pending: _Pending
) -> bool:
    """Store what an event finishes; returns whether the client may see the event."""
    match event:
        case ThreadItemAddedEvent():
            pending.added(event.item)
            return event.item.type not in HIDDEN_ITEM_TYPES
        case ThreadItemUpdatedEvent():
            pending.updated(event)
        case ThreadItemDoneEvent():
            await store.save_item(user_id, event.item)
            pending.finished(event.item.id)
            return event.item.type not in HIDDEN_ITEM_TYPES
        case ThreadItemReplacedEvent():
            await store.save_item(user_id, event.item)
            pending.finished(event.item.id)
            return event.item.type not in HIDDEN_ITEM_TYPES
        case ThreadItemRemovedEvent():
            await store.delete_item(user_id, thread_id, event.item_id)
            pending.finished(event.item_id)
        case _:
            pass
    return True


async def _keep_after_stop(
    store: Store, user_id: str, thread: ThreadMetadata, pending: _Pending, on_stop: StopHook
) -> None:
    kept = pending.keepable()
    for item in kept:
        await store.save_item(user_id, item)
    try:
        after = await on_stop(thread, list(kept))
    except Exception:  # an app's hook must not lose the stop; fall back to the bridge's note
        log.exception("the stop hook failed on thread %s", thread.id)
        after = await stopped_note(thread, list(kept))
    for item in after:
        await store.add_item(user_id, item)


async def _maybe_title(
    store: Store, user_id: str, thread: ThreadMetadata, title_from: UserMessageItem | None
) -> ThreadUpdatedEvent | None:
    if thread.title or title_from is None:
        return None
    title = auto_title(title_from)
    if title is None:
        return None
    try:
        current = await store.load_thread(user_id, thread.id)
        if current.title:  # renamed meanwhile: the user's title wins
            return None
        await store.save_thread(user_id, thread.model_copy(update={"title": title}))
    except Exception:  # the answer is stored; a missing title must not break the stream
        log.warning("could not title thread %s", thread.id, exc_info=True)
        return None
    thread.title = title
    return ThreadUpdatedEvent(thread=wire_thread(thread))
