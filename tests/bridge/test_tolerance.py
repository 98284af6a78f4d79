"""What real clients send is accepted: `null`, absent and empty mean the same for every
optional container, and harmless requests are not refused (issue 10).

Each case runs on a streaming op and on a JSON op where both apply. Bug: a third-party Dart
client sends `inference_options: null` on every message, and got 400. Fix: `null_as` on every
optional container of the request schemas.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from db import Store

from ..fakes import ScriptedResponder
from ..wire import parse_sse, post, stream, types, user_input
from .support import client_tool_step, row_counts, structured_input_step

SPELLINGS = ["absent", "null", "empty"]


def _spell(container: dict[str, Any], key: str, spelling: str, empty: Any) -> dict[str, Any]:
    """`container` with `key` left out, `null`, or its empty value."""
    out = {k: v for k, v in container.items() if k != key}
    if spelling == "null":
        out[key] = None
    elif spelling == "empty":
        out[key] = empty
    return out


async def _chatkit(client: httpx.AsyncClient, op: str, params: Any, **top: Any) -> httpx.Response:
    body = {"type": op, **top}
    if params is not ...:
        body["params"] = params
    return await client.post("/chatkit", json=body, headers={"accept-language": "en"})


async def _thread(client: httpx.AsyncClient, text: str = "first") -> str:
    events = await stream(client, "threads.create", input=user_input(text))
    thread_id: str = events[0]["thread"]["id"]
    return thread_id


def _echo(events: list[dict[str, Any]]) -> dict[str, Any]:
    [echo] = [
        e["item"]
        for e in events
        if e["type"] == "thread.item.done" and e["item"]["type"] == "user_message"
    ]
    return {k: v for k, v in echo.items() if k not in ("id", "thread_id", "created_at")}


# ---- optional containers of a user message (streaming ops only) -----------------------------

MESSAGE_CONTAINERS = [
    pytest.param("inference_options", {}, id="inference_options"),
    pytest.param("attachments", [], id="attachments"),
]


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize(("key", "empty"), MESSAGE_CONTAINERS)
@pytest.mark.parametrize("op", ["threads.create", "threads.add_user_message"])
async def test_message_container_null_absent_or_empty(
    proto_client: httpx.AsyncClient, op: str, key: str, empty: Any, spelling: str
) -> None:
    params: dict[str, Any] = {"input": _spell(user_input("hello"), key, spelling, empty)}
    if op == "threads.add_user_message":
        params["thread_id"] = await _thread(proto_client)
    response = await _chatkit(proto_client, op, params)
    assert response.status_code == 200, response.text
    echo = _echo(parse_sse(response.text))
    assert echo == {
        "type": "user_message",
        "content": [{"type": "input_text", "text": "hello"}],
        "attachments": [],
        "inference_options": {},
    }


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("op", ["threads.create", "threads.add_user_message"])
async def test_tag_data_null_absent_or_empty(
    proto_client: httpx.AsyncClient, op: str, spelling: str
) -> None:
    tag = _spell({"type": "input_tag", "id": "t1", "text": "@Ann"}, "data", spelling, {})
    params: dict[str, Any] = {
        "input": user_input("hi", content=[{"type": "input_text", "text": "hi "}, tag])
    }
    if op == "threads.add_user_message":
        params["thread_id"] = await _thread(proto_client)
    response = await _chatkit(proto_client, op, params)
    assert response.status_code == 200, response.text
    assert _echo(parse_sse(response.text))["content"][1] == {
        "type": "input_tag",
        "id": "t1",
        "text": "@Ann",
        "data": {},
        "interactive": False,
    }


# ---- request-level metadata (streaming and JSON ops) -----------------------------------------


@pytest.mark.parametrize("spelling", SPELLINGS)
async def test_request_metadata_null_absent_or_empty_on_a_stream(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder, spelling: str
) -> None:
    top = _spell({}, "metadata", spelling, {})
    response = await _chatkit(proto_client, "threads.create", {"input": user_input("hi")}, **top)
    assert response.status_code == 200, response.text
    assert proto_responder.turns[-1].request_metadata == {}


@pytest.mark.parametrize("spelling", SPELLINGS)
async def test_request_metadata_null_absent_or_empty_on_a_json_op(
    proto_client: httpx.AsyncClient, spelling: str
) -> None:
    thread_id = await _thread(proto_client)
    top = _spell({}, "metadata", spelling, {})
    response = await _chatkit(proto_client, "threads.get_by_id", {"thread_id": thread_id}, **top)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == thread_id


# ---- list params (JSON ops only) -------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["absent", "null", "empty"])
async def test_threads_list_params_null_absent_or_empty(
    proto_client: httpx.AsyncClient, spelling: str
) -> None:
    older = await _thread(proto_client, "older")
    newer = await _thread(proto_client, "newer")
    params = {"absent": ..., "null": None, "empty": {}}[spelling]
    response = await _chatkit(proto_client, "threads.list", params)
    assert response.status_code == 200, response.text
    assert [t["id"] for t in response.json()["data"]] == [newer, older]  # default order: desc


@pytest.mark.parametrize("spelling", ["absent", "null"])
@pytest.mark.parametrize("op", ["threads.list", "items.list"])
async def test_list_order_null_or_absent_is_desc(
    proto_client: httpx.AsyncClient, op: str, spelling: str
) -> None:
    thread_id = await _thread(proto_client)
    params = _spell({"thread_id": thread_id} if op == "items.list" else {}, "order", spelling, None)
    desc = await _chatkit(proto_client, op, {**params, "order": "desc"})
    response = await _chatkit(proto_client, op, params)
    assert response.status_code == 200, response.text
    assert response.json() == desc.json()


# ---- structured input answers (streaming op only) --------------------------------------------


@pytest.mark.parametrize(
    "submission",
    [
        pytest.param({"status": None, "answers": None}, id="status-and-answers-null"),
        pytest.param({"answers": {"colour": {"values": None, "skipped": None}}}, id="values-null"),
        pytest.param({}, id="all-absent"),
    ],
)
async def test_structured_input_nulls_mean_absent(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder, submission: dict[str, Any]
) -> None:
    proto_responder.steps.append(structured_input_step())
    events = await stream(proto_client, "threads.create", input=user_input("ask me"))
    thread_id = events[0]["thread"]["id"]
    asked = events[-1]["item"] if events[-1]["type"] == "thread.item.done" else events[-2]["item"]
    assert asked["type"] == "structured_input"
    params = {"thread_id": thread_id, "item_id": asked["id"], "input": submission}
    response = await _chatkit(proto_client, "threads.add_structured_input", params)
    assert response.status_code == 200, response.text
    replaced = [e for e in parse_sse(response.text) if e["type"] == "thread.item.replaced"]
    assert replaced[0]["item"]["status"] == "answered"
    assert [q["answer"] for q in replaced[0]["item"]["inputs"]] == [
        {"values": [], "skipped": True}
    ] * 2


# ---- harmless requests ------------------------------------------------------------------------


async def test_feedback_on_no_items_is_a_no_op(
    proto_client: httpx.AsyncClient, proto_store: Store
) -> None:
    thread_id = await _thread(proto_client)
    before = await row_counts(proto_store)
    response = await post(
        proto_client, "items.feedback", thread_id=thread_id, item_ids=[], kind="positive"
    )
    assert response.status_code == 200 and response.json() == {}
    assert await row_counts(proto_store) == before
    missing = await post(
        proto_client, "items.feedback", thread_id="thr_nope", item_ids=[], kind="positive"
    )
    assert missing.status_code == 404  # still someone else's (or no) thread


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        pytest.param("word " * 50, ("word " * 39).strip() + "…", id="cut-at-a-word"),
        pytest.param("x" * 201, "x" * 199 + "…", id="one-long-word"),
        pytest.param("  a\n\ttitle  ", "a title", id="whitespace"),
        pytest.param("y" * 200, "y" * 200, id="exactly-200"),
    ],
)
async def test_a_long_rename_is_trimmed(
    proto_client: httpx.AsyncClient, given: str, stored: str
) -> None:
    thread_id = await _thread(proto_client)
    response = await post(proto_client, "threads.update", thread_id=thread_id, title=given)
    assert response.status_code == 200, response.text
    assert response.json()["title"] == stored and len(stored) <= 200
    again = await post(proto_client, "threads.get_by_id", thread_id=thread_id)
    assert again.json()["title"] == stored


async def test_client_tool_output_with_nothing_pending_answers_in_band(
    proto_client: httpx.AsyncClient,
    proto_store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Bug: a 400 on this streaming op is silent in the widget. Fix: a stream whose error
    event the widget shows; nothing is stored; the cause is in the log line."""
    caplog.set_level(logging.INFO, logger="bridge.request")
    thread_id = await _thread(proto_client)
    before = await row_counts(proto_store)
    events = await stream(
        proto_client, "threads.add_client_tool_output", thread_id=thread_id, result={"ok": 1}
    )
    assert types(events) == ["stream_options", "error"]
    assert events[-1]["code"] == "custom" and "Nothing was waiting" in events[-1]["message"]
    assert events[-1]["allow_retry"] is False
    assert await row_counts(proto_store) == before
    lines = [r.fields for r in caplog.records if r.name == "bridge.request"]  # type: ignore[attr-defined]
    assert lines[-1]["op"] == "threads.add_client_tool_output"
    assert lines[-1]["reason"] == "no_pending_tool_call"
    # The thread was not left busy.
    follow = await stream(
        proto_client, "threads.add_user_message", thread_id=thread_id, input=user_input("ok")
    )
    assert follow[-1]["type"] == "thread.item.done"


@pytest.mark.parametrize("op", ["threads.create", "threads.add_user_message"])
@pytest.mark.parametrize("content", [[], None, "absent"], ids=["empty", "null", "absent"])
async def test_a_message_with_only_a_quote(
    proto_client: httpx.AsyncClient,
    proto_responder: ScriptedResponder,
    op: str,
    content: Any,
) -> None:
    message = user_input("x", quoted_text="The quick brown fox")
    if content == "absent":
        del message["content"]
    else:
        message["content"] = content
    params: dict[str, Any] = {"input": message}
    if op == "threads.add_user_message":
        params["thread_id"] = await _thread(proto_client)
    response = await _chatkit(proto_client, op, params)
    assert response.status_code == 200, response.text
    echo = _echo(parse_sse(response.text))
    assert echo["content"] == [] and echo["quoted_text"] == "The quick brown fox"
    assert proto_responder.turns[-1].input is not None
    assert proto_responder.turns[-1].input.quoted_text == "The quick brown fox"


async def test_a_message_with_nothing_at_all_is_still_refused(
    proto_client: httpx.AsyncClient,
) -> None:
    response = await _chatkit(
        proto_client, "threads.create", {"input": user_input("  ", quoted_text="  ")}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "empty_message"


async def test_client_tool_output_completes_when_a_call_is_pending(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder
) -> None:
    """The control case of the in-band answer above: with a call pending, it is answered."""
    proto_responder.steps.append(client_tool_step("get_location", {}))
    events = await stream(proto_client, "threads.create", input=user_input("where am I?"))
    thread_id = events[0]["thread"]["id"]
    answered = await stream(
        proto_client, "threads.add_client_tool_output", thread_id=thread_id, result="Oslo"
    )
    assert "error" not in types(answered)
    assert answered[-1]["type"] == "thread.item.done"
