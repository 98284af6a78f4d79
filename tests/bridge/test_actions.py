"""Widget actions over HTTP: threads.custom_action (streams) and threads.sync_custom_action."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bridge.actions import ActionContext, ActionRegistry
from bridge.errors import TurnFailed
from db import Store
from schemas import (
    Action,
    AssistantMessageContent,
    AssistantMessageItem,
    ThreadItem,
    ThreadItemDoneEvent,
    ThreadItemReplacedEvent,
    ThreadStreamEvent,
    WidgetItem,
    utcnow,
)

from ..fakes import ScriptedResponder
from ..wire import parse_sse, post, stream, types, user_input
from .support import widget_step

COUNTER = {"type": "Card", "children": [{"type": "Text", "value": "0"}]}


@pytest.fixture
def proto_actions() -> tuple[ActionRegistry, list[tuple[str, Any, str | None]]]:
    """A registry with `greet` (streaming), `count` (sync), `nothing` (sync) and `fail`."""
    registry = ActionRegistry()
    calls: list[tuple[str, Any, str | None]] = []

    @registry.stream("greet")
    async def greet(
        ctx: ActionContext, action: Action, sender: WidgetItem | None
    ) -> AsyncIterator[ThreadStreamEvent]:
        calls.append(("greet", action.payload, sender.id if sender else None))
        if sender is not None:
            yield ThreadItemReplacedEvent(
                item=sender.model_copy(update={"widget": {"type": "Card", "children": []}})
            )
        yield ThreadItemDoneEvent(
            item=AssistantMessageItem(
                id=ctx.new_id("msg"),
                thread_id=ctx.thread.id,
                created_at=utcnow(),
                content=[AssistantMessageContent(text=f"Hello, {action.payload['name']}!")],
            )
        )

    @registry.stream("fail")
    async def fail(
        ctx: ActionContext, action: Action, sender: WidgetItem | None
    ) -> AsyncIterator[ThreadStreamEvent]:
        raise TurnFailed("the action broke", allow_retry=False)
        yield  # pragma: no cover

    @registry.sync("count")
    async def count(
        ctx: ActionContext, action: Action, sender: WidgetItem | None
    ) -> ThreadItem | None:
        calls.append(("count", action.payload, sender.id if sender else None))
        assert sender is not None
        value = str(int(sender.widget["children"][0]["value"]) + action.payload["by"])
        return sender.model_copy(
            update={"widget": {"type": "Card", "children": [{"type": "Text", "value": value}]}}
        )

    @registry.sync("nothing")
    async def nothing(ctx: ActionContext, action: Action, sender: WidgetItem | None) -> None:
        calls.append(("nothing", action.payload, sender.id if sender else None))
        return None

    return registry, calls


@pytest.fixture
async def proto_action_app(
    proto_make_app: Any, proto_actions: tuple[ActionRegistry, list[Any]]
) -> Starlette:
    app: Starlette = await proto_make_app(actions=proto_actions[0])
    return app


async def _thread_with_widget(
    client: httpx.AsyncClient, responder: ScriptedResponder
) -> tuple[str, str]:
    responder.steps.append(widget_step(COUNTER))
    events = await stream(client, "threads.create", input=user_input("show the counter"))
    widget = [e["item"] for e in events if e["type"] == "thread.item.done"][-1]
    assert widget["type"] == "widget"
    return events[0]["thread"]["id"], widget["id"]


async def test_custom_action_streams_the_handlers_events_and_stores_them(
    proto_action_app: Starlette,
    proto_connect: Any,
    proto_responder: ScriptedResponder,
    proto_actions: tuple[ActionRegistry, list[Any]],
) -> None:
    client = proto_connect(proto_action_app)
    store: Store = proto_action_app.state.services.store
    thread_id, widget_id = await _thread_with_widget(client, proto_responder)
    events = await stream(
        client,
        "threads.custom_action",
        thread_id=thread_id,
        item_id=widget_id,
        action={"type": "greet", "payload": {"name": "Ann"}},
    )
    assert types(events) == ["stream_options", "thread.item.replaced", "thread.item.done"]
    assert events[2]["item"]["content"][0]["text"] == "Hello, Ann!"
    assert proto_actions[1] == [("greet", {"name": "Ann"}, widget_id)]

    items = await store.load_items("ann", thread_id)
    assert [i.type for i in items] == ["user_message", "widget", "assistant_message"]
    widget = items[1]
    assert isinstance(widget, WidgetItem) and widget.widget == {"type": "Card", "children": []}


async def test_custom_action_without_item_id_gets_no_sender(
    proto_action_app: Starlette,
    proto_connect: Any,
    proto_actions: tuple[ActionRegistry, list[Any]],
) -> None:
    client = proto_connect(proto_action_app)
    created = await stream(client, "threads.create", input=user_input("hi"))
    thread_id = created[0]["thread"]["id"]
    events = await stream(
        client,
        "threads.custom_action",
        thread_id=thread_id,
        action={"type": "greet", "payload": {"name": "Bo"}},
    )
    assert types(events) == ["stream_options", "thread.item.done"]
    assert proto_actions[1] == [("greet", {"name": "Bo"}, None)]


async def test_custom_action_failure_is_an_error_event(
    proto_action_app: Starlette, proto_connect: Any
) -> None:
    client = proto_connect(proto_action_app)
    created = await stream(client, "threads.create", input=user_input("hi"))
    response = await post(
        client,
        "threads.custom_action",
        thread_id=created[0]["thread"]["id"],
        action={"type": "fail"},
    )
    assert response.status_code == 200
    events = parse_sse(response.text)
    assert events[-1] == {
        "type": "error",
        "code": "custom",
        "message": "the action broke",
        "allow_retry": False,
    }


async def test_custom_action_from_a_non_widget_item_is_400(
    proto_action_app: Starlette, proto_connect: Any
) -> None:
    client = proto_connect(proto_action_app)
    created = await stream(client, "threads.create", input=user_input("hi"))
    response = await post(
        client,
        "threads.custom_action",
        thread_id=created[0]["thread"]["id"],
        item_id=created[1]["item"]["id"],
        action={"type": "greet", "payload": {"name": "x"}},
    )
    assert response.status_code == 400
    assert "user_message" in response.json()["error"]["message"]


async def test_custom_action_on_a_busy_thread_is_409(
    proto_action_app: Starlette, proto_connect: Any
) -> None:
    client = proto_connect(proto_action_app)
    store: Store = proto_action_app.state.services.store
    created = await stream(client, "threads.create", input=user_input("hi"))
    thread_id = created[0]["thread"]["id"]
    assert await store.acquire_thread("ann", thread_id, "lease_busy", 60)
    response = await post(
        client,
        "threads.custom_action",
        thread_id=thread_id,
        action={"type": "greet", "payload": {"name": "x"}},
    )
    assert response.status_code == 409


async def test_sync_action_answers_and_stores_the_updated_item(
    proto_action_app: Starlette,
    proto_connect: Any,
    proto_responder: ScriptedResponder,
    proto_actions: tuple[ActionRegistry, list[Any]],
) -> None:
    client = proto_connect(proto_action_app)
    thread_id, widget_id = await _thread_with_widget(client, proto_responder)
    response = await post(
        client,
        "threads.sync_custom_action",
        thread_id=thread_id,
        item_id=widget_id,
        action={"type": "count", "payload": {"by": 5}},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    updated = response.json()["updated_item"]
    assert updated["id"] == widget_id
    assert updated["widget"]["children"][0]["value"] == "5"
    listed = (await post(client, "items.list", thread_id=thread_id, order="asc")).json()
    assert listed["data"][1] == updated  # stored in place

    second = await post(
        client,
        "threads.sync_custom_action",
        thread_id=thread_id,
        item_id=widget_id,
        action={"type": "count", "payload": {"by": 2}},
    )
    assert second.json()["updated_item"]["widget"]["children"][0]["value"] == "7"
    assert [c[0] for c in proto_actions[1]] == ["count", "count"]


async def test_sync_action_returning_nothing_answers_an_empty_object(
    proto_action_app: Starlette,
    proto_connect: Any,
    proto_actions: tuple[ActionRegistry, list[Any]],
) -> None:
    client = proto_connect(proto_action_app)
    created = await stream(client, "threads.create", input=user_input("hi"))
    response = await post(
        client,
        "threads.sync_custom_action",
        thread_id=created[0]["thread"]["id"],
        action={"type": "nothing", "payload": [1, 2]},
    )
    assert response.status_code == 200
    assert response.json() == {}
    assert proto_actions[1] == [("nothing", [1, 2], None)]
