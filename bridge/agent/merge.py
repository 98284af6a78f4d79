"""One ordered stream from the run's events and the events its tools emit.

The Runner streams from its own task and runs tools in tasks of their own; a tool's
`AgentContext` puts its events on the same queue this stream's pump feeds the run's events
into. The pump forwards every event the run has queued before a tool starts (the run queues
them without waiting, and a tool task is scheduled after the pump's wake-up), so a tool's
events land after the model's events that led to the call and before the tool's output.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Any, cast

from agents import RunResultStreaming, StreamEvent

from schemas import ThreadStreamEvent

from .context import AgentContext


class _End:
    pass


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = _End()


class MergedStream:
    """Iterate the run's stream events and the ChatKit events its tools emitted, in order."""

    def __init__(self, result: RunResultStreaming, context: AgentContext[Any]) -> None:
        self._result = result
        self._events = cast(AsyncGenerator[StreamEvent, None], result.stream_events())
        self._queue: asyncio.Queue[StreamEvent | ThreadStreamEvent | _End | _Failed] = (
            asyncio.Queue()
        )
        self._pump: asyncio.Task[None] | None = None
        context.bind(self._queue.put_nowait)

    def __aiter__(self) -> MergedStream:
        return self

    async def __anext__(self) -> StreamEvent | ThreadStreamEvent:
        if self._pump is None:
            self._pump = asyncio.get_running_loop().create_task(self._forward())
        got = await self._queue.get()
        if isinstance(got, _End):
            raise StopAsyncIteration
        if isinstance(got, _Failed):
            raise got.error
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
