"""Graceful shutdown: an answer still running after the grace period ends with an error
event that allows a retry; what it streamed is kept, nothing is half-written."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sse_starlette.sse import AppStatus

from db import Store

from ..fakes import ScriptedResponder, text_step
from ..wire import parse_sse, post, user_input


@pytest.fixture
def exit_flag() -> Iterator[None]:
    """sse-starlette's process-wide shutdown flag, always reset afterwards."""
    AppStatus.should_exit = False
    yield
    AppStatus.should_exit = False


async def test_a_turn_running_at_shutdown_ends_with_a_retryable_error(
    make_app: Callable[..., Any],
    exit_flag: None,
    caplog: pytest.LogCaptureFixture,
    connect: Callable[..., httpx.AsyncClient],
) -> None:
    caplog.set_level(logging.INFO, logger="bridge.request")
    slow = text_step(*[f"w{i} " for i in range(200)], delay=0.05)
    app = await make_app(responder=ScriptedResponder(steps=[slow]), shutdown_grace_seconds=0.3)
    async with connect(app) as client:
        request = asyncio.create_task(post(client, "threads.create", input=user_input("long one")))
        await asyncio.sleep(0.5)
        assert not request.done()
        AppStatus.should_exit = True
        response = await asyncio.wait_for(request, timeout=10)
        AppStatus.should_exit = False

        events = parse_sse(response.text)
        assert events[-1] == {
            "type": "error",
            "code": "custom",  # a protocol code: the widget shows the message
            "message": "The server is restarting, so this answer was stopped. Please try again.",
            "allow_retry": True,
        }
        [line] = [r.fields for r in caplog.records if r.name == "bridge.request"]  # type: ignore[attr-defined]
        assert line["reason"] == "server_shutdown" and line["outcome"] == "error"
        streamed = "".join(
            e["update"]["delta"]
            for e in events
            if e["type"] == "thread.item.updated" and e["update"]["type"].endswith("text_delta")
        )
        assert 0 < len(streamed) < len("".join(f"w{i} " for i in range(200)))

        thread_id = events[0]["thread"]["id"]
        store: Store = app.state.services.store
        stored = await store.load_items("local", thread_id)
        assert [item.type for item in stored] == [
            "user_message",
            "assistant_message",
            "sdk_hidden_context",
        ]
        assert stored[1].content[0].text == streamed  # type: ignore[union-attr]
        follow = await post(
            client, "threads.add_user_message", thread_id=thread_id, input=user_input("again")
        )
        assert follow.status_code == 200  # the lease was released
