"""Helpers every handler uses: JSON answers, page limits, and opening a thread's stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence

import anyio
from starlette.responses import Response

from schemas import ThreadMetadata, ThreadStreamEvent, UserMessageItem

from ..context import RequestContext
from ..errors import BadRequest, Conflict
from ..ids import new_id
from ..sse import stream_response
from ..turn import Lease, ShutdownWatch, run_turn

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


async def take_lease(ctx: RequestContext, thread_id: str) -> Lease:
    """The thread's stream lease, or 409 if another stream holds it (404 if no such thread)."""
    token = new_id("lease")
    ttl = ctx.settings.lease_seconds
    if not await ctx.store.acquire_thread(ctx.user_id, thread_id, token, ttl):
        raise Conflict(f"thread {thread_id!r} is busy with another response; wait for it to finish")
    return Lease(ctx.store, thread_id, token, ttl)


def open_stream(
    ctx: RequestContext,
    thread: ThreadMetadata,
    lease: Lease,
    answer: Callable[[], AsyncIterator[ThreadStreamEvent]],
    *,
    lead: Sequence[ThreadStreamEvent] = (),
    user_item: UserMessageItem | None = None,
    title_from: UserMessageItem | None = None,
) -> Response:
    """The SSE response of a turn; the lease is released however the response ends."""
    record = ctx.log
    record.thread = thread.id
    shutdown = anyio.Event()
    frames = run_turn(
        store=ctx.store,
        user_id=ctx.user_id,
        thread=thread,
        lease=lease,
        lead=lead,
        user_item=user_item,
        answer=answer,
        title_from=title_from,
        record=record,
        shutdown=ShutdownWatch(shutdown, ctx.settings.shutdown_grace_seconds),
        on_stop=getattr(ctx.services.responder, "stopped", None),
    )

    async def on_close() -> None:
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
