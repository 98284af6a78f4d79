"""A whole conversation over HTTP through the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx

from ..wire import post, stream, types, user_input


async def test_create_then_follow_up_keeps_one_thread(client: httpx.AsyncClient) -> None:
    events = await stream(client, "threads.create", input=user_input("hello"))
    assert types(events) == [
        "thread.created",
        "thread.item.done",
        "stream_options",
        "thread.item.added",
        "~added",
        "~text_delta",
        "~text_delta",
        "~done",
        "thread.item.done",
        "thread.updated",
    ]
    thread = events[0]["thread"]
    assert not thread["id"].startswith("client_")
    assert thread["items"] == {"data": [], "has_more": False}
    echo = events[1]["item"]
    assert echo["type"] == "user_message" and echo["attachments"] == []
    assert events[2]["stream_options"] == {"allow_cancel": True}
    assert events[-1]["thread"]["title"] == "hello"

    more = await stream(
        client, "threads.add_user_message", thread_id=thread["id"], input=user_input("again")
    )
    assert types(more)[:2] == ["thread.item.done", "stream_options"]
    assert "thread.updated" not in types(more)  # the title is set once

    listed = (await post(client, "threads.list", limit=9999, order="desc")).json()
    assert [t["id"] for t in listed["data"]] == [thread["id"]]
    full = (await post(client, "threads.get_by_id", thread_id=thread["id"])).json()
    texts = [item["content"][0]["text"] for item in full["items"]["data"]]
    assert texts == ["hello", "You said: hello", "again", "You said: again"]
