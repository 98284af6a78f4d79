"""Stopping a turn has a hook the app can override: what is stored after the user stopped
(the bridge's default, a hidden "the user stopped" note, is covered by test_disconnect.py),
and a widget streaming when the user stopped is kept as it was shown."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
from agents import Agent, RunContextWrapper, function_tool

from bridge import (
    AgentContext,
    AgentResponder,
    Call,
    Card,
    EchoModel,
    HiddenContextItem,
    Settings,
    Text,
    ThreadItem,
    Turn,
    utcnow,
)
from bridge.auth import LOCAL_USER
from schemas import AssistantMessageItem, ThreadMetadata

from ...wire import user_input
from .live import HEADERS, body, events_until, serve

LONG = " ".join(f"word{n}" for n in range(60))


class Remembering(AgentResponder[None]):
    """An app that keeps its own note after a stop."""

    async def stopped(self, thread: ThreadMetadata, kept: list[ThreadItem]) -> list[ThreadItem]:
        said = sum(
            len(part.text)
            for item in kept
            if isinstance(item, AssistantMessageItem)
            for part in item.content
        )
        return [
            HiddenContextItem(
                id="hid_app",
                thread_id=thread.id,
                created_at=utcnow(),
                content={"stopped_after_chars": said},
            )
        ]


async def _stop_midway(make_app: Callable[..., Any], responder: Any, expect: int) -> list[Any]:
    app = await make_app(responder=responder)
    store = app.state.services.store
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        request = body("threads.create", input=user_input("talk"))
        async with http.stream("POST", "/chatkit", json=request, headers=HEADERS) as response:
            seen = await events_until(response, count=5)
        thread_id = seen[0]["thread"]["id"]
        for _ in range(50):  # the pipeline stores what it keeps once it sees the close
            items = await store.load_items(LOCAL_USER, thread_id)
            if len(items) >= expect:
                await asyncio.sleep(0.1)  # and nothing more arrives
                return await store.load_items(LOCAL_USER, thread_id)
            await asyncio.sleep(0.05)
    return items


async def test_an_app_overrides_what_a_stop_keeps(make_app: Callable[..., Any]) -> None:
    responder = Remembering(Settings(offline=True), model=EchoModel([LONG], delay=0.02))

    items = await _stop_midway(make_app, responder, expect=3)

    assert [i.type for i in items] == ["user_message", "assistant_message", "hidden_context_item"]
    note = items[2]
    assert isinstance(note, HiddenContextItem) and note.id == "hid_app"
    partial = items[1]
    assert isinstance(partial, AssistantMessageItem)
    assert note.content == {"stopped_after_chars": len(partial.content[0].text)}
    assert 0 < note.content["stopped_after_chars"] < len(LONG)


async def test_the_hook_can_be_passed_instead_of_overridden(make_app: Callable[..., Any]) -> None:
    async def nothing(thread: ThreadMetadata, kept: list[ThreadItem]) -> list[ThreadItem]:
        return []

    responder = AgentResponder(
        Settings(offline=True), model=EchoModel([LONG], delay=0.02), on_stop=nothing
    )
    items = await _stop_midway(make_app, responder, expect=2)

    assert [i.type for i in items] == ["user_message", "assistant_message"]


@function_tool
async def slow_card(ctx: RunContextWrapper[AgentContext[None]]) -> str:
    """Streams a card's text slowly."""
    live = ctx.context.start_widget(Card([Text("", id="t", streaming=True)]))
    text = ""
    for n in range(100):
        await asyncio.sleep(0.02)
        text += f"w{n} "
        live.update(Card([Text(text, id="t", streaming=True)]))
    live.done()
    return "ok"


async def test_a_stop_keeps_a_widget_as_it_was_shown(make_app: Callable[..., Any]) -> None:
    def agent(turn: Turn) -> Agent[AgentContext[None]]:
        return Agent[AgentContext[None]](name="A", instructions="x", tools=[slow_card])

    model = EchoModel([Call("slow_card"), "never said"])
    app = await make_app(responder=AgentResponder(Settings(offline=True), agent=agent, model=model))
    store = app.state.services.store
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        request = body("threads.create", input=user_input("card"))
        shown = ""
        async with http.stream("POST", "/chatkit", json=request, headers=HEADERS) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    if event["type"] == "thread.created":
                        thread_id = event["thread"]["id"]
                    update = event.get("update") or {}
                    if update.get("type") == "widget.streaming_text.value_delta":
                        shown += update["delta"]
                        if shown.count("w") >= 5:
                            break
        for _ in range(50):
            items = await store.load_items(LOCAL_USER, thread_id)
            if len(items) >= 3:
                break
            await asyncio.sleep(0.05)

    assert [i.type for i in items] == ["user_message", "widget", "sdk_hidden_context"]
    kept = items[1].widget["children"][0]["value"]
    assert kept.startswith(shown) and kept.startswith("w0 w1 w2 w3 w4 ")
    assert not kept.startswith("w0 " + " ".join(f"w{n}" for n in range(1, 100)))
