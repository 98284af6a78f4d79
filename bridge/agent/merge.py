"""One ordered stream from the run's events and the events its tools emit.

Tools run only after a model response is complete. Until the first `response.completed`
the run's events are read directly (the hot path of a plain answer: a delta costs no extra
task switch). From then on a pump task reads the run's events into a queue that the tools'
`AgentContext` feeds too, so a tool's events land after the model's events that led to the
call and before the tool's output: the run queues its events without waiting, and a tool task
is scheduled after the pump's wake-up, so the pump has forwarded them when the tool starts.
The pump never hands back: once the consumer lags behind the run, only a pump that drains the
run's queue eagerly keeps that order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncGenerator
from typing import Any, cast

from agents import RawResponsesStreamEvent, RunResultStreaming, StreamEvent

from schemas import ThreadStreamEvent

from .context import AgentContext

Event = StreamEvent | ThreadStreamEvent


class _Signal:
    pass


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = _Signal()


def _raw_type(event: Any) -> str:
    if isinstance(event, RawResponsesStreamEvent):
        return str(getattr(event.data, "type", ""))
    return ""


class MergedStream:
    """Iterate the run's stream events and the ChatKit events its tools emitted, in order."""

    def __init__(self, result: RunResultStreaming, context: AgentContext[Any]) -> None:
        self._result = result
        self._events = cast(AsyncGenerator[StreamEvent, None], result.stream_events())
        self._queue: asyncio.Queue[Event | _Signal | _Failed] = asyncio.Queue()
        self._early: deque[Event] = deque()
        self._pump: asyncio.Task[None] | None = None
        context.bind(self._emit)

    def _emit(self, event: ThreadStreamEvent) -> None:
        if self._pump is not None:
            self._queue.put_nowait(event)
        else:  # not expected before any response is complete; sent before the next event
            self._early.append(event)

    def __aiter__(self) -> MergedStream:
        return self

    async def __anext__(self) -> Event:
        if self._early:
            return self._early.popleft()
        if self._pump is None:
            event = await self._events.__anext__()
            if _raw_type(event) == "response.completed":  # tools may run from here on
                self._pump = asyncio.get_running_loop().create_task(self._forward())
            return event
        got = await self._queue.get()
        if got is _END:
            raise StopAsyncIteration
        if isinstance(got, _Failed):
            raise got.error
        assert not isinstance(got, _Signal)
        return got

    async def _forward(self) -> None:
        try:
            async for event in self._events:
                self._queue.put_nowait(event)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # guardrail tripwires, model failures: the reader raises
            self._queue.put_nowait(_Failed(exc))
            return
        self._queue.put_nowait(_END)

    async def close(self) -> None:
        """Stop the run if it is still going (the client left, or the turn failed)."""
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        if not self._result.is_complete:
            self._result.cancel()
        await self._events.aclose()
