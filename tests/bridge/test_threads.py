"""Threads over HTTP: a whole conversation, get_by_id, list paging, rename and delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from db import Store

from ..fakes import ScriptedResponder, text_step
from ..wire import post, stream, user_input
from .support import collect_pages, row_counts, texts


async def _create(client: httpx.AsyncClient, text: str) -> str:
    events = await stream(client, "threads.create", input=user_input(text))
    thread_id: str = events[0]["thread"]["id"]
    return thread_id


async def test_full_conversation(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder, proto_store: Store
) -> None:
    proto_responder.steps += [text_step("Paris."), text_step("About 2.1 million.")]
    thread_id = await _create(proto_client, "What is the capital of France?")
    await stream(
        proto_client,
        "threads.add_user_message",
        thread_id=thread_id,
        input=user_input("How many people live there?"),
    )

    full = (await post(proto_client, "threads.get_by_id", thread_id=thread_id)).json()
    assert full["id"] == thread_id
    assert full["title"] == "What is the capital of France?"
    assert full["status"] == {"type": "active"}
    assert full["items"]["has_more"] is False
    assert texts(full["items"]["data"]) == [
        "What is the capital of France?",
        "Paris.",
        "How many people live there?",
        "About 2.1 million.",
    ]
    assert [i["type"] for i in full["items"]["data"]] == [
        "user_message",
        "assistant_message",
        "user_message",
        "assistant_message",
    ]
    assert {i["thread_id"] for i in full["items"]["data"]} == {thread_id}

    listed = (await post(proto_client, "threads.list", limit=9999, order="desc")).json()
    assert listed["has_more"] is False
    assert [t["id"] for t in listed["data"]] == [thread_id]
    entry = listed["data"][0]
    assert entry["title"] == full["title"]
    assert entry["items"] == {"data": [], "has_more": False}
    assert entry["created_at"] == full["created_at"]

    # The turns reached the responder with the right input.
    said = [t.input.content[0].text for t in proto_responder.turns if t.input is not None]
    assert said == ["What is the capital of France?", "How many people live there?"]
    history = await proto_store.load_items("ann", thread_id)
    assert len(history) == 4


async def test_get_by_id_first_page_is_oldest_first_with_has_more(
    proto_make_app: Any, proto_connect: Any
) -> None:
    app = await proto_make_app(page_size=3, max_page_size=5)
    client = proto_connect(app)
    thread_id = await _create(client, "q0")
    for n in (1, 2):
        await stream(
            client, "threads.add_user_message", thread_id=thread_id, input=user_input(f"q{n}")
        )
    full = (await post(client, "threads.get_by_id", thread_id=thread_id)).json()
    assert texts(full["items"]["data"]) == ["q0", "You said: q0", "q1"]
    assert full["items"]["has_more"] is True
    assert full["items"]["after"] == full["items"]["data"][-1]["id"]
    rest = (
        await post(
            client,
            "items.list",
            thread_id=thread_id,
            limit=9999,
            order="asc",
            after=full["items"]["after"],
        )
    ).json()
    assert texts(rest["data"]) == ["You said: q1", "q2", "You said: q2"]
    assert rest["has_more"] is False


# ---- list paging ----------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["desc", "asc"])
async def test_threads_list_widget_loop_ends_and_sees_every_thread_once(
    proto_make_app: Any, proto_connect: Any, order: str
) -> None:
    app = await proto_make_app(page_size=3, max_page_size=5)
    client = proto_connect(app)
    created = [await _create(client, f"thread {n}") for n in range(12)]
    ids, pages = await collect_pages(client, "threads.list", limit=9999, order=order)
    expected = list(reversed(created)) if order == "desc" else created
    assert ids == expected
    assert [len(p["data"]) for p in pages] == [5, 5, 2]
    assert [p["has_more"] for p in pages] == [True, True, False]
    for page in pages:
        for thread in page["data"]:
            assert thread["items"] == {"data": [], "has_more": False}
            assert not thread["id"].startswith("client_")


async def test_threads_list_defaults_to_newest_first_and_page_size(
    proto_make_app: Any, proto_connect: Any
) -> None:
    app = await proto_make_app(page_size=2, max_page_size=5)
    client = proto_connect(app)
    created = [await _create(client, f"t{n}") for n in range(3)]
    page = (await post(client, "threads.list")).json()
    assert [t["id"] for t in page["data"]] == [created[2], created[1]]
    assert page["has_more"] is True
    assert page["after"] == created[1]


async def test_threads_list_only_shows_the_users_own_threads(
    proto_app: Starlette, proto_connect: Any
) -> None:
    ann, bob = proto_connect(proto_app, "ann"), proto_connect(proto_app, "bob")
    mine = await _create(ann, "ann's")
    theirs = await _create(bob, "bob's")
    assert [t["id"] for t in (await post(ann, "threads.list")).json()["data"]] == [mine]
    assert [t["id"] for t in (await post(bob, "threads.list")).json()["data"]] == [theirs]
    # `after` naming another user's thread is as unknown as a made-up id.
    response = await post(ann, "threads.list", after=theirs)
    assert response.status_code == 404


# ---- rename ---------------------------------------------------------------------------------


async def test_rename_via_threads_update(proto_client: httpx.AsyncClient) -> None:
    thread_id = await _create(proto_client, "original words")
    response = await post(
        proto_client, "threads.update", thread_id=thread_id, title="  My   renamed\tthread "
    )
    assert response.status_code == 200
    assert response.json()["id"] == thread_id
    assert response.json()["title"] == "My renamed thread"
    full = (await post(proto_client, "threads.get_by_id", thread_id=thread_id)).json()
    assert full["title"] == "My renamed thread"
    listed = (await post(proto_client, "threads.list")).json()
    assert listed["data"][0]["title"] == "My renamed thread"

    # A later message does not put an automatic title back.
    events = await stream(
        proto_client, "threads.add_user_message", thread_id=thread_id, input=user_input("more")
    )
    assert "thread.updated" not in [e["type"] for e in events]
    full = (await post(proto_client, "threads.get_by_id", thread_id=thread_id)).json()
    assert full["title"] == "My renamed thread"


async def test_auto_title_is_cut_at_a_word_boundary(proto_client: httpx.AsyncClient) -> None:
    text = "Please explain how the quick brown fox jumps over the lazy dog every single morning"
    events = await stream(proto_client, "threads.create", input=user_input(text))
    title = events[-1]["thread"]["title"]
    assert events[-1]["type"] == "thread.updated"
    assert title.endswith("…")
    assert len(title) <= 49
    assert text.startswith(title[:-1])
    assert text[len(title) - 1] == " "  # cut before a space, not inside a word


# ---- delete ---------------------------------------------------------------------------------


@pytest.mark.parametrize("storage", ["disk", "database"])
async def test_delete_removes_items_attachments_files_and_feedback(
    proto_make_app: Any, proto_connect: Any, tmp_path: Path, storage: str
) -> None:
    app = await proto_make_app(attachment_storage=storage)
    client = proto_connect(app)
    store: Store = app.state.services.store
    upload = await client.post(
        "/chatkit/attachments", files={"file": ("notes.txt", b"some notes", "text/plain")}
    )
    assert upload.status_code == 200, upload.text
    attachment_id = upload.json()["id"]
    events = await stream(
        client, "threads.create", input=user_input("see attached", attachments=[attachment_id])
    )
    thread_id = events[0]["thread"]["id"]
    keep = await _create(client, "another thread stays")
    answer_id = events[-2]["item"]["id"]
    assert (
        await post(
            client, "items.feedback", thread_id=thread_id, item_ids=[answer_id], kind="positive"
        )
    ).status_code == 200
    assert await store.load_feedback("ann", thread_id) == {answer_id: "positive"}
    file_path = tmp_path / "data" / "attachments" / attachment_id
    assert file_path.exists() == (storage == "disk")

    response = await post(client, "threads.delete", thread_id=thread_id)
    assert response.status_code == 200
    assert response.json() == {}

    assert (await post(client, "threads.get_by_id", thread_id=thread_id)).status_code == 404
    assert (await post(client, "items.list", thread_id=thread_id)).status_code == 404
    assert [t["id"] for t in (await post(client, "threads.list")).json()["data"]] == [keep]
    assert await store.load_feedback("ann", thread_id) == {}
    assert await store.load_items("ann", thread_id) == []
    assert not file_path.exists()
    delete_again = await post(client, "attachments.delete", attachment_id=attachment_id)
    assert delete_again.status_code == 404
    counts = await row_counts(store)
    assert counts == {"threads": 1, "items": 2, "attachments": 0, "feedback": 0}
    assert (await post(client, "threads.delete", thread_id=thread_id)).status_code == 404
