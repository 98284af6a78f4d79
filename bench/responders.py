"""Bench responders: a scripted answer of N deltas, as fast as possible or paced.

The user's message picks the script: `bench deltas=2000 interval=0` streams 2,000 deltas with
no pause; any other text goes to the fallback (the offline model when it is available), so
one bridge process serves every measurement.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bridge.responder import Responder, Turn, stream_text
from schemas import (
    ThreadStreamEvent,
)

DELTA = "word "
"""One delta: a typical token-sized piece of text."""


@dataclass(frozen=True)
class Script:
    """How many deltas to stream, and the pause before each."""

    deltas: int
    interval: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Script | None:
        """The script a `bench deltas=N interval=S` message asks for, or None."""
        words = text.split()
        if not words or words[0] != "bench":
            return None
        fields = dict(word.split("=", 1) for word in words[1:] if "=" in word)
        return cls(int(fields.get("deltas", "0")), float(fields.get("interval", "0")))

    def text(self) -> str:
        """The message that asks for this script."""
        return f"bench deltas={self.deltas} interval={self.interval}"


async def _deltas(script: Script) -> AsyncIterator[str]:
    for _ in range(script.deltas):
        if script.interval:
            await asyncio.sleep(script.interval)
        yield DELTA


def scripted_answer(turn: Turn, script: Script) -> AsyncIterator[ThreadStreamEvent]:
    """An assistant message of `script.deltas` deltas, events as the widget wants them."""
    return stream_text(turn, _deltas(script))


class EchoResponder:
    """The fallback when the offline model cannot be imported: a two-delta echo."""

    async def respond(self, turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        """Answer with `Script(2)`."""
        async for event in scripted_answer(turn, Script(2)):
            yield event


class BenchResponder:
    """Runs the script a `bench …` message asks for; anything else goes to `fallback`."""

    def __init__(self, fallback: Responder) -> None:
        self.fallback = fallback

    def respond(self, turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        """The scripted answer, or the fallback's."""
        said = ""
        if turn.input is not None:
            said = " ".join(p.text for p in turn.input.content if p.type == "input_text")
        script = Script.parse(said)
        if script is None:
            return self.fallback.respond(turn)
        return scripted_answer(turn, script)


def offline_responder(settings: object) -> tuple[Responder, str | None]:
    """The offline model's responder, or the echo and why the model could not be used."""
    try:
        from bridge.todo.tools import make_responder
    except Exception as exc:  # the agent package is optional for the bench
        return EchoResponder(), f"bridge.agent.make_responder did not import: {exc!r}"
    return make_responder(settings), None  # type: ignore[arg-type]
