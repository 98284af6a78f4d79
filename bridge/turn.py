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
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from typing import Any

import anyio

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
    WidgetComponentUpdated,
    WidgetItem,
    WidgetRootUpdated,
    WidgetStreamingTextValueDelta,
    WorkflowItem,
    WorkflowTaskAdded,
    WorkflowTaskUpdated,
    utcnow,
)

from .errors import TurnFailed
from .ids import new_id
from .lease import CLEANUP_SECONDS, Lease, LeaseLost
from .logs import RequestLog
from .sse import frame
from .thread_titles import title_update
from .widget_diff import apply_widget_update

log = logging.getLogger("bridge.turn")

STOPPED_NOTE = (
    "The user stopped the previous answer before it was finished. "
    "Do not continue it; answer the next message on its own."
)
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
TAKEN_OVER_MESSAGE = (
    "This answer was stopped because another answer in this conversation took over. "
    "Reload the conversation to see it."
)


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
        elif isinstance(item, WidgetItem) and isinstance(
            update, WidgetStreamingTextValueDelta | WidgetComponentUpdated | WidgetRootUpdated
        ):
            item.widget = apply_widget_update(item.widget, update)

    def keepable(self) -> list[ThreadItem]:
        """What a stop keeps: pending assistant messages with some text, and widgets as shown
        so far (a card whose text was streaming in)."""
        return [
            item
            for item in self.items.values()
            if isinstance(item, WidgetItem)
            or (
                isinstance(item, AssistantMessageItem)
                and any(part.text.strip() for part in item.content)
            )
        ]


async def run_turn(
    *,
    thread: ThreadMetadata,
    lease: Lease,
    lead: Sequence[ThreadStreamEvent] = (),
    answer: Callable[[], AsyncIterator[ThreadStreamEvent]],
    title_from: UserMessageItem | None = None,
    write_title: Callable[[], Coroutine[Any, Any, str | None]] | None = None,
    record: RequestLog | None = None,
    shutdown: ShutdownWatch | None = None,
    on_stop: StopHook | None = None,
) -> AsyncIterator[bytes]:
    """The frames of one streaming op.

    `lead` events go first (`thread.created`, the user echo as `thread.item.done`: the widget
    drops its optimistic copy unless the server echoes it); what they report is stored before
    the stream starts. Every write goes through the lease, and before each event the lease is
    checked: a stream whose thread was taken over stops and writes nothing more.
    An untitled thread is titled after a successful answer to `title_from`: by `write_title`
    (a model call, run alongside the answer so it never delays it) or from the first words.
    """
    lease.start()
    if shutdown is not None:
        shutdown.start()
    pending = _Pending()
    titling: asyncio.Task[str | None] | None = (
        asyncio.get_running_loop().create_task(write_title())
        if write_title is not None and title_from is not None and not thread.title
        else None
    )
    stats = record or RequestLog("", "")
    stats.events, stats.outcome = 0, "completed"
    try:
        for lead_event in lead:
            stats.events += 1
            stats.first_event_at = stats.first_event_at or time.perf_counter()
            yield frame(lead_event)
        stats.events += 1
        stats.first_event_at = stats.first_event_at or time.perf_counter()
        yield frame(StreamOptionsEvent(stream_options=StreamOptions(allow_cancel=True)))
        failed = True
        try:
            async for event in answer():
                await lease.ensure()
                shown = await _persist(lease, thread, event, pending)
                if shown is not None:
                    stats.events += 1
                    if stats.first_token_at is None and _is_text(shown):
                        stats.first_token_at = time.perf_counter()
                    yield frame(shown)
            failed = False
        except asyncio.CancelledError:
            raise
        except LeaseLost:
            log.warning("thread %s was taken over; this stream stops", thread.id)
            stats.outcome, stats.error = "error", "lease lost"
            yield frame(ErrorEvent(code="custom", message=TAKEN_OVER_MESSAGE, allow_retry=False))
        except TurnFailed as failure:
            stats.outcome, stats.error, stats.reason = "error", failure.message, failure.reason
            yield frame(
                ErrorEvent(
                    code=failure.code, message=failure.message, allow_retry=failure.allow_retry
                )
            )
        except Exception as exc:
            log.exception("turn failed on thread %s", thread.id)
            stats.outcome, stats.error = "error", f"{type(exc).__name__}: {exc}"
            stats.reason = "internal_error"
            # No message, as the reference server: the widget shows its own (localised) text
            # for `stream.error` (tests/conformance, error_mid_stream).
            yield frame(ErrorEvent(code="stream.error", allow_retry=True))
        # Titled after an answer only, as the reference: a failed turn leaves no title.
        updated = None if failed else await title_update(lease, thread, title_from, titling)
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
            await _keep_after_stop(lease, thread, pending, on_stop or stopped_note)
        if not by_shutdown:
            raise
        stats.error, stats.reason = "server shutting down", "server_shutdown"
        yield frame(ErrorEvent(code="custom", message=SHUTDOWN_MESSAGE, allow_retry=True))
    finally:
        if titling is not None:
            _drop(titling)
        if shutdown is not None:
            shutdown.stop()
        await lease.release()


def _is_text(event: ThreadStreamEvent) -> bool:
    """Whether an event carries the first assistant text (a delta, or a whole message)."""
    if isinstance(event, ThreadItemUpdatedEvent):
        return event.update.type == "assistant_message.content_part.text_delta"
    if isinstance(event, ThreadItemDoneEvent | ThreadItemAddedEvent):
        return event.item.type == "assistant_message" and bool(event.item.content)
    return False


async def _persist(
    lease: Lease, thread: ThreadMetadata, event: ThreadStreamEvent, pending: _Pending
) -> ThreadStreamEvent | None:
    """Store what an event finishes (fenced by the lease); returns what the client may see
    of it (None: nothing)."""
    match event:
        case ThreadItemAddedEvent():
            pending.added(event.item)
            return event if event.item.type not in HIDDEN_ITEM_TYPES else None
        case ThreadItemUpdatedEvent():
            pending.updated(event)
        case ThreadItemDoneEvent() | ThreadItemReplacedEvent():
            await lease.save_item(event.item)
            pending.finished(event.item.id)
            return event if event.item.type not in HIDDEN_ITEM_TYPES else None
        case ThreadItemRemovedEvent():
            await lease.delete_item(event.item_id)
            pending.finished(event.item_id)
        case ThreadUpdatedEvent():
            # The app sets the thread's title and status by emitting the event: it is stored,
            # and the client sees the thread as stored (empty items, as the reference sends).
            if event.thread.id != thread.id:
                raise ValueError(
                    f"a turn on thread {thread.id} emitted thread.updated for {event.thread.id}"
                )
            thread.title = event.thread.title
            thread.status = event.thread.status
            await lease.save_thread(thread, event.thread.metadata)
            return ThreadUpdatedEvent(thread=wire_thread(thread))
        case _:
            pass
    return event


async def _keep_after_stop(
    lease: Lease, thread: ThreadMetadata, pending: _Pending, on_stop: StopHook
) -> None:
    kept = pending.keepable()
    try:
        for item in kept:
            await lease.save_item(item)
        try:
            after = await on_stop(thread, list(kept))
        except Exception:  # an app's hook must not lose the stop: the bridge's note instead
            log.exception("the stop hook failed on thread %s", thread.id)
            after = await stopped_note(thread, list(kept))
        for item in after:
            await lease.save_item(item)
    except LeaseLost:  # the thread is another stream's now: keep nothing
        log.warning("thread %s was taken over; the stopped answer is not kept", thread.id)


def _drop(task: asyncio.Task[Any]) -> None:
    """Cancel a task nobody waits for any more, or collect its failure (logged elsewhere)."""
    if not task.done():
        task.cancel()
    elif not task.cancelled():
        task.exception()
