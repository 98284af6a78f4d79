"""Bug (issue 15, low): `items.feedback` with ~70,000 ids answered 503 on PostgreSQL.

The ids became one statement's parameters, past PostgreSQL's limit of 65,535, and the error
was mapped to "database is not answering", which the widget retries. Fix: the list is capped
(`MAX_FEEDBACK_ITEMS`) and a longer one is a 400 that stores nothing.
"""

from __future__ import annotations

import httpx

from bridge.handlers.items import MAX_FEEDBACK_ITEMS

from ..wire import post, stream, user_input


async def test_feedback_with_70000_ids_is_a_400(proto_client: httpx.AsyncClient) -> None:
    events = await stream(proto_client, "threads.create", input=user_input("hi"))
    thread_id = events[0]["thread"]["id"]
    item_id = events[1]["item"]["id"]
    ids = [item_id] + [f"msg_{n}" for n in range(70_000)]
    response = await post(
        proto_client, "items.feedback", thread_id=thread_id, item_ids=ids, kind="positive"
    )
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"]["code"] == "invalid_params"
    store = proto_client._transport.app.state.services.store  # type: ignore[attr-defined]
    assert await store.load_feedback("ann", thread_id) == {}
    ok = await post(
        proto_client,
        "items.feedback",
        thread_id=thread_id,
        item_ids=[item_id] * MAX_FEEDBACK_ITEMS,
        kind="positive",
    )
    assert ok.status_code == 200, ok.text[:300]
