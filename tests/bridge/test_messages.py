"""Turn ops over HTTP: retry_after_item, client tool round trips, structured input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bridge.responder import Turn
from db import Store
from schemas import ClientToolCallItem, ThreadItemDoneEvent, ThreadStreamEvent, utcnow

from ..fakes import ScriptedResponder, text_step
from ..wire import post, stream, types, user_input
from .support import client_tool_step, structured_input_step, texts


async def _items(client: httpx.AsyncClient, thread_id: str) -> list[dict[str, Any]]:
    page = (await post(client, "items.list", thread_id=thread_id, limit=9999, order="asc")).json()
    assert page["has_more"] is False
    items: list[dict[str, Any]] = page["data"]
    return items


# ---- retry ----------------------------------------------------------------------------------


async def test_retry_after_item_drops_later_items_and_answers_again_without_echo(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder, proto_store: Store
) -> None:
    proto_responder.steps += [text_step("first answer"), text_step("second answer")]
    created = await stream(proto_client, "threads.create", input=user_input("q1"))
    thread_id = created[0]["thread"]["id"]
    q1_id = created[1]["item"]["id"]
    a1_id = created[-2]["item"]["id"]
    await stream(
        proto_client, "threads.add_user_message", thread_id=thread_id, input=user_input("q2")
    )
    await post(
        proto_client, "items.feedback", thread_id=thread_id, item_ids=[a1_id], kind="negative"
    )
    assert texts(await _items(proto_client, thread_id)) == [
        "q1",
        "first answer",
        "q2",
        "second answer",
    ]

    proto_responder.steps.append(text_step("better ", "answer"))
    events = await stream(
        proto_client, "threads.retry_after_item", thread_id=thread_id, item_id=q1_id
    )
    assert types(events) == [
        "stream_options",
        "thread.item.added",
        "~added",
        "~text_delta",
        "~text_delta",
        "~done",
        "thread.item.done",
    ]
    assert "user_message" not in {e.get("item", {}).get("type") for e in events}
    new_answer = events[-1]["item"]
    assert new_answer["id"] != a1_id

    items = await _items(proto_client, thread_id)
    assert texts(items) == ["q1", "better answer"]
    assert [i["id"] for i in items] == [q1_id, new_answer["id"]]
    assert await proto_store.load_feedback("ann", thread_id) == {}
    # The responder answered the retried message itself.
    retried = proto_responder.turns[-1]
    assert retried.input is not None and retried.input.id == q1_id
    assert [i.id for i in await retried.history()] == [q1_id, new_answer["id"]]


async def test_retry_of_the_last_message_keeps_earlier_turns(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder
) -> None:
    created = await stream(proto_client, "threads.create", input=user_input("q1"))
    thread_id = created[0]["thread"]["id"]
    follow = await stream(
        proto_client, "threads.add_user_message", thread_id=thread_id, input=user_input("q2")
    )
    proto_responder.steps.append(text_step("again"))
    await stream(
        proto_client,
        "threads.retry_after_item",
        thread_id=thread_id,
        item_id=follow[0]["item"]["id"],
    )
    assert texts(await _items(proto_client, thread_id)) == ["q1", "You said: q1", "q2", "again"]


# ---- client tools ---------------------------------------------------------------------------


@pytest.mark.parametrize("result", [{"city": "Oslo"}, None], ids=["with-result", "without-result"])
async def test_client_tool_round_trip(
    proto_client: httpx.AsyncClient,
    proto_responder: ScriptedResponder,
    proto_store: Store,
    result: dict[str, Any] | None,
) -> None:
    proto_responder.steps.append(client_tool_step("get_location", {"precision": "city"}))
    events = await stream(proto_client, "threads.create", input=user_input("where am I?"))
    thread_id = events[0]["thread"]["id"]
    call = events[-2]["item"] if events[-1]["type"] == "thread.updated" else events[-1]["item"]
    assert call["type"] == "client_tool_call"
    assert call["status"] == "pending"
    assert call["name"] == "get_location"
    assert call["arguments"] == {"precision": "city"}
    # The stream ends with the pending call: nothing is streamed after it but the title.
    assert types(events)[-2:] == ["thread.item.done", "thread.updated"]

    proto_responder.steps.append(text_step("You are in Oslo."))
    params: dict[str, Any] = {"thread_id": thread_id}
    if result is not None:
        params["result"] = (
            result  # the widget leaves `result` out when the handler returned undefined
        )
    answered = await stream(proto_client, "threads.add_client_tool_output", **params)
    assert "user_message" not in {e.get("item", {}).get("type") for e in answered}
    assert types(answered)[0] == "stream_options"
    assert texts([answered[-1]["item"]]) == ["You are in Oslo."]
    assert proto_responder.turns[-1].input is None

    stored = await proto_store.load_item("ann", thread_id, call["id"])
    assert isinstance(stored, ClientToolCallItem)
    assert stored.status == "completed"
    assert stored.output == result
    items = await _items(proto_client, thread_id)
    assert [i["type"] for i in items] == ["user_message", "client_tool_call", "assistant_message"]
    assert items[1]["status"] == "completed"
    assert items[1].get("output") == result
    # The responder saw the completed call in its history.
    history = await proto_responder.turns[-1].history()
    assert [getattr(i, "status", None) for i in history if i.type == "client_tool_call"] == [
        "completed"
    ]

    # Nothing pending any more: the widget shows an in-band error; nothing changes.
    again = await stream(
        proto_client, "threads.add_client_tool_output", thread_id=thread_id, result=1
    )
    assert types(again) == ["stream_options", "error"]
    assert again[-1]["code"] == "custom" and again[-1]["allow_retry"] is False
    assert await _items(proto_client, thread_id) == items


async def test_client_tool_output_completes_the_latest_call_and_drops_stale_ones(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder, proto_store: Store
) -> None:
    async def two_calls(turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        for name in ("old_tool", "new_tool"):
            yield ThreadItemDoneEvent(
                item=ClientToolCallItem(
                    id=turn.new_id("cli"),
                    thread_id=turn.thread.id,
                    created_at=utcnow(),
                    call_id=turn.new_id("call"),
                    name=name,
                )
            )

    proto_responder.steps.append(two_calls)
    events = await stream(proto_client, "threads.create", input=user_input("go"))
    thread_id = events[0]["thread"]["id"]
    await stream(proto_client, "threads.add_client_tool_output", thread_id=thread_id, result="ok")
    items = await _items(proto_client, thread_id)
    calls = [i for i in items if i["type"] == "client_tool_call"]
    assert [(c["name"], c["status"], c.get("output")) for c in calls] == [
        ("new_tool", "completed", "ok")
    ]


# ---- structured input -----------------------------------------------------------------------


async def _ask(
    client: httpx.AsyncClient, responder: ScriptedResponder
) -> tuple[str, dict[str, Any]]:
    responder.steps.append(structured_input_step())
    events = await stream(client, "threads.create", input=user_input("help me choose"))
    asked = [e["item"] for e in events if e["type"] == "thread.item.done"][-1]
    assert asked["type"] == "structured_input" and asked["status"] == "pending"
    return events[0]["thread"]["id"], asked


async def test_structured_input_answers_replace_the_item_then_answer(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder, proto_store: Store
) -> None:
    thread_id, asked = await _ask(proto_client, proto_responder)
    proto_responder.steps.append(text_step("Red it is."))
    events = await stream(
        proto_client,
        "threads.add_structured_input",
        thread_id=thread_id,
        item_id=asked["id"],
        input={
            "status": "answered",
            "answers": {"colour": {"values": ["red", "blue"]}, "why": {"values": ["warm"]}},
        },
    )
    assert types(events)[:2] == ["stream_options", "thread.item.replaced"]
    replaced = events[1]["item"]
    assert replaced["id"] == asked["id"]
    assert replaced["status"] == "answered"
    answers = {q["id"]: q["answer"] for q in replaced["inputs"]}
    assert answers["colour"]["values"] == ["red"]  # a single choice keeps one value
    assert answers["why"]["values"] == ["warm"]
    assert texts([events[-1]["item"]]) == ["Red it is."]
    assert "user_message" not in {e.get("item", {}).get("type") for e in events}

    items = await _items(proto_client, thread_id)
    assert [i["type"] for i in items] == ["user_message", "structured_input", "assistant_message"]
    assert items[1] == replaced  # stored in place, as sent

    again = await post(
        proto_client,
        "threads.add_structured_input",
        thread_id=thread_id,
        item_id=asked["id"],
        input={"answers": {"colour": {"values": ["green"]}}},
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_answered"


async def test_structured_input_skipped_marks_every_question_skipped(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder
) -> None:
    thread_id, asked = await _ask(proto_client, proto_responder)
    events = await stream(
        proto_client,
        "threads.add_structured_input",
        thread_id=thread_id,
        item_id=asked["id"],
        input={"status": "skipped", "answers": {"colour": {"values": ["red"]}}},
    )
    replaced = events[1]["item"]
    assert replaced["status"] == "skipped"
    assert [q["answer"] for q in replaced["inputs"]] == [{"values": [], "skipped": True}] * 2


async def test_structured_input_on_a_non_structured_item_is_400(
    proto_client: httpx.AsyncClient,
) -> None:
    events = await stream(proto_client, "threads.create", input=user_input("hi"))
    response = await post(
        proto_client,
        "threads.add_structured_input",
        thread_id=events[0]["thread"]["id"],
        item_id=events[1]["item"]["id"],
        input={"answers": {}},
    )
    assert response.status_code == 400
    assert "user_message" in response.json()["error"]["message"]


# ---- composer options -----------------------------------------------------------------------


async def test_inference_options_and_tags_reach_the_responder_and_are_stored(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder
) -> None:
    body = user_input("use it")
    body["content"].append({"type": "input_tag", "id": "doc_1", "text": "@Doc", "data": {"k": 1}})
    body["inference_options"] = {"model": "fast", "tool_choice": {"id": "search"}}
    events = await stream(proto_client, "threads.create", input=body)
    turn = proto_responder.turns[-1]
    assert turn.inference_options.model == "fast"
    assert turn.inference_options.tool_choice is not None
    assert turn.inference_options.tool_choice.id == "search"
    echo = events[1]["item"]
    assert echo["content"][1] == {
        "type": "input_tag",
        "id": "doc_1",
        "text": "@Doc",
        "data": {"k": 1},
        "interactive": False,
    }
    assert echo["inference_options"] == {"model": "fast", "tool_choice": {"id": "search"}}
