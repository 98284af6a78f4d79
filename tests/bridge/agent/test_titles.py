"""Thread titles written by the model: a separate call beside the first answer (issue 10)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bridge.agent import AgentResponder
from bridge.agent.titles import TITLE_INSTRUCTIONS
from bridge.settings import Settings

from ...conftest import Connect
from ...live import serve
from ...wire import post, stream, user_input
from ..support import EventReader
from . import fakeprovider as fp

MakeApp = Callable[..., Any]
FIRST = "Can you help me plan the groceries for this week please"


def _settings() -> Settings:
    return Settings(
        openai_api_key="sk-test", openai_base_url="http://provider.test/v1", model="gpt-test"
    )


async def _app(make_app: MakeApp, provider: fp.FakeProvider) -> Any:
    return await make_app(responder=AgentResponder(_settings(), client=provider.client()))


async def test_the_model_titles_a_new_thread_after_its_first_answer(
    connect: Connect, make_app: MakeApp
) -> None:
    provider = fp.FakeProvider()
    provider.replies.append(provider.sse(fp.responses_events(fp.text(["Sure, ", "let's."]))))
    provider.titles.append(fp.title('"Weekly grocery plan."'))
    async with connect(await _app(make_app, provider)) as client:
        events = await stream(client, "threads.create", input=user_input(FIRST))
        thread_id = events[0]["thread"]["id"]
        assert [e["type"] for e in events[-2:]] == ["thread.item.done", "thread.updated"]
        assert events[-1]["thread"]["title"] == "Weekly grocery plan"  # quotes, period dropped
        stored = (await post(client, "threads.get_by_id", thread_id=thread_id)).json()
        assert stored["title"] == "Weekly grocery plan"

        # One separate call, on the configured model, with the message and no tools.
        [asked] = provider.title_requests
        assert asked["model"] == "gpt-test"
        assert asked["instructions"] == TITLE_INSTRUCTIONS
        assert FIRST in json.dumps(asked["input"])
        assert not asked.get("tools") and not asked.get("stream")

        # Titled once: the next answer makes no title call and sends no thread.updated.
        provider.replies.append(provider.sse(fp.responses_events(fp.text(["Ok."]))))
        more = await stream(
            client, "threads.add_user_message", thread_id=thread_id, input=user_input("milk")
        )
        assert "thread.updated" not in [e["type"] for e in more]
        assert len(provider.title_requests) == 1


async def test_a_failed_title_call_falls_back_to_the_first_words(
    connect: Connect, make_app: MakeApp
) -> None:
    provider = fp.FakeProvider()  # no title scripted: the call gets a 500
    provider.replies.append(provider.sse(fp.responses_events(fp.text(["Sure."]))))
    async with connect(await _app(make_app, provider)) as client:
        events = await stream(client, "threads.create", input=user_input(FIRST))
    assert len(provider.title_requests) == 1
    assert events[-1]["type"] == "thread.updated"
    assert events[-1]["thread"]["title"] == "Can you help me plan the groceries for this…"


async def test_the_offline_model_keeps_the_first_words_title(
    connect: Connect, make_app: MakeApp
) -> None:
    app = await make_app(responder=AgentResponder(Settings(offline=True)))
    async with connect(app) as client:
        events = await stream(client, "threads.create", input=user_input("add buy milk"))
    assert events[-1]["type"] == "thread.updated"
    assert events[-1]["thread"]["title"] == "add buy milk"


async def test_the_title_call_never_delays_the_answer_and_a_rename_wins(
    make_app: MakeApp,
) -> None:
    """The title call is held back until the answer is fully on the client: the answer
    arrives anyway. A rename made meanwhile wins over the model's title."""
    provider = fp.FakeProvider()
    gate = asyncio.Event()
    provider.replies.append(provider.sse(fp.responses_events(fp.text(["Sure."]))))
    provider.titles.append(fp.title("Grocery plan", gate=gate))
    app = await _app(make_app, provider)
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=20) as client:
        body = {"type": "threads.create", "params": {"input": user_input(FIRST)}}
        async with client.stream("POST", "/chatkit", json=body) as response:
            reader = EventReader(response)
            events = await reader.until(
                lambda seen: (
                    seen[-1]["type"] == "thread.item.done"
                    and seen[-1]["item"]["type"] == "assistant_message"
                )
            )
            assert events[-1]["item"]["content"][0]["text"] == "Sure."
            assert not gate.is_set() and len(provider.title_requests) == 1
            thread_id = events[0]["thread"]["id"]
            renamed = await post(client, "threads.update", thread_id=thread_id, title="Mine")
            assert renamed.status_code == 200
            gate.set()
            rest = await reader.rest()
        assert "thread.updated" not in [e["type"] for e in rest]
        stored = (await post(client, "threads.get_by_id", thread_id=thread_id)).json()
        assert stored["title"] == "Mine"


@pytest.mark.parametrize("model_api", ["responses", "chat_completions"])
async def test_the_title_call_uses_the_configured_api(
    connect: Connect, make_app: MakeApp, model_api: str
) -> None:
    provider = fp.FakeProvider()
    settings = _settings().__class__(
        openai_api_key="sk-test",
        openai_base_url="http://provider.test/v1",
        model="gpt-test",
        model_api=model_api,  # type: ignore[arg-type]
    )
    if model_api == "responses":
        provider.replies.append(provider.sse(fp.responses_events(fp.text(["Sure."]))))
    else:
        provider.replies.append(provider.sse(fp.chat_text(["Sure."]), done=True))
    app = await make_app(responder=AgentResponder(settings, client=provider.client()))
    async with connect(app) as client:
        await stream(client, "threads.create", input=user_input(FIRST))
    [asked] = provider.title_requests
    assert fp.TITLE_MARK in json.dumps(asked) and not asked.get("tools")
    assert provider.paths == [
        "/v1/responses" if model_api == "responses" else "/v1/chat/completions"
    ]
