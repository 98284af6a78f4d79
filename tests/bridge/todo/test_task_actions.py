"""The task list's Complete button over HTTP: the task is done, the widget redrawn in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from bridge.settings import Settings
from bridge.todo.task_store import TaskStore
from bridge.todo.todo_app import TodoApp
from bridge.todo.tools import make_responder
from db import Store

from ...wire import parse_sse, post, user_input


def _rows(widget: dict[str, Any]) -> dict[str, Any]:
    rows = {}
    for row in widget["children"]:
        trailing = row["children"][0]["children"][1]
        rows[row["key"]] = trailing["type"]
    return rows


async def _list_with_widget(client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    created = parse_sse(
        (await post(client, "threads.create", input=user_input("add buy milk"))).text
    )
    thread_id = created[0]["thread"]["id"]
    await post(
        client, "threads.add_user_message", thread_id=thread_id, input=user_input("add call mom")
    )
    shown = parse_sse(
        (
            await post(
                client,
                "threads.add_user_message",
                thread_id=thread_id,
                input=user_input("what's on my list"),
            )
        ).text
    )
    widgets = [
        e["item"]
        for e in shown
        if e["type"] == "thread.item.done" and e["item"]["type"] == "widget"
    ]
    assert len(widgets) == 1, [e["type"] for e in shown]
    return thread_id, widgets[0]


async def test_complete_button_streams_a_redrawn_widget(
    make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient]
) -> None:
    app = await make_app(app=TodoApp(), responder=make_responder(Settings()))
    async with connect(app) as client:
        thread_id, widget_item = await _list_with_widget(client)
        assert _rows(widget_item["widget"]) == {"task-1": "Button", "task-2": "Button"}
        button = widget_item["widget"]["children"][0]["children"][0]["children"][1]
        events = parse_sse(
            (
                await post(
                    client,
                    "threads.custom_action",
                    thread_id=thread_id,
                    item_id=widget_item["id"],
                    action=button["onClickAction"],
                )
            ).text
        )
        types = [e["type"] for e in events]
        assert types == ["stream_options", "thread.item.replaced", "client_effect"]
        replaced = events[1]["item"]
        assert replaced["id"] == widget_item["id"]
        assert _rows(replaced["widget"]) == {"task-1": "Badge", "task-2": "Button"}
        store: Store = app.state.services.store
        assert [t["completed"] for t in await TaskStore.of(store).list_tasks("local")] == [
            True,
            False,
        ]
        stored = await store.load_item("local", thread_id, widget_item["id"])
        assert _rows(stored.widget) == {"task-1": "Badge", "task-2": "Button"}  # type: ignore[union-attr]


async def test_sync_complete_answers_the_updated_item(
    make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient]
) -> None:
    app = await make_app(app=TodoApp(), responder=make_responder(Settings()))
    async with connect(app) as client:
        thread_id, widget_item = await _list_with_widget(client)
        answer = await post(
            client,
            "threads.sync_custom_action",
            thread_id=thread_id,
            item_id=widget_item["id"],
            action={"type": "tasks.complete", "payload": {"task_id": 2}},
        )
        assert answer.status_code == 200, answer.text
        assert _rows(answer.json()["updated_item"]["widget"]) == {
            "task-1": "Button",
            "task-2": "Badge",
        }
        bad = await post(
            client,
            "threads.sync_custom_action",
            thread_id=thread_id,
            item_id=widget_item["id"],
            action={"type": "tasks.complete", "payload": {"task_id": "two"}},
        )
        assert bad.status_code == 400 and "task_id" in bad.json()["error"]["message"]
        missing = await post(
            client,
            "threads.sync_custom_action",
            thread_id=thread_id,
            item_id=widget_item["id"],
            action={"type": "tasks.complete", "payload": {"task_id": 99}},
        )
        assert missing.status_code == 404
        unknown = await post(
            client, "threads.custom_action", thread_id=thread_id, action={"type": "tasks.explode"}
        )
        assert unknown.status_code == 400
        assert "tasks.complete" in unknown.json()["error"]["message"]
