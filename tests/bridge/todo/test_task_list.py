"""The task list widget the action handler reuses."""

from __future__ import annotations

from bridge.todo.task_list import COMPLETE_ACTION, task_list_widget
from schemas import WidgetItem, utcnow


def test_open_and_done_tasks() -> None:
    tasks = [
        {
            "id": 1,
            "title": "buy milk",
            "completed": False,
            "due_date": "2030-01-02",
            "description": None,
        },
        {
            "id": 4,
            "title": "call mom",
            "completed": True,
            "due_date": None,
            "description": "Sunday",
        },
    ]

    widget = task_list_widget(tasks, title="All tasks")

    assert widget["type"] == "ListView"
    assert widget["status"] == {"text": "All tasks", "icon": "check-circle"}
    first, second = widget["children"]
    row = first["children"][0]
    assert row["children"][0]["children"][0]["value"] == "buy milk"
    assert row["children"][0]["children"][1]["value"] == "#1 · due 2030-01-02"
    assert row["children"][1]["onClickAction"] == {
        "type": COMPLETE_ACTION,
        "payload": {"task_id": 1},
    }
    done = second["children"][0]
    assert done["children"][0]["children"][0]["lineThrough"] is True
    assert done["children"][1]["type"] == "Badge"
    # It is a valid widget item for the wire.
    WidgetItem(id="w", thread_id="t", created_at=utcnow(), widget=widget)


def test_empty_list() -> None:
    widget = task_list_widget([])

    assert [row["key"] for row in widget["children"]] == ["empty"]
    assert "status" not in widget
