"""Live streams on a real uvicorn server on loopback: stop (disconnect) and the busy lease."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from db import Store
from db.models import ThreadRow

from ..fakes import ScriptedResponder
from ..wire import parse_sse, user_input
from .support import USER_HEADER, EventReader, Recorder, chatkit_body, serve, slow_step, texts

CHUNKS = [f"word{n} " for n in range(40)]
DELAY = 0.05  # 40 chunks: two seconds if nobody stops it


@pytest.fixture
async def proto_live(
    proto_app: Starlette,
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `proto_app` served by uvicorn on a free 127.0.0.1 port."""
    async with (
        serve(proto_app) as base_url,
        httpx.AsyncClient(base_url=base_url, headers={USER_HEADER: "ann"}, timeout=10) as http,
    ):
        yield http


async def _busy_token(store: Store, thread_id: str) -> str | None:
    async with store.engine.connect() as conn:
        token: str | None = (
            await conn.execute(select(ThreadRow.busy_token).where(ThreadRow.id == thread_id))
        ).scalar_one()
    return token


async def _eventually(check: Callable[[], Awaitable[bool]], seconds: float = 5.0) -> bool:
    for _ in range(int(seconds / 0.02)):
        if await check():
            return True
        await asyncio.sleep(0.02)
    return False


def _deltas(events: list[dict[str, Any]]) -> list[str]:
    return [
        e["update"]["delta"]
        for e in events
        if e["type"] == "thread.item.updated" and e["update"]["type"].endswith("text_delta")
    ]


async def test_disconnect_mid_stream_stops_the_answer_and_keeps_the_partial_text(
    proto_live: httpx.AsyncClient, proto_responder: ScriptedResponder, proto_store: Store
) -> None:
    recorder = Recorder()
    proto_responder.steps.append(slow_step(recorder, CHUNKS, DELAY))
    body = chatkit_body("threads.create", input=user_input("tell me a long story"))
    async with proto_live.stream("POST", "/chatkit", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = await EventReader(response).until(lambda seen: len(_deltas(seen)) >= 3)
    # Leaving the block closed the connection: the widget's stop button does just that.
    thread_id = events[0]["thread"]["id"]
    received = "".join(_deltas(events))
    assert received == "word0 word1 word2 "

    async def stopped() -> bool:
        return recorder.cancelled and await _busy_token(proto_store, thread_id) is None

    assert await _eventually(stopped), "the answer was not stopped, or the lease not released"
    assert recorder.finished is False
    assert 3 <= len(recorder.deltas) < len(CHUNKS)

    stored = await proto_store.load_items("ann", thread_id)
    assert [i.type for i in stored] == ["user_message", "assistant_message", "sdk_hidden_context"]
    partial = stored[1]
    assert partial.id == events[3]["item"]["id"]  # the item the client saw being added
    assert texts([partial.model_dump()]) == ["".join(recorder.deltas)]
    assert texts([partial.model_dump()])[0].startswith(received)
    note = stored[2]
    assert "stopped" in note.model_dump()["content"]

    # The lease is free: the next message is answered at once, and sees the note.
    follow = await proto_live.post(
        "/chatkit",
        json=chatkit_body("threads.add_user_message", thread_id=thread_id, input=user_input("hi")),
    )
    assert follow.status_code == 200, follow.text
    answered = [e for e in parse_sse(follow.text) if e["type"] == "thread.item.done"]
    assert texts([answered[-1]["item"]]) == ["You said: hi"]
    history = await proto_responder.turns[-1].history()
    assert "sdk_hidden_context" in [i.type for i in history]

    listed = (
        await proto_live.post(
            "/chatkit", json=chatkit_body("items.list", thread_id=thread_id, order="asc")
        )
    ).json()
    assert [i["type"] for i in listed["data"]] == [
        "user_message",
        "assistant_message",
        "user_message",
        "assistant_message",
    ]
    assert "stopped" not in str(listed)


async def test_disconnect_before_any_text_keeps_no_empty_message(
    proto_live: httpx.AsyncClient, proto_responder: ScriptedResponder, proto_store: Store
) -> None:
    recorder = Recorder()
    proto_responder.steps.append(slow_step(recorder, CHUNKS, 0.5))
    body = chatkit_body("threads.create", input=user_input("slow start"))
    async with proto_live.stream("POST", "/chatkit", json=body) as response:
        events = await EventReader(response).until(
            lambda seen: seen[-1]["type"] == "stream_options"
        )
    thread_id = events[0]["thread"]["id"]

    async def stopped() -> bool:
        return recorder.cancelled and await _busy_token(proto_store, thread_id) is None

    assert await _eventually(stopped)
    assert recorder.deltas == []
    stored = await proto_store.load_items("ann", thread_id)
    assert [i.type for i in stored] == ["user_message", "sdk_hidden_context"]


async def test_second_stream_on_a_busy_thread_gets_409_before_streaming(
    proto_live: httpx.AsyncClient, proto_responder: ScriptedResponder, proto_store: Store
) -> None:
    first = await proto_live.post(
        "/chatkit", json=chatkit_body("threads.create", input=user_input("start"))
    )
    thread_id = parse_sse(first.text)[0]["thread"]["id"]
    recorder = Recorder()
    proto_responder.steps.append(slow_step(recorder, CHUNKS[:10], DELAY))
    body = chatkit_body("threads.add_user_message", thread_id=thread_id, input=user_input("long"))
    async with proto_live.stream("POST", "/chatkit", json=body) as response:
        reader = EventReader(response)
        events = await reader.until(lambda seen: len(_deltas(seen)) >= 1)
        before = len(await proto_store.load_items("ann", thread_id))

        for op, params in (
            ("threads.add_user_message", {"input": user_input("interrupt")}),
            ("threads.retry_after_item", {"item_id": events[0]["item"]["id"]}),
        ):
            second = await proto_live.post(
                "/chatkit", json=chatkit_body(op, thread_id=thread_id, **params)
            )
            assert second.status_code == 409, second.text
            assert second.headers["content-type"].startswith("application/json")
            assert second.json()["error"]["code"] == "thread_busy"
        assert len(await proto_store.load_items("ann", thread_id)) == before

        events = await reader.rest()  # the first stream finishes
    assert recorder.finished is True
    assert "".join(_deltas(events)) == "".join(CHUNKS[:10])
    assert await _busy_token(proto_store, thread_id) is None

    third = await proto_live.post(
        "/chatkit",
        json=chatkit_body("threads.add_user_message", thread_id=thread_id, input=user_input("now")),
    )
    assert third.status_code == 200
    # Reads are never blocked by a busy thread.
    assert texts(
        (
            await proto_live.post(
                "/chatkit",
                json=chatkit_body("items.list", thread_id=thread_id, order="asc", limit=9999),
            )
        ).json()["data"]
    ) == ["start", "You said: start", "long", "".join(CHUNKS[:10]), "now", "You said: now"]


async def test_events_arrive_while_the_answer_is_still_being_written(
    proto_live: httpx.AsyncClient, proto_responder: ScriptedResponder
) -> None:
    recorder = Recorder()
    proto_responder.steps.append(slow_step(recorder, CHUNKS[:6], 0.1))
    body = chatkit_body("threads.create", input=user_input("stream it"))
    async with proto_live.stream("POST", "/chatkit", json=body) as response:
        reader = EventReader(response)
        events = await reader.until(lambda seen: len(_deltas(seen)) >= 1)
        # The first delta reached us long before the answer was done (flushed, not buffered).
        assert recorder.finished is False
        assert len(recorder.deltas) < 6
        events = await reader.rest()
    assert recorder.finished is True
    assert events[-1]["type"] == "thread.updated"


async def test_stopped_first_answer_leaves_the_thread_untitled_like_the_reference(
    proto_live: httpx.AsyncClient, proto_responder: ScriptedResponder, proto_store: Store
) -> None:
    # tests/conformance/scenarios/cancel.json: the reference titles a thread after a finished
    # answer only, so after a stop the next message names the thread.
    recorder = Recorder()
    proto_responder.steps.append(slow_step(recorder, CHUNKS, DELAY))
    body = chatkit_body("threads.create", input=user_input("plan my trip to Norway"))
    async with proto_live.stream("POST", "/chatkit", json=body) as response:
        events = await EventReader(response).until(lambda seen: len(_deltas(seen)) >= 2)
    thread_id = events[0]["thread"]["id"]

    async def stopped() -> bool:
        return recorder.cancelled and await _busy_token(proto_store, thread_id) is None

    assert await _eventually(stopped)
    listed = (await proto_live.post("/chatkit", json=chatkit_body("threads.list"))).json()
    assert [(t["id"], t.get("title")) for t in listed["data"]] == [(thread_id, None)]
    follow = await proto_live.post(
        "/chatkit",
        json=chatkit_body(
            "threads.add_user_message", thread_id=thread_id, input=user_input("just Oslo")
        ),
    )
    updated = [e for e in parse_sse(follow.text) if e["type"] == "thread.updated"]
    assert [e["thread"]["title"] for e in updated] == ["just Oslo"]
    assert (await proto_store.load_thread("ann", thread_id)).title == "just Oslo"


async def test_a_stream_longer_than_the_lease_keeps_the_thread_busy(
    proto_make_app: Any, proto_responder: ScriptedResponder
) -> None:
    app = await proto_make_app(lease_seconds=0.3)
    async with (
        serve(app) as base_url,
        httpx.AsyncClient(base_url=base_url, headers={USER_HEADER: "ann"}, timeout=10) as http,
    ):
        first = await http.post(
            "/chatkit", json=chatkit_body("threads.create", input=user_input("a"))
        )
        thread_id = parse_sse(first.text)[0]["thread"]["id"]
        recorder = Recorder()
        proto_responder.steps.append(slow_step(recorder, CHUNKS[:12], 0.1))
        body = chatkit_body("threads.add_user_message", thread_id=thread_id, input=user_input("b"))
        async with http.stream("POST", "/chatkit", json=body) as response:
            reader = EventReader(response)
            await reader.until(lambda seen: len(_deltas(seen)) >= 8)  # past two lease lengths
            second = await http.post(
                "/chatkit",
                json=chatkit_body(
                    "threads.add_user_message", thread_id=thread_id, input=user_input("c")
                ),
            )
            assert second.status_code == 409
            events = await reader.rest()
        assert "".join(_deltas(events)) == "".join(CHUNKS[:12])


async def test_keepalive_pings_are_sse_comments(
    proto_make_app: Any, proto_responder: ScriptedResponder
) -> None:
    app = await proto_make_app(keepalive_seconds=0.05)
    recorder = Recorder()
    proto_responder.steps.append(slow_step(recorder, ["slow ", "answer"], 0.3))
    async with (
        serve(app) as base_url,
        httpx.AsyncClient(base_url=base_url, headers={USER_HEADER: "ann"}, timeout=10) as http,
    ):
        response = await http.post(
            "/chatkit", json=chatkit_body("threads.create", input=user_input("ping me"))
        )
    lines = [line for line in response.text.split("\n") if line]
    pings = [line for line in lines if line.startswith(":")]
    assert pings, "no keep-alive comment while the answer was idle"
    assert all(line.startswith(":") or line.startswith("data: {") for line in lines), lines
    assert "".join(_deltas(parse_sse(response.text))) == "slow answer"
