"""The stream lease: one stream per thread, fenced writes, and a short window after a crash.

Bug (issue #15, "no fencing"): a worker paused past its lease kept streaming when resumed,
after another stream took the thread, and both answers were stored interleaved.
Fix: every write of a turn is fenced by the lease token (bridge/lease.py); a stream whose
thread was taken over stops with an in-band error and writes nothing more.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from starlette.applications import Starlette

from bridge.settings import Settings
from db import Store
from db.models import ItemRow, ThreadRow

from ..fakes import ScriptedResponder
from ..wire import parse_sse, user_input
from .support import USER_HEADER, EventReader, Recorder, chatkit_body, serve, slow_step

CHUNKS = [f"word{n} " for n in range(30)]


def _deltas(events: list[dict[str, Any]]) -> list[str]:
    return [
        e["update"]["delta"]
        for e in events
        if e["type"] == "thread.item.updated" and e["update"]["type"].endswith("text_delta")
    ]


async def _steal(store: Store, thread_id: str) -> None:
    """What another worker does once the lease has expired: it takes the thread."""
    async with store.engine.begin() as conn:
        await conn.execute(
            update(ThreadRow)
            .where(ThreadRow.id == thread_id)
            .values(busy_token="lease_other", busy_until=datetime.now(UTC) + timedelta(minutes=1))
        )


async def _rows(store: Store, thread_id: str) -> list[tuple[str, str]]:
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(ItemRow.id, ItemRow.type)
            .where(ItemRow.thread_id == thread_id)
            .order_by(ItemRow.seq)
        )
        return [(row.id, row.type) for row in rows]


async def test_no_fencing_a_stream_that_lost_its_lease_stops_and_writes_nothing(
    proto_make_app: Any, proto_responder: ScriptedResponder
) -> None:
    app: Starlette = await proto_make_app(lease_seconds=0.6)
    store: Store = app.state.services.store
    async with (
        serve(app) as base_url,
        httpx.AsyncClient(base_url=base_url, headers={USER_HEADER: "ann"}, timeout=10) as http,
    ):
        first = await http.post(
            "/chatkit", json=chatkit_body("threads.create", input=user_input("a"))
        )
        thread_id = parse_sse(first.text)[0]["thread"]["id"]
        before = await _rows(store, thread_id)
        recorder = Recorder()
        proto_responder.steps.append(slow_step(recorder, CHUNKS, 0.05))
        body = chatkit_body("threads.add_user_message", thread_id=thread_id, input=user_input("b"))
        async with http.stream("POST", "/chatkit", json=body) as response:
            reader = EventReader(response)
            await reader.until(lambda seen: len(_deltas(seen)) >= 3)
            await _steal(store, thread_id)
            stolen_at = len(reader.events)
            events = await reader.rest()
    after_steal = events[stolen_at:]
    # It stops within a renewal or two (0.2 s each here), not after all 30 chunks...
    assert len(_deltas(after_steal)) < 10, _deltas(after_steal)
    assert events[-1]["type"] == "error", events[-1]
    assert events[-1]["allow_retry"] is False
    assert not [
        e
        for e in events
        if e["type"] == "thread.item.done" and e["item"]["type"] == "assistant_message"
    ]
    # ...and wrote nothing after the user message it stored before the takeover: no answer,
    # no kept partial text, no stop note; the other stream's lease is untouched.
    rows = await _rows(store, thread_id)
    assert rows[: len(before)] == before
    assert [kind for _, kind in rows[len(before) :]] == ["user_message"]
    async with store.engine.connect() as conn:
        token = (
            await conn.execute(select(ThreadRow.busy_token).where(ThreadRow.id == thread_id))
        ).scalar_one()
    assert token == "lease_other"


async def test_a_fenced_write_refuses_another_token(proto_bare_store: Store) -> None:
    from schemas import AssistantMessageContent, AssistantMessageItem, ThreadMetadata, utcnow

    store = proto_bare_store
    thread = ThreadMetadata(id="thr_fence", created_at=utcnow())
    await store.create_thread("ann", thread, lease=("lease_mine", 30))
    item = AssistantMessageItem(
        id="msg_1",
        thread_id=thread.id,
        created_at=utcnow(),
        content=[AssistantMessageContent(text="hi")],
    )
    assert await store.save_item_fenced("ann", item, "lease_mine") is True
    await _steal(store, thread.id)
    changed = item.model_copy(update={"content": [AssistantMessageContent(text="late")]})
    assert await store.save_item_fenced("ann", changed, "lease_mine") is False
    assert await store.delete_item_fenced("ann", thread.id, item.id, "lease_mine") is False
    assert await store.title_thread("ann", thread.id, "late title", "lease_mine") is False
    assert await store.renew_thread(thread.id, "lease_mine", 30) is False
    stored = await store.load_item("ann", thread.id, item.id)
    assert stored.content[0].text == "hi"  # type: ignore[union-attr]
    assert (await store.load_thread("ann", thread.id)).title is None


def test_the_default_lease_lets_a_crashed_workers_thread_go_within_20_seconds() -> None:
    """Bug (issue #15): after a worker was killed mid-stream the thread answered 409 for the
    whole lease, about 70 s. Fix: a 15 s lease renewed every 5 s (a live stream renews it
    three times per lease). tests/reliability/test_lease_workers.py kills a real worker."""
    settings = Settings.from_env()
    assert settings.lease_seconds < 20


async def test_many_streams_share_a_small_pool(proto_make_app: Any) -> None:
    """Issue #13: 100 concurrent streams through a pool of 10 connections all complete; a
    streaming turn holds a connection only while a statement runs."""
    responder = ScriptedResponder()
    recorders = [Recorder() for _ in range(100)]
    for recorder in recorders:
        responder.steps.append(slow_step(recorder, CHUNKS[:5], 0.05))
    app: Starlette = await proto_make_app(responder=responder, pool_size=10, pool_timeout=30)
    store: Store = app.state.services.store
    async with (
        serve(app) as base_url,
        httpx.AsyncClient(
            base_url=base_url,
            headers={USER_HEADER: "ann"},
            timeout=60,
            limits=httpx.Limits(max_connections=200),
        ) as http,
    ):

        async def turn(n: int) -> list[dict[str, Any]]:
            body = chatkit_body("threads.create", input=user_input(f"question {n}"))
            answer = await http.post("/chatkit", json=body)
            assert answer.status_code == 200, answer.text
            return parse_sse(answer.text)

        results = await asyncio.gather(*(turn(n) for n in range(100)))
    for events in results:
        assert [e["type"] for e in events if e["type"] == "error"] == []
        assert "".join(_deltas(events)) == "".join(CHUNKS[:5])
        thread_id = events[0]["thread"]["id"]
        assert [kind for _, kind in await _rows(store, thread_id)] == [
            "user_message",
            "assistant_message",
        ]
    if store.postgres:
        assert store.engine.pool.size() == 10  # type: ignore[attr-defined]
