"""Each rule of widget-facts.md as a test, over HTTP through the real app, on both databases."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from db import Store
from schemas import REQUEST_TYPES

from ..fakes import ScriptedResponder, failing_step, text_step
from ..wire import parse_sse, post, stream, types, user_input
from .support import hidden_step, row_counts, texts

HEADERS = {"chatkit-frame-instance-id": "test-frame", "content-type": "application/json"}


async def _create(
    client: httpx.AsyncClient, text: str = "hello"
) -> tuple[str, list[dict[str, Any]]]:
    events = await stream(client, "threads.create", input=user_input(text))
    return events[0]["thread"]["id"], events


# ---- event order ----------------------------------------------------------------------------


async def test_create_streams_events_in_the_order_the_widget_needs(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder
) -> None:
    proto_responder.steps.append(text_step("Hi ", "there", "!"))
    events = await stream(proto_client, "threads.create", input=user_input("hello"))
    assert types(events) == [
        "thread.created",
        "thread.item.done",
        "stream_options",
        "thread.item.added",
        "~added",
        "~text_delta",
        "~text_delta",
        "~text_delta",
        "~done",
        "thread.item.done",
        "thread.updated",
    ]
    assistant_id = events[3]["item"]["id"]
    assert events[3]["item"]["type"] == "assistant_message"
    assert events[3]["item"]["content"] == []
    # Every update names the item that was added, and deltas follow their content part.
    assert {e["item_id"] for e in events[4:9]} == {assistant_id}
    assert [e["update"]["delta"] for e in events[5:8]] == ["Hi ", "there", "!"]
    assert events[9]["item"]["id"] == assistant_id
    assert events[9]["item"]["content"][0]["text"] == "Hi there!"


async def test_thread_created_comes_first_with_a_well_formed_empty_items_page(
    proto_client: httpx.AsyncClient,
) -> None:
    _, events = await _create(proto_client)
    first = events[0]
    assert first["type"] == "thread.created"
    thread = first["thread"]
    assert thread["items"] == {"data": [], "has_more": False}
    assert thread["status"] == {"type": "active"}
    assert isinstance(thread["id"], str) and thread["id"]
    assert "T" in thread["created_at"]  # ISO 8601
    assert "thread.created" not in types(events[1:])


async def test_user_message_is_echoed_as_item_done_with_empty_attachments(
    proto_client: httpx.AsyncClient,
) -> None:
    thread_id, events = await _create(proto_client, "echo me")
    echo = events[1]
    assert echo["type"] == "thread.item.done"
    item = echo["item"]
    assert item["type"] == "user_message"
    assert item["attachments"] == []
    assert item["thread_id"] == thread_id
    assert item["content"] == [{"type": "input_text", "text": "echo me"}]


async def test_stream_options_come_right_after_thread_created_and_echo(
    proto_client: httpx.AsyncClient,
) -> None:
    _, events = await _create(proto_client)
    kinds = types(events)
    assert kinds.index("stream_options") == 2
    assert kinds.index("thread.created") < kinds.index("stream_options")
    assert events[2]["stream_options"] == {"allow_cancel": True}


async def test_follow_up_streams_echo_then_stream_options_and_no_thread_created(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder
) -> None:
    thread_id, _ = await _create(proto_client, "first")
    proto_responder.steps.append(text_step("ok"))
    events = await stream(
        proto_client, "threads.add_user_message", thread_id=thread_id, input=user_input("second")
    )
    assert types(events) == [
        "thread.item.done",
        "stream_options",
        "thread.item.added",
        "~added",
        "~text_delta",
        "~done",
        "thread.item.done",
    ]
    assert events[0]["item"]["type"] == "user_message"
    assert events[0]["item"]["attachments"] == []
    assert texts([events[0]["item"]]) == ["second"]


# ---- ids ------------------------------------------------------------------------------------


async def test_thread_ids_never_start_with_client_and_are_distinct(
    proto_client: httpx.AsyncClient,
) -> None:
    ids = [(await _create(proto_client, f"m{n}"))[0] for n in range(6)]
    assert len(set(ids)) == 6
    assert not [i for i in ids if i.startswith("client_")]


async def test_item_ids_are_unique_within_a_thread(proto_client: httpx.AsyncClient) -> None:
    thread_id, events = await _create(proto_client, "one")
    for text in ("two", "three", "four"):
        events += await stream(
            proto_client, "threads.add_user_message", thread_id=thread_id, input=user_input(text)
        )
    done_ids = [e["item"]["id"] for e in events if e["type"] == "thread.item.done"]
    assert len(done_ids) == 8
    assert len(set(done_ids)) == 8
    listed = (await post(proto_client, "items.list", thread_id=thread_id, limit=9999)).json()
    assert sorted(i["id"] for i in listed["data"]) == sorted(done_ids)
    assert not [i for i in done_ids if i.startswith("client_")]


# ---- SSE transport --------------------------------------------------------------------------


async def test_sse_headers_forbid_buffering_and_transforms(proto_client: httpx.AsyncClient) -> None:
    response = await post(proto_client, "threads.create", input=user_input("hi"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    cache = {part.strip() for part in response.headers["cache-control"].split(",")}
    assert {"no-cache", "no-transform"} <= cache
    assert response.headers["x-accel-buffering"] == "no"
    assert "content-encoding" not in response.headers
    thread_id = parse_sse(response.text)[0]["thread"]["id"]

    follow = await post(
        proto_client, "threads.add_user_message", thread_id=thread_id, input=user_input("more")
    )
    assert follow.headers["content-type"].startswith("text/event-stream")
    assert follow.headers["x-accel-buffering"] == "no"


async def test_every_frame_is_plain_data_json(proto_client: httpx.AsyncClient) -> None:
    response = await post(proto_client, "threads.create", input=user_input("hi"))
    blocks = [b for b in response.text.split("\n\n") if b.strip()]
    for block in blocks:
        for line in block.split("\n"):
            assert line.startswith("data: ") or line.startswith(":"), line
            if line.startswith("data: "):
                assert isinstance(json.loads(line[6:]), dict)  # never `data: ping`


# ---- failures inside the stream --------------------------------------------------------------


async def test_turn_failing_mid_stream_ends_with_error_event_and_closes(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder, proto_store: Store
) -> None:
    proto_responder.steps.append(failing_step("the model is down", after=["Half an"]))
    response = await post(proto_client, "threads.create", input=user_input("hello"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    assert types(events) == [
        "thread.created",
        "thread.item.done",
        "stream_options",
        "thread.item.added",
        "~added",
        "~text_delta",
        "error",  # the last event: the body closed after it
    ]
    assert events[-1] == {
        "type": "error",
        "code": "custom",
        "message": "the model is down",
        "allow_retry": True,
    }

    # The stream ended and let go of the thread: the next message is answered.
    thread_id = events[0]["thread"]["id"]
    more = await stream(
        proto_client, "threads.add_user_message", thread_id=thread_id, input=user_input("again")
    )
    done = [e["item"] for e in more if e["type"] == "thread.item.done"]
    assert texts(done) == ["again", "You said: again"]
    stored = await proto_store.load_items("ann", thread_id)
    assert [i.type for i in stored] == ["user_message", "user_message", "assistant_message"]


async def test_unexpected_exception_in_responder_becomes_generic_error_event(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder
) -> None:
    async def broken(turn: Any) -> Any:
        raise RuntimeError("secret internal detail")
        yield  # pragma: no cover

    proto_responder.steps.append(broken)
    response = await post(proto_client, "threads.create", input=user_input("hello"))
    assert response.status_code == 200
    events = parse_sse(response.text)
    assert events[-1]["type"] == "error"
    assert events[-1]["code"] == "stream.error"
    assert events[-1]["allow_retry"] is True
    assert [e["type"] for e in events].count("error") == 1
    assert "secret internal detail" not in response.text


# ---- the busy lease -------------------------------------------------------------------------


async def test_second_stream_on_busy_thread_gets_409_before_streaming(
    proto_client: httpx.AsyncClient, proto_store: Store
) -> None:
    thread_id, _ = await _create(proto_client)
    before = await row_counts(proto_store)
    assert await proto_store.acquire_thread("ann", thread_id, "lease_other_stream", 60)
    response = await post(
        proto_client, "threads.add_user_message", thread_id=thread_id, input=user_input("busy?")
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "thread_busy"
    assert thread_id in error["message"]
    assert await row_counts(proto_store) == before  # the message was not stored

    await proto_store.release_thread(thread_id, "lease_other_stream")
    await stream(
        proto_client, "threads.add_user_message", thread_id=thread_id, input=user_input("now")
    )


# ---- hidden items ---------------------------------------------------------------------------


@pytest.mark.parametrize("sdk", [False, True], ids=["hidden_context_item", "sdk_hidden_context"])
async def test_hidden_items_are_stored_but_never_sent(
    proto_client: httpx.AsyncClient,
    proto_responder: ScriptedResponder,
    proto_store: Store,
    sdk: bool,
) -> None:
    proto_responder.steps.append(hidden_step("visible answer", note="the secret", sdk=sdk))
    response = await post(proto_client, "threads.create", input=user_input("hello"))
    assert "the secret" not in response.text
    thread_id = parse_sse(response.text)[0]["thread"]["id"]
    hidden_type = "sdk_hidden_context" if sdk else "hidden_context_item"

    stored = await proto_store.load_items("ann", thread_id)
    assert [i.type for i in stored] == ["user_message", hidden_type, "assistant_message"]

    for order in ("asc", "desc"):
        listed = await post(proto_client, "items.list", thread_id=thread_id, order=order)
        assert "the secret" not in listed.text
        assert [i["type"] for i in listed.json()["data"]] != []
        assert hidden_type not in {i["type"] for i in listed.json()["data"]}
    full = await post(proto_client, "threads.get_by_id", thread_id=thread_id)
    assert "the secret" not in full.text
    assert [i["type"] for i in full.json()["items"]["data"]] == [
        "user_message",
        "assistant_message",
    ]


async def test_hidden_items_do_not_shorten_pages(
    proto_make_app: Any, proto_connect: Any, proto_responder: ScriptedResponder
) -> None:
    app: Starlette = await proto_make_app(page_size=2, max_page_size=2)
    client = proto_connect(app)
    proto_responder.steps += [hidden_step("a1"), hidden_step("a2")]
    thread_id, _ = await _create(client, "q1")
    await stream(client, "threads.add_user_message", thread_id=thread_id, input=user_input("q2"))
    first = (await post(client, "items.list", thread_id=thread_id, order="asc")).json()
    assert texts(first["data"]) == ["q1", "a1"]
    assert first["has_more"] is True
    second = (
        await post(client, "items.list", thread_id=thread_id, order="asc", after=first["after"])
    ).json()
    assert texts(second["data"]) == ["q2", "a2"]
    assert second["has_more"] is False


# ---- errors are JSON 4xx and store nothing ---------------------------------------------------


def _raw(op: str, **params: Any) -> bytes:
    return json.dumps({"type": op, "params": params}).encode()


BAD_BODIES = [
    pytest.param(b'{"type": "threads.create", "params": ', "invalid_json", id="truncated-json"),
    pytest.param(b"not json at all", "invalid_json", id="not-json"),
    pytest.param(b"", "invalid_json", id="empty-body"),
    pytest.param(
        b'{"type": "threads.create", "params": {"input": {"content": '
        b'[{"type": "input_text", "text": "\xff\xfe"}]}}}',
        "invalid_json",
        id="invalid-utf8",
    ),
    pytest.param(b"[1, 2]", "invalid_request", id="array-body"),
    pytest.param(b'"threads.create"', "invalid_request", id="string-body"),
    pytest.param(b"42", "invalid_request", id="number-body"),
    pytest.param(b"null", "invalid_request", id="null-body"),
    pytest.param(b'{"params": {}}', "missing_type", id="missing-type"),
    pytest.param(_raw("threads.explode"), "unknown_type", id="unknown-type"),
    pytest.param(b'{"type": 7, "params": {}}', None, id="type-not-a-string"),
    pytest.param(b'{"type": "threads.create"}', "invalid_params", id="create-without-params"),
    pytest.param(_raw("threads.create"), "invalid_params", id="create-without-input"),
    pytest.param(
        _raw("threads.create", input={"content": "hello"}), "invalid_params", id="content-not-list"
    ),
    pytest.param(
        _raw("threads.create", input={"content": [{"type": "input_video", "url": "x"}]}),
        "invalid_params",
        id="unknown-content-part",
    ),
    pytest.param(
        _raw("threads.create", input=user_input("   ")), "empty_message", id="empty-message"
    ),
    pytest.param(
        b'{"type": "threads.create", "params": []}', "invalid_params", id="params-not-object"
    ),
    pytest.param(
        _raw("threads.add_user_message", input=user_input("x")),
        "invalid_params",
        id="add-message-without-thread",
    ),
    pytest.param(_raw("threads.list", limit="lots"), "invalid_params", id="limit-not-a-number"),
    pytest.param(_raw("threads.list", limit=0), "invalid_params", id="limit-zero"),
    pytest.param(_raw("threads.list", limit=-5), "invalid_params", id="limit-negative"),
    pytest.param(
        b'{"type": "threads.list", "params": {"limit": 1e400}}', None, id="limit-infinite"
    ),
    pytest.param(_raw("threads.list", order="sideways"), "invalid_params", id="bad-order"),
    pytest.param(
        _raw("items.feedback", thread_id="thr_x", item_ids=["a"], kind="meh"),
        "invalid_params",
        id="bad-feedback-kind",
    ),
    pytest.param(
        _raw("attachments.create", name="a.txt", size=-1, mime_type="text/plain"),
        "invalid_params",
        id="negative-size",
    ),
    pytest.param(_raw("threads.get_by_id", thread_id=None), "invalid_params", id="null-thread-id"),
]


@pytest.mark.parametrize(("body", "code"), BAD_BODIES)
async def test_bad_input_is_a_json_4xx_and_stores_nothing(
    proto_client: httpx.AsyncClient, proto_store: Store, body: bytes, code: str | None
) -> None:
    before = await row_counts(proto_store)
    response = await proto_client.post("/chatkit", content=body, headers=HEADERS)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    assert await row_counts(proto_store) == before


async def test_unknown_type_message_lists_the_known_types(proto_client: httpx.AsyncClient) -> None:
    response = await proto_client.post("/chatkit", content=_raw("threads.explode"), headers=HEADERS)
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "threads.explode" in message
    for known in ("threads.create", "threads.list", "items.list", "input.transcribe"):
        assert known in message
    assert all(name in message for name in REQUEST_TYPES)


async def test_invalid_params_message_names_the_field(proto_client: httpx.AsyncClient) -> None:
    response = await proto_client.post(
        "/chatkit", content=_raw("threads.update", thread_id="thr_1"), headers=HEADERS
    )
    assert response.status_code == 400
    assert "title" in response.json()["error"]["message"]


async def test_unknown_fields_are_ignored(proto_client: httpx.AsyncClient) -> None:
    body = {
        "type": "threads.create",
        "params": {"input": {**user_input("hi"), "future_field": 1}, "also_new": True},
        "metadata": {"x": 1},
        "brand_new_top_level": [],
    }
    response = await proto_client.post("/chatkit", json=body, headers=HEADERS)
    assert response.status_code == 200
    assert parse_sse(response.text)[0]["type"] == "thread.created"


async def test_huge_limit_is_clamped_not_an_error(proto_make_app: Any, proto_connect: Any) -> None:
    app = await proto_make_app(page_size=2, max_page_size=3)
    client = proto_connect(app)
    for n in range(4):
        await _create(client, f"m{n}")
    for limit in (9999, 10**30):
        response = await post(client, "threads.list", limit=limit)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["data"]) == 3
        assert page["has_more"] is True


# ---- unknown records ------------------------------------------------------------------------


UNKNOWN_THREAD_OPS = [
    pytest.param("threads.get_by_id", {}, id="threads.get_by_id"),
    pytest.param("threads.update", {"title": "x"}, id="threads.update"),
    pytest.param("threads.delete", {}, id="threads.delete"),
    pytest.param("items.list", {}, id="items.list"),
    pytest.param(
        "items.feedback", {"item_ids": ["msg_1"], "kind": "positive"}, id="items.feedback"
    ),
    pytest.param("threads.add_user_message", {"input": user_input("x")}, id="add_user_message"),
    pytest.param("threads.retry_after_item", {"item_id": "msg_1"}, id="retry_after_item"),
    pytest.param("threads.add_client_tool_output", {"result": 1}, id="add_client_tool_output"),
    pytest.param(
        "threads.add_structured_input",
        {"item_id": "si_1", "input": {"answers": {}}},
        id="add_structured_input",
    ),
    pytest.param("threads.custom_action", {"action": {"type": "x"}}, id="custom_action"),
    pytest.param("threads.sync_custom_action", {"action": {"type": "x"}}, id="sync_custom_action"),
]


@pytest.mark.parametrize(("op", "params"), UNKNOWN_THREAD_OPS)
async def test_unknown_thread_is_404(
    proto_make_app: Any, proto_connect: Any, op: str, params: dict[str, Any]
) -> None:
    from bridge.actions import ActionRegistry

    actions = ActionRegistry()

    @actions.stream("x")
    async def streamed(ctx: Any, action: Any, sender: Any) -> Any:
        yield  # pragma: no cover

    @actions.sync("x")
    async def synced(ctx: Any, action: Any, sender: Any) -> None:
        return None  # pragma: no cover

    client = proto_connect(await proto_make_app(actions=actions))
    response = await post(client, op, thread_id="thr_does_not_exist", **params)
    assert response.status_code == 404, response.text
    error = response.json()["error"]
    assert error["code"] == "thread_not_found"
    assert "thr_does_not_exist" in error["message"]


UNKNOWN_ITEM_OPS = [
    pytest.param("items.list", {"after": "msg_nope"}, id="items.list-after"),
    pytest.param("items.feedback", {"item_ids": ["msg_nope"], "kind": "negative"}, id="feedback"),
    pytest.param("threads.retry_after_item", {"item_id": "msg_nope"}, id="retry_after_item"),
    pytest.param(
        "threads.add_structured_input",
        {"item_id": "msg_nope", "input": {"answers": {}}},
        id="add_structured_input",
    ),
]


@pytest.mark.parametrize(("op", "params"), UNKNOWN_ITEM_OPS)
async def test_unknown_item_is_404(
    proto_client: httpx.AsyncClient, proto_store: Store, op: str, params: dict[str, Any]
) -> None:
    thread_id, _ = await _create(proto_client)
    before = await row_counts(proto_store)
    response = await post(proto_client, op, thread_id=thread_id, **params)
    assert response.status_code == 404, response.text
    error = response.json()["error"]
    assert error["code"] == "item_not_found"
    assert "msg_nope" in error["message"]
    assert await row_counts(proto_store) == before


async def test_threads_list_after_unknown_thread_is_404(proto_client: httpx.AsyncClient) -> None:
    response = await post(proto_client, "threads.list", after="thr_gone", limit=9999)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "thread_not_found"


async def test_another_users_thread_is_404_for_every_read_and_write(
    proto_app: Starlette, proto_connect: Any
) -> None:
    ann, bob = proto_connect(proto_app, "ann"), proto_connect(proto_app, "bob")
    thread_id, _ = await _create(ann)
    for op, params in (
        ("threads.get_by_id", {}),
        ("items.list", {}),
        ("threads.update", {"title": "mine now"}),
        ("threads.add_user_message", {"input": user_input("hijack")}),
        ("threads.delete", {}),
    ):
        response = await post(bob, op, thread_id=thread_id, **params)
        assert response.status_code == 404, (op, response.text)
    assert (await post(bob, "threads.list")).json()["data"] == []
    full = (await post(ann, "threads.get_by_id", thread_id=thread_id)).json()
    assert full["title"] == "hello"
    assert texts(full["items"]["data"]) == ["hello", "You said: hello"]


# ---- CORS: the host page makes the requests --------------------------------------------------


async def test_cors_preflight_and_sse_response_allow_the_app_origin(
    proto_make_app: Any, proto_connect: Any
) -> None:
    origin = "https://app.example.com"
    client = proto_connect(await proto_make_app(cors_origins=(origin,)))
    preflight = await client.options(
        "/chatkit",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": (
                "content-type,authorization,chatkit-frame-instance-id,accept-language"
            ),
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    allowed = {
        h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")
    }
    assert {
        "content-type",
        "authorization",
        "chatkit-frame-instance-id",
        "accept-language",
    } <= allowed

    response = await client.post(
        "/chatkit",
        json={"type": "threads.create", "params": {"input": user_input("hi")}},
        headers={**HEADERS, "origin": origin},
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["access-control-allow-origin"] == origin
    error = await client.post("/chatkit", content=b"{", headers={**HEADERS, "origin": origin})
    assert error.status_code == 400
    assert error.headers["access-control-allow-origin"] == origin


async def test_hidden_items_leaked_through_item_added_and_item_replaced(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder, proto_store: Store
) -> None:
    from schemas import (
        HiddenContextItem,
        ThreadItemAddedEvent,
        ThreadItemDoneEvent,
        ThreadItemReplacedEvent,
        utcnow,
    )

    async def hidden_lifecycle(turn: Any) -> Any:
        item = HiddenContextItem(
            id=turn.new_id("hid"), thread_id=turn.thread.id, created_at=utcnow(), content="one"
        )
        yield ThreadItemAddedEvent(item=item)
        yield ThreadItemDoneEvent(item=item)
        yield ThreadItemReplacedEvent(item=item.model_copy(update={"content": "two"}))

    proto_responder.steps.append(hidden_lifecycle)
    response = await post(proto_client, "threads.create", input=user_input("hello"))
    events = parse_sse(response.text)
    assert "hidden_context_item" not in response.text
    assert types(events) == [
        "thread.created",
        "thread.item.done",
        "stream_options",
        "thread.updated",
    ]
    stored = await proto_store.load_items("ann", events[0]["thread"]["id"])
    assert [(i.type, getattr(i, "content", None)) for i in stored][1] == (
        "hidden_context_item",
        "two",
    )
