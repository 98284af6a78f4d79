"""Stopping a turn has a hook the app can override: what is stored after the user stopped
(the bridge's default, a hidden "the user stopped" note, is covered by test_disconnect.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from bridge import AgentResponder, EchoModel, HiddenContextItem, Settings, ThreadItem, utcnow
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
