"""The suite-wide frame check (tests/frames.py) catches off-protocol answers."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from .frames import FRAMES, FrameCheck


@pytest.fixture
def own_failures() -> Iterator[list[str]]:
    """The failures this test provokes, taken out of the session's list afterwards."""
    before = len(FRAMES.failures)
    mine: list[str] = []
    yield mine
    mine.extend(FRAMES.failures[before:])
    del FRAMES.failures[before:]


def _app(content_type: bytes, chunks: list[bytes]) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", content_type)],
            }
        )
        for n, chunk in enumerate(chunks):
            await send(
                {"type": "http.response.body", "body": chunk, "more_body": n < len(chunks) - 1}
            )

    return app


Post = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
def post_to(connect: Callable[..., httpx.AsyncClient]) -> Post:
    """`await post_to(app, op)`: POST a ChatKit op to `app` wrapped in the frame check."""

    async def post(app: Any, op: str) -> httpx.Response:
        client = connect(FrameCheck(app, dump=False))
        return await client.post("/chatkit", json={"type": op, "params": {}})

    return post


def _frame(event: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(event).encode() + b"\n\n"


OPTIONS = {"type": "stream_options", "stream_options": {"allow_cancel": True}}


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        pytest.param(
            {"type": "error", "code": "model_auth", "message": "x", "allow_retry": False},
            "literal_error",
            id="error-code-not-in-the-protocol",
        ),
        pytest.param({**OPTIONS, "debug": 1}, "extra_forbidden", id="unknown-field"),
        pytest.param(
            {"type": "progress_update", "icon": "rocket", "text": "x"},
            "icon",
            id="icon-not-in-the-protocol",
        ),
        pytest.param(
            {"type": "error", "code": "custom", "message": None, "allow_retry": False},
            "does not give back",
            id="null-sent-for-absent",
        ),
    ],
)
async def test_an_off_protocol_event_is_caught(
    own_failures: list[str], post_to: Post, event: dict[str, Any], problem: str
) -> None:
    events_before = FRAMES.events
    # The bad frame split across two body chunks: frames are reassembled before checking.
    raw = _frame(OPTIONS) + _frame(event)
    response = await post_to(_app(b"text/event-stream", [raw[:30], raw[30:]]), "threads.create")
    assert response.content == raw  # passed through untouched
    assert FRAMES.events == events_before + 2
    assert len(FRAMES.failures) >= 1 and problem in FRAMES.failures[-1]


async def test_a_thread_without_required_keys_is_caught(
    own_failures: list[str], post_to: Post
) -> None:
    thread = {"id": "thr_1", "created_at": "2026-01-01T00:00:00Z", "status": {"type": "active"}}
    await post_to(_app(b"application/json", [json.dumps(thread).encode()]), "threads.get_by_id")
    assert "does not give back" in FRAMES.failures[-1]  # `metadata` and `items` are missing


async def test_a_valid_answer_passes(own_failures: list[str], post_to: Post) -> None:
    before = len(FRAMES.failures)
    await post_to(_app(b"text/event-stream", [_frame(OPTIONS)]), "threads.create")
    await post_to(_app(b"application/json", [b"{}"]), "items.feedback")
    assert len(FRAMES.failures) == before
