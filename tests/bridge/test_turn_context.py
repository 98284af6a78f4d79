"""What the app sees and sets in a turn (issue 10): the request's context on `Turn`, the
composer's tool id, thread title and status set by `thread.updated` (stored), notices."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bridge.actions import ActionContext, ActionRegistry
from bridge.responder import Turn
from db.store import wire_thread
from schemas import (
    Action,
    ClosedStatus,
    LockedStatus,
    ThreadStreamEvent,
    ThreadUpdatedEvent,
    WidgetItem,
)

from ..fakes import ScriptedResponder, events_step, stream_text
from ..wire import parse_sse, post, stream, types, user_input
from .support import client_tool_step, structured_input_step


async def test_request_headers_locale_and_metadata_reach_the_turn(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder
) -> None:
    body = {
        "type": "threads.create",
        "metadata": {"plan": "pro", "page": {"path": "/tasks/3"}},
        "params": {"input": user_input("hi")},
    }
    response = await proto_client.post(
        "/chatkit",
        json=body,
        headers={"accept-language": "nb-NO,nb;q=0.9", "X-Page-Context": "tasks/3"},
    )
    assert response.status_code == 200
    turn = proto_responder.turns[-1]
    assert turn.locale == "nb-NO,nb;q=0.9"
    assert turn.headers["x-page-context"] == "tasks/3"  # case-insensitive
    assert turn.headers["X-PAGE-CONTEXT"] == "tasks/3"
    assert turn.request_metadata == {"plan": "pro", "page": {"path": "/tasks/3"}}


@pytest.mark.parametrize("op", ["threads.create", "threads.add_user_message"])
async def test_the_composer_tool_id_reaches_the_turn(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder, op: str
) -> None:
    """Bug: a composer tool id that is not an agent tool ended the turn with an error.
    Fix: the id is on `Turn.tool_choice` for the app to route."""
    options = {"tool_choice": {"id": "research_mode"}, "model": None}
    params: dict[str, Any] = {"input": user_input("look into it", inference_options=options)}
    if op == "threads.add_user_message":
        first = await stream(proto_client, "threads.create", input=user_input("hi"))
        params["thread_id"] = first[0]["thread"]["id"]
    events = await stream(proto_client, op, **params)
    assert "error" not in types(events)
    assert proto_responder.turns[-1].tool_choice == "research_mode"
    echo = next(e for e in events if e["type"] == "thread.item.done")["item"]
    assert echo["inference_options"] == {"tool_choice": {"id": "research_mode"}}


def _lock_and_title(turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
    async def events() -> AsyncIterator[ThreadStreamEvent]:
        async for event in stream_text(turn, ["Done. "]):
            yield event
        yield turn.notice("This conversation is now **read-only**.", level="warning")
        yield turn.thread_updated(
            title="Closed ticket",
            status=LockedStatus(reason="resolved"),
            metadata={"ticket": 42},
        )

    return events()


async def test_a_thread_updated_from_the_responder_is_stored(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder
) -> None:
    proto_responder.steps.append(_lock_and_title)
    events = await stream(proto_client, "threads.create", input=user_input("close it"))
    thread_id = events[0]["thread"]["id"]
    assert types(events)[-2:] == ["notice", "thread.updated"]  # no first-words title after it
    assert events[-2] == {
        "type": "notice",
        "level": "warning",
        "message": "This conversation is now **read-only**.",
    }
    sent = events[-1]["thread"]
    assert sent["title"] == "Closed ticket"
    assert sent["status"] == {"type": "locked", "reason": "resolved"}
    # Metadata is the app's server-side data: stored, never sent (as the reference server).
    assert sent["items"] == {"data": [], "has_more": False} and sent["metadata"] == {}
    assert await proto_responder.turns[-1].thread_metadata() == {"ticket": 42}

    stored = (await post(proto_client, "threads.get_by_id", thread_id=thread_id)).json()
    assert stored["title"] == "Closed ticket"
    assert stored["status"] == {"type": "locked", "reason": "resolved"}
    listed = (await post(proto_client, "threads.list")).json()["data"]
    assert [t["status"] for t in listed] == [{"type": "locked", "reason": "resolved"}]
    # A locked thread still refuses new messages.
    refused = await post(
        proto_client, "threads.add_user_message", thread_id=thread_id, input=user_input("more")
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "thread_not_active"


async def test_a_thread_updated_from_an_action_is_stored(
    proto_make_app: Any, proto_connect: Any
) -> None:
    actions = ActionRegistry()

    @actions.stream("close")
    async def close(
        ctx: ActionContext, action: Action, sender: WidgetItem | None
    ) -> AsyncIterator[ThreadStreamEvent]:
        closed = ctx.thread.model_copy(update={"status": ClosedStatus(reason="archived")})
        yield ThreadUpdatedEvent(thread=wire_thread(closed))

    client = proto_connect(await proto_make_app(actions=actions))
    created = await stream(client, "threads.create", input=user_input("hi"))
    thread_id = created[0]["thread"]["id"]
    events = await stream(
        client, "threads.custom_action", thread_id=thread_id, action={"type": "close"}
    )
    assert types(events) == ["stream_options", "thread.updated"]
    assert events[-1]["thread"]["title"] == "hi"  # the title it had is kept
    stored = (await post(client, "threads.get_by_id", thread_id=thread_id)).json()
    assert stored["status"] == {"type": "closed", "reason": "archived"}
    assert stored["title"] == "hi"


async def test_a_thread_updated_for_another_thread_is_refused(
    proto_client: httpx.AsyncClient,
    proto_responder: ScriptedResponder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bridge.request")
    other = await stream(proto_client, "threads.create", input=user_input("other"))
    other_id = other[0]["thread"]["id"]

    def rename_other(turn: Turn) -> list[Any]:
        thread = turn.thread.model_copy(update={"id": other_id, "title": "hijacked"})
        return [ThreadUpdatedEvent(thread=wire_thread(thread))]

    proto_responder.steps.append(events_step(rename_other))
    events = await stream(proto_client, "threads.create", input=user_input("mine"))
    assert events[-1] == {"type": "error", "code": "stream.error", "allow_retry": True}
    stored = (await post(proto_client, "threads.get_by_id", thread_id=other_id)).json()
    assert stored["title"] == "other"
    lines = [r.fields for r in caplog.records if r.name == "bridge.request"]  # type: ignore[attr-defined]
    streamed = [line for line in lines if line["op"] == "threads.create"]
    assert streamed[-1]["reason"] == "internal_error"


async def test_notice_events_are_sent_as_the_protocol_has_them(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder
) -> None:
    def notices(turn: Turn) -> list[Any]:
        return [
            turn.notice("Heads up."),
            turn.notice(
                "Limit reached. [Upgrade](https://example.com)", level="danger", title="Plan"
            ),
        ]

    proto_responder.steps.append(events_step(notices))
    response = await post(proto_client, "threads.create", input=user_input("hi"))
    events = parse_sse(response.text)
    assert [e for e in events if e["type"] == "notice"] == [
        {"type": "notice", "level": "info", "message": "Heads up."},
        {
            "type": "notice",
            "level": "danger",
            "message": "Limit reached. [Upgrade](https://example.com)",
            "title": "Plan",
        },
    ]


@pytest.mark.parametrize("op", ["threads.add_client_tool_output", "threads.add_structured_input"])
async def test_a_continuation_answers_on_the_model_the_user_picked(
    proto_client: httpx.AsyncClient, proto_responder: ScriptedResponder, op: str
) -> None:
    """A continuation has no message of its own: it keeps the last message's model, and not
    its tool menu choice (forcing the tool again would call it again)."""
    step = (
        client_tool_step("get_location", {})
        if op == "threads.add_client_tool_output"
        else structured_input_step()
    )
    proto_responder.steps.append(step)
    options = {"model": "gpt-b", "tool_choice": {"id": "get_location"}}
    events = await stream(
        proto_client, "threads.create", input=user_input("go", inference_options=options)
    )
    thread_id = events[0]["thread"]["id"]
    asked = next(
        e["item"]
        for e in events
        if e["type"] == "thread.item.done" and e["item"]["type"] != "user_message"
    )
    params: dict[str, Any] = {"thread_id": thread_id}
    if op == "threads.add_client_tool_output":
        params["result"] = "Oslo"
    else:
        params.update(item_id=asked["id"], input={"answers": {}})
    answered = await stream(proto_client, op, **params)
    assert "error" not in types(answered)
    turn = proto_responder.turns[-1]
    assert turn.input is None
    assert turn.inference_options.model == "gpt-b"
    assert turn.tool_choice is None
