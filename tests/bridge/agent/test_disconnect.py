"""The stop button on a real server: the widget aborts the request, uvicorn sees the socket
close, and the run stops at once (no more model requests, no tool runs). The partial answer
and a hidden "stopped" note are kept, and the next answer is told that the user stopped."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from bridge.auth import LOCAL_USER
from bridge.settings import Settings
from bridge.todo.task_store import TaskStore
from bridge.todo.todo_app import TodoApp
from bridge.todo.tools import make_responder
from bridge.turn import STOPPED_NOTE
from schemas import AssistantMessageItem, SDKHiddenContextItem

from ...wire import stream, user_input
from . import fakeprovider as fp
from .live import HEADERS, body, events_until, serve

WORDS = [f"word{n} " for n in range(40)]


async def test_client_disconnect_stops_the_run_and_keeps_the_partial_answer(
    make_app: Callable[..., Any],
) -> None:
    provider = fp.FakeProvider()
    provider.replies += [
        # Text, then a tool call in the same response: the tool must never run.
        provider.sse(
            fp.responses_events(fp.text(WORDS), fp.call("add_task", {"title": "buy milk"})),
            delay=0.03,
        ),
        provider.sse(fp.responses_events(fp.text(["Added."]))),
    ]
    settings = Settings(openai_api_key="sk-test", openai_base_url="http://provider.test/v1")
    app = await make_app(
        app=TodoApp(), responder=make_responder(settings, client=provider.client())
    )
    store = app.state.services.store

    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        request = body("threads.create", input=user_input("add buy milk"))
        async with http.stream("POST", "/chatkit", json=request, headers=HEADERS) as response:
            assert response.status_code == 200
            seen = await events_until(response, count=3)
        # Leaving the block closed the connection, as the widget's abort does.
        chunks_at_close = provider.chunks_sent
        thread_id = seen[0]["thread"]["id"]

        await asyncio.sleep(0.8)  # the rest of the reply, the tool and a second request
        assert len(provider.requests) == 1
        assert provider.closed_streams == 1
        assert provider.chunks_sent <= chunks_at_close + 2  # only what was already in flight
        assert provider.chunks_sent < len(fp.responses_events(fp.text(WORDS)))
        assert await TaskStore.of(store).list_tasks(LOCAL_USER) == []

        items = await store.load_items(LOCAL_USER, thread_id)
        kinds = [item.type for item in items]
        assert kinds == ["user_message", "assistant_message", "sdk_hidden_context"]
        partial = items[1]
        assert isinstance(partial, AssistantMessageItem)
        text = partial.content[0].text
        assert text.startswith("word0 word1 word2 ") and text != "".join(WORDS)
        assert isinstance(items[2], SDKHiddenContextItem) and items[2].content == STOPPED_NOTE

        # The next message: the model hears that the user stopped, before the new request.
        assert len(provider.replies) == 1  # "Added." was never asked for
        provider.replies[:] = [provider.sse(fp.responses_events(fp.text(["Sure."])))]
        events = await stream(
            http, "threads.add_user_message", thread_id=thread_id, input=user_input("hello")
        )
        done = [e["item"] for e in events if e["type"] == "thread.item.done"]
        assert done[-1]["type"] == "assistant_message"
        assert done[-1]["content"][0]["text"] == "Sure."
        model_input = provider.requests[1]["input"]
        notes = [n for n, i in enumerate(model_input) if STOPPED_NOTE in _text(i.get("content"))]
        assert len(notes) == 1
        assert _text(model_input[-1]["content"]) == "hello"
        assert notes[0] < len(model_input) - 1
        assert any(
            i.get("role") == "assistant" and _text(i.get("content")).startswith("word0")
            for i in model_input
        )


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""
