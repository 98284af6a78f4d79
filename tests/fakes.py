"""Test doubles the bridge is built to accept (passed to `create_app`, never patched in)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from bridge.errors import TurnFailed
from bridge.responder import Turn
from bridge.responder import stream_text as bridge_stream_text
from schemas import (
    AssistantMessageContent,
    AssistantMessageContentPartAdded,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    ThreadItemAddedEvent,
    ThreadItemUpdatedEvent,
    ThreadStreamEvent,
    utcnow,
)


async def _paced(chunks: list[str], delay: float) -> AsyncIterator[str]:
    for chunk in chunks:
        if delay:
            await asyncio.sleep(delay)
        yield chunk


def stream_text(
    turn: Turn, chunks: list[str], delay: float = 0.0
) -> AsyncIterator[ThreadStreamEvent]:
    """An assistant message streamed in `chunks` (a pause of `delay` before each)."""
    return bridge_stream_text(turn, _paced(chunks, delay))


Step = Callable[[Turn], AsyncIterator[ThreadStreamEvent]]


@dataclass
class ScriptedResponder:
    """Answers each turn with the next scripted step; by default echoes the user's text.

    A step is a function `turn -> async iterator of events`. `turns` records every Turn.
    """

    steps: list[Step] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)

    async def respond(self, turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        self.turns.append(turn)
        if self.steps:
            async for event in self.steps.pop(0)(turn):
                yield event
            return
        said = ""
        if turn.input is not None:
            said = " ".join(p.text for p in turn.input.content if p.type == "input_text")
        async for event in stream_text(turn, ["You said: ", said or "(nothing)"]):
            yield event


def text_step(*chunks: str, delay: float = 0.0) -> Step:
    """A step answering with text."""

    def step(turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        return stream_text(turn, list(chunks), delay)

    return step


def events_step(make: Callable[[Turn], list[Any]]) -> Step:
    """A step yielding the events `make(turn)` returns."""

    async def step(turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        for event in make(turn):
            yield event

    return step


def failing_step(message: str, *, allow_retry: bool = True, after: list[str] | None = None) -> Step:
    """A step that streams `after` chunks (if any), then fails with TurnFailed."""

    async def step(turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        if after:
            item_id = turn.new_id("msg")
            yield ThreadItemAddedEvent(
                item=AssistantMessageItem(id=item_id, thread_id=turn.thread.id, created_at=utcnow())
            )
            yield ThreadItemUpdatedEvent(
                item_id=item_id,
                update=AssistantMessageContentPartAdded(
                    content_index=0, content=AssistantMessageContent(text="")
                ),
            )
            for chunk in after:
                yield ThreadItemUpdatedEvent(
                    item_id=item_id,
                    update=AssistantMessageContentPartTextDelta(content_index=0, delta=chunk),
                )
        raise TurnFailed(message, allow_retry=allow_retry)

    return step
