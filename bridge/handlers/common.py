"""Helpers every handler uses: JSON answers, page limits, and opening a thread's stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any

import anyio
from starlette.responses import Response

from schemas import ThreadMetadata, ThreadStreamEvent, UserMessageItem

from ..context import RequestContext
from ..errors import BadRequest, Conflict
from ..lease import Lease
from ..responder import Turn
from ..sse import stream_response
from ..turn import ShutdownWatch, run_turn

EMPTY_OBJECT = b"{}"


def json_response(body: bytes, status: int = 200) -> Response:
    """A JSON answer from ready bytes."""
    return Response(body, status_code=status, media_type="application/json")


def page_limit(ctx: RequestContext, limit: int | None) -> int:
    """The page size: the default when absent, clamped to the maximum (the widget asks 9999)."""
    if limit is None:
        return ctx.settings.page_size
    if limit < 1:
        raise BadRequest(f"limit must be at least 1, got {limit}", code="invalid_params")
    return min(limit, ctx.settings.max_page_size)


def new_lease(ctx: RequestContext, thread_id: str) -> Lease:
    """A lease on the thread for this request's turn, not taken yet."""
    return Lease.new(ctx.store, ctx.user_id, thread_id, ctx.settings.lease_seconds)


def busy(thread_id: str) -> Conflict:
    """The 409 for a thread another stream holds."""
    return Conflict(f"thread {thread_id!r} is busy with another response; wait for it to finish")


async def take_lease(ctx: RequestContext, thread_id: str) -> Lease:
    """The thread's stream lease, or 409 if another stream holds it (404 if no such thread)."""
    lease = new_lease(ctx, thread_id)
    if not await lease.take():
        raise busy(thread_id)
    return lease


async def start_turn(
    ctx: RequestContext, thread_id: str, item: UserMessageItem
) -> tuple[ThreadMetadata, Lease]:
    """Authorise, take the lease and store the user message in one round trip: 404 for no
    such thread, 409 if it is not active or another stream holds it (nothing stored then)."""
    lease = new_lease(ctx, thread_id)
    thread, taken = await lease.start_turn(item)
    if thread.status.type != "active":
        raise Conflict(f"thread {thread_id!r} is {thread.status.type}", code="thread_not_active")
    if not taken:
        raise busy(thread_id)
    return thread, lease


def _title_writer(
    ctx: RequestContext, turn: Turn | None
) -> Callable[[], Coroutine[Any, Any, str | None]] | None:
    """The responder's own title writer for this turn, if it has one."""
    write = getattr(ctx.services.responder, "title", None)
    if turn is None or write is None:
        return None
    titled: Callable[[Turn], Coroutine[Any, Any, str | None]] = write
    return lambda: titled(turn)


def open_stream(
    ctx: RequestContext,
    thread: ThreadMetadata,
    lease: Lease,
    answer: Callable[[], AsyncIterator[ThreadStreamEvent]],
    *,
    lead: Sequence[ThreadStreamEvent] = (),
    title_from: UserMessageItem | None = None,
    turn: Turn | None = None,
) -> Response:
    """The SSE response of a turn; the lease is released however the response ends."""
    record = ctx.log
    record.thread = thread.id
    shutdown = anyio.Event()
    frames = run_turn(
        thread=thread,
        lease=lease,
        lead=lead,
        answer=answer,
        title_from=title_from,
        write_title=_title_writer(ctx, turn),
        record=record,
        shutdown=ShutdownWatch(shutdown, ctx.settings.shutdown_grace_seconds),
        on_stop=getattr(ctx.services.responder, "stopped", None),
    )

    open_streams = ctx.services.metrics.open_streams
    open_streams.inc()

    async def on_close() -> None:
        open_streams.dec()
        await lease.release()
        record.emit()

    return stream_response(
        frames,
        keepalive=ctx.settings.keepalive_seconds,
        on_close=on_close,
        shutdown=shutdown,
        # sse-starlette force-cancels after its grace; the turn's own watch acts first.
        shutdown_grace=ctx.settings.shutdown_grace_seconds + 2,
    )
