"""The client hangs up at every stage of a turn, on a real uvicorn server: before
`thread.created` is read, after the echo, mid-deltas, and while a tool runs.

After each: the work stops, the store is consistent (no thread without its user message, a
partial answer kept only with its text, a hidden note that the user stopped, the lease given
back), and the next request on the thread works.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from agents import Agent, function_tool

from bridge.agent import AgentResponder
from bridge.responder import Turn
from bridge.settings import Settings
from bridge.todo.tools import TaskContext
from schemas import ThreadStreamEvent

from ..conformance.scripted_model import ScriptedModel
from ..fakes import stream_text
from .conftest import MakeApp, store_of
from .support import RawStream, auth, bounded, item_types, parse_sse, serve, snapshot

USER = "ann"
CHUNKS = [f"w{n} " for n in range(30)]


class Slow:
    """Answers with 30 chunks, 30 ms apart; notes whether the answer ran to its end."""

    def __init__(self) -> None:
        self.finished = 0
        self.cancelled = 0

    async def respond(self, turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        try:
            async for event in stream_text(turn, CHUNKS, 0.03):
                yield event
            self.finished += 1
        except (asyncio.CancelledError, GeneratorExit):
            self.cancelled += 1
            raise


async def _settled(store: Any, timeout: float = 5.0) -> Any:
    """The store once no thread is leased (fails if one stays leased)."""
    deadline = time.monotonic() + timeout
    while True:
        shot = await snapshot(store)
        busy = [t for threads in shot.threads.values() for t, r in threads.items() if r["busy"]]
        if not busy:
            return shot
        assert time.monotonic() < deadline, f"leases never released: {busy}"
        await asyncio.sleep(0.02)


def _assert_consistent(shot: Any) -> None:
    for threads in shot.threads.values():
        for tid in threads:
            items = shot.items.get(tid, [])
            assert items and items[0][1] == "user_message", (
                f"thread {tid} without its message: {items}"
            )


async def _next_works(base: str, thread_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        body = {
            "type": "threads.add_user_message",
            "params": {
                "thread_id": thread_id,
                "input": {"content": [{"type": "input_text", "text": "again"}], "attachments": []},
            },
        }
        response = await bounded(
            http.post("/chatkit", content=json.dumps(body), headers=auth(USER))
        )
        assert response.status_code == 200, response.text
        events = parse_sse(response.text)
        kinds = item_types(events)
        assert kinds[0] == "done:user_message" and "error" not in kinds, kinds
        assert "done:assistant_message" in kinds, kinds
        return events


def _create_body(text: str = "hello") -> dict[str, Any]:
    return {
        "type": "threads.create",
        "params": {"input": {"content": [{"type": "input_text", "text": text}], "attachments": []}},
    }


def _deltas(events: list[dict[str, Any]]) -> int:
    return sum(1 for e in events if e["type"] == "thread.item.updated" and "delta" in e["update"])


STAGES = {
    "before thread.created": None,
    "after the echo": lambda ev: any(e["type"] == "thread.item.done" for e in ev),
    "mid-deltas": lambda ev: _deltas(ev) >= 3,
}


@pytest.mark.parametrize("stage", list(STAGES))
async def test_hang_up_during_a_turn(rel_make_app: MakeApp, stage: str) -> None:
    slow = Slow()
    app = await rel_make_app(responder=slow)
    store = store_of(app)
    async with serve(app) as base:
        stream = await RawStream.open(base, USER, _create_body())
        until = STAGES[stage]
        if until is not None:
            await stream.read_head()
            assert stream.status == 200
            await stream.read_until(until)
        stream.hang_up()
        await asyncio.sleep(0.1)
        shot = await _settled(store)
        _assert_consistent(shot)
        assert slow.finished == 0, "the answer ran on after the client left"
        threads = list(shot.threads.get(USER, {}))
        if until is None:
            # The request may not even have reached the handler; if it did, the thread holds
            # at least its message.
            assert len(threads) <= 1, threads
            if not threads:
                return
        else:
            assert len(threads) == 1
        (thread_id,) = threads
        kinds = [t for _, t in shot.items[thread_id]]
        assert (kinds[0] == "user_message" and "sdk_hidden_context" in kinds[1:]) or kinds == [
            "user_message"
        ], kinds
        if stage == "mid-deltas":
            # The partial answer is kept with what was streamed (at least what the client saw).
            assert kinds == ["user_message", "assistant_message", "sdk_hidden_context"], kinds
            assistant = await store.load_item(USER, thread_id, shot.items[thread_id][1][0])
            text = "".join(p.text for p in assistant.content)
            assert text.startswith("".join(CHUNKS[: _deltas(stream.events)])), text
            assert len(text) < len("".join(CHUNKS))
        if stage == "after the echo":
            assert "assistant_message" not in kinds or kinds[1] == "assistant_message", kinds
        events = await _next_works(base, thread_id)
        assert slow.finished == 1
        kinds_after = [t for _, t in (await snapshot(store)).items[thread_id]]
        assert kinds_after[: len(kinds)] == kinds and kinds_after[len(kinds) :] == [
            "user_message",
            "assistant_message",
        ], kinds_after
        assert events


class ToolProbe:
    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.finished = False
        self.cancelled = False


async def test_hang_up_while_a_tool_runs(rel_make_app: MakeApp) -> None:
    probe = ToolProbe()

    @function_tool
    async def slow_lookup(query: str) -> str:
        """Look something up, slowly.

        Args:
            query: What to look up.
        """
        probe.started.set()
        try:
            await asyncio.sleep(2)
        except asyncio.CancelledError:
            probe.cancelled = True
            raise
        probe.finished = True
        return "found it"

    model = ScriptedModel(
        [
            {"tool_call": {"name": "slow_lookup", "arguments": {"query": "x"}}},
            {"text": ["never ", "said"]},
        ]
    )

    def agent(turn: Turn) -> Agent[TaskContext]:
        return Agent[TaskContext](name="A", instructions="Be brief.", tools=[slow_lookup])

    app = await rel_make_app(
        responder=AgentResponder(
            Settings(offline=True),
            model=model,
            agent=agent,
            progress={"slow_lookup": "Looking it up…"},
        )
    )
    store = store_of(app)
    async with serve(app) as base:
        stream = await RawStream.open(base, USER, _create_body("look it up"))
        await stream.read_head()
        await stream.read_until(lambda ev: any(e["type"] == "progress_update" for e in ev))
        await bounded(probe.started.wait(), "the tool to start")
        stream.hang_up()
        shot = await _settled(store)
        _assert_consistent(shot)
        (thread_id,) = shot.threads[USER]
        kinds = [t for _, t in shot.items[thread_id]]
        assert kinds == ["user_message", "sdk_hidden_context"], kinds
        await asyncio.sleep(0.3)
        assert not probe.finished, "the tool ran on after the client left"
        assert len(model.calls) == 1, "the model was called again after the client left"
        model.load([{"text": ["fine"]}])
        await _next_works(base, thread_id)
