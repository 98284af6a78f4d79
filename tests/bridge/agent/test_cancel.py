"""Stopping: when the client goes away the run stops at once (no more tools, no more requests)."""

from __future__ import annotations

import asyncio

import pytest

from bridge.agent import AgentResponder
from bridge.settings import Settings
from bridge.todo.task_store import TaskStore
from bridge.todo.tools import make_responder
from db import Store

from . import fakeprovider as fp
from .conftest import USER, MakeTurn


def _slow_text_then_tool(provider: fp.FakeProvider) -> None:
    words = [f"word{n} " for n in range(20)]
    provider.replies += [
        provider.sse(
            fp.responses_events(fp.text(words), fp.call("add_task", {"title": "buy milk"})),
            delay=0.02,
        ),
        provider.sse(fp.responses_events(fp.text(["Added."]))),
    ]


@pytest.fixture
def provider() -> fp.FakeProvider:
    return fp.FakeProvider()


@pytest.fixture
def responder(provider: fp.FakeProvider) -> AgentResponder:
    settings = Settings(openai_api_key="sk-test", openai_base_url="http://provider.test/v1")
    return make_responder(settings, client=provider.client())


async def _assert_run_stopped(provider: fp.FakeProvider, store: Store) -> None:
    sent = provider.chunks_sent
    await asyncio.sleep(0.3)  # long enough for the whole reply, the tool and a second request
    assert len(provider.requests) == 1
    assert provider.chunks_sent <= sent + 1  # at most the chunk already in flight
    assert provider.closed_streams == 1
    assert await TaskStore.of(store).list_tasks(USER) == []


async def test_cancelling_the_consumer_stops_the_run(
    responder: AgentResponder, provider: fp.FakeProvider, make_turn: MakeTurn, store: Store
) -> None:
    _slow_text_then_tool(provider)
    turn = await make_turn("add buy milk")
    seen = []
    first_delta = asyncio.Event()

    async def consume() -> None:
        async for event in responder.respond(turn):
            seen.append(event)
            if event.type == "thread.item.updated" and event.update.type.endswith("text_delta"):
                first_delta.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_delta.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert seen[0].type == "thread.item.added"
    await _assert_run_stopped(provider, store)


async def test_closing_the_generator_stops_the_run(
    responder: AgentResponder, provider: fp.FakeProvider, make_turn: MakeTurn, store: Store
) -> None:
    _slow_text_then_tool(provider)
    stream = responder.respond(await make_turn("add buy milk"))

    async for event in stream:
        if event.type == "thread.item.updated" and event.update.type.endswith("text_delta"):
            break
    await stream.aclose()  # type: ignore[attr-defined]

    await _assert_run_stopped(provider, store)


async def test_offline_run_stops_too(make_turn: MakeTurn, store: Store) -> None:
    from bridge.todo.offline_model import OfflineModel

    responder = make_responder(Settings(offline=True), model=OfflineModel(delay=0.02))
    turn = await make_turn("hello")
    stream = responder.respond(turn)

    deltas = 0
    async for event in stream:
        if event.type == "thread.item.updated" and event.update.type.endswith("text_delta"):
            deltas += 1
            break
    await stream.aclose()  # type: ignore[attr-defined]

    assert deltas == 1
