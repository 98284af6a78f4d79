"""Server-sent events: `data: <json>` frames, keep-alive comments, and the headers proxies need."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
from pydantic import BaseModel
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.background import BackgroundTask

from schemas import encode

# The widget ignores `event:` names and comment lines; proxies must neither buffer nor compress.
SSE_HEADERS = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",
}


def frame(event: BaseModel) -> bytes:
    """One SSE frame for an event: `data: <json>` and a blank line."""
    return b"data: " + encode(event) + b"\n\n"


def _ping() -> ServerSentEvent:
    return ServerSentEvent(comment="ping", sep="\n")


def stream_response(
    frames: AsyncIterator[bytes],
    *,
    keepalive: float,
    on_close: Callable[[], Awaitable[None]] | None = None,
    shutdown: anyio.Event | None = None,
    shutdown_grace: float = 0.0,
) -> EventSourceResponse:
    """A `text/event-stream` response of ready frames, with `: ping` comments while idle.

    `on_close` runs after the response ends however it ends, even if the client went away
    before the body started (when the frames' own `finally` never runs). When the server
    shuts down, `shutdown` is set and the stream has `shutdown_grace` seconds to end itself.
    """
    return EventSourceResponse(
        frames,
        headers=SSE_HEADERS,
        ping=keepalive,
        ping_message_factory=_ping,
        sep="\n",
        background=BackgroundTask(on_close) if on_close else None,
        shutdown_event=shutdown,
        shutdown_grace_period=shutdown_grace,
    )
