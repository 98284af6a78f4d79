"""Items over HTTP: items.list paging the way the widget loops, and items.feedback."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from db import Store

from ..fakes import ScriptedResponder
from ..wire import post, stream, user_input
from .support import collect_pages, hidden_step, texts


async def _thread_with(client: httpx.AsyncClient, turns: int) -> tuple[str, list[str]]:
    """A thread of `turns` question/answer pairs; returns its id and item ids, oldest first."""
    events = await stream(client, "threads.create", input=user_input("q0"))
    thread_id = events[0]["thread"]["id"]
    ids = [e["item"]["id"] for e in events if e["type"] == "thread.item.done"]
    for n in range(1, turns):
        events = await stream(
            client, "threads.add_user_message", thread_id=thread_id, input=user_input(f"q{n}")
        )
        ids += [e["item"]["id"] for e in events if e["type"] == "thread.item.done"]
    return thread_id, ids


@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_items_list_widget_loop_ends_and_sees_every_item_once(
    proto_make_app: Any, proto_connect: Any, order: str
) -> None:
    client = proto_connect(await proto_make_app(page_size=3, max_page_size=5))
    thread_id, created = await _thread_with(client, 7)
    assert len(created) == 14
    ids, pages = await collect_pages(
        client, "items.list", thread_id=thread_id, limit=9999, order=order
    )
    assert ids == (created if order == "asc" else list(reversed(created)))
    assert [len(p["data"]) for p in pages] == [5, 5, 4]
    assert pages[-1]["has_more"] is False


async def test_items_list_defaults_to_newest_first_and_page_size(
    proto_make_app: Any, proto_connect: Any
) -> None:
    client = proto_connect(await proto_make_app(page_size=3, max_page_size=5))
    thread_id, created = await _thread_with(client, 3)
    page = (await post(client, "items.list", thread_id=thread_id)).json()
    assert [i["id"] for i in page["data"]] == list(reversed(created))[:3]
    assert page["has_more"] is True
    assert page["after"] == created[-3]


async def test_items_list_after_the_last_item_is_an_empty_last_page(
    proto_client: httpx.AsyncClient,
) -> None:
    thread_id, created = await _thread_with(proto_client, 1)
    page = (
        await post(proto_client, "items.list", thread_id=thread_id, order="asc", after=created[-1])
    ).json()
    assert page == {"data": [], "has_more": False}


async def test_items_list_after_an_item_of_another_thread_is_404(
    proto_client: httpx.AsyncClient,
) -> None:
    _, first_ids = await _thread_with(proto_client, 1)
    second, _ = await _thread_with(proto_client, 1)
    response = await post(proto_client, "items.list", thread_id=second, after=first_ids[0])
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "item_not_found"


async def test_items_list_of_another_users_thread_is_404(
    proto_app: Starlette, proto_connect: Any
) -> None:
    ann, bob = proto_connect(proto_app, "ann"), proto_connect(proto_app, "bob")
    thread_id, _ = await _thread_with(ann, 1)
    response = await post(bob, "items.list", thread_id=thread_id)
    assert response.status_code == 404


async def test_hidden_items_never_appear_while_paging(
    proto_make_app: Any, proto_connect: Any, proto_responder: ScriptedResponder
) -> None:
    client = proto_connect(await proto_make_app(page_size=2, max_page_size=2))
    proto_responder.steps += [hidden_step(f"a{n}", note=f"secret{n}") for n in range(3)]
    thread_id, created = await _thread_with(client, 3)
    for order in ("asc", "desc"):
        ids, pages = await collect_pages(client, "items.list", thread_id=thread_id, order=order)
        assert sorted(ids) == sorted(created)
        assert len(ids) == 6
        assert all("secret" not in str(page) for page in pages)


# ---- feedback -------------------------------------------------------------------------------


async def test_feedback_is_stored_and_the_latest_kind_wins(
    proto_client: httpx.AsyncClient, proto_store: Store
) -> None:
    thread_id, ids = await _thread_with(proto_client, 2)
    answers = [ids[1], ids[3]]
    response = await post(
        proto_client, "items.feedback", thread_id=thread_id, item_ids=answers, kind="positive"
    )
    assert response.status_code == 200
    assert response.json() == {}
    assert await proto_store.load_feedback("ann", thread_id) == {
        answers[0]: "positive",
        answers[1]: "positive",
    }
    await post(
        proto_client, "items.feedback", thread_id=thread_id, item_ids=[answers[1]], kind="negative"
    )
    assert await proto_store.load_feedback("ann", thread_id) == {
        answers[0]: "positive",
        answers[1]: "negative",
    }


async def test_feedback_on_unknown_or_hidden_items_is_404_and_stores_nothing(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder, proto_store: Store
) -> None:
    proto_responder.steps.append(hidden_step("visible"))
    thread_id, ids = await _thread_with(proto_client, 1)
    hidden = [i.id for i in await proto_store.load_items("ann", thread_id) if i.id not in ids]
    assert len(hidden) == 1
    for item_ids in ([ids[1], "msg_unknown"], hidden):
        response = await post(
            proto_client, "items.feedback", thread_id=thread_id, item_ids=item_ids, kind="positive"
        )
        assert response.status_code == 404
    assert await proto_store.load_feedback("ann", thread_id) == {}


async def test_feedback_on_another_users_thread_is_404(
    proto_app: Starlette, proto_connect: Any, proto_store: Store
) -> None:
    ann, bob = proto_connect(proto_app, "ann"), proto_connect(proto_app, "bob")
    thread_id, ids = await _thread_with(ann, 1)
    response = await post(bob, "items.feedback", thread_id=thread_id, item_ids=ids, kind="negative")
    assert response.status_code == 404
    assert await proto_store.load_feedback("ann", thread_id) == {}
    assert texts(
        (await post(ann, "items.list", thread_id=thread_id, order="asc")).json()["data"]
    ) == [
        "q0",
        "You said: q0",
    ]
