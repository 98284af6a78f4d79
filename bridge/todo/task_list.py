"""The task list widget: a ListView of tasks, each open one with a button that completes it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

COMPLETE_ACTION = "tasks.complete"
"""The widget action type the button sends; its payload is `{"task_id": <number>}`."""


def task_list_widget(
    tasks: Iterable[dict[str, Any]], *, title: str | None = None
) -> dict[str, Any]:
    """A ListView widget tree for tasks as the store returns them (`id`, `title`, `completed`…)."""
    rows = [_task_row(task) for task in tasks]
    if not rows:
        rows = [
            {
                "type": "ListViewItem",
                "key": "empty",
                "children": [{"type": "Text", "value": "No tasks here.", "color": "secondary"}],
            }
        ]
    widget: dict[str, Any] = {"type": "ListView", "children": rows}
    if title:
        widget["status"] = {"text": title, "icon": "check-circle"}
    return widget


def task_list_text(tasks: Iterable[dict[str, Any]]) -> str:
    """The same list as plain text (the widget item's `copy_text`)."""
    lines = [_task_line(task) for task in tasks]
    return "\n".join(lines) if lines else "No tasks."


def _task_line(task: dict[str, Any]) -> str:
    mark = "x" if task.get("completed") else " "
    due = f" (due {task['due_date']})" if task.get("due_date") else ""
    return f"[{mark}] {task['id']}. {task['title']}{due}"


def _task_row(task: dict[str, Any]) -> dict[str, Any]:
    done = bool(task.get("completed"))
    details: list[dict[str, Any]] = [
        {"type": "Text", "value": task["title"], "lineThrough": done, "weight": "medium"}
    ]
    caption = " · ".join(
        part
        for part in (
            f"#{task['id']}",
            f"due {task['due_date']}" if task.get("due_date") else "",
            task.get("description") or "",
        )
        if part
    )
    details.append({"type": "Caption", "value": caption})
    trailing: dict[str, Any]
    if done:
        trailing = {"type": "Badge", "label": "Done", "color": "success"}
    else:
        trailing = {
            "type": "Button",
            "label": "Complete",
            "size": "sm",
            "variant": "outline",
            "onClickAction": {"type": COMPLETE_ACTION, "payload": {"task_id": task["id"]}},
        }
    return {
        "type": "ListViewItem",
        "key": f"task-{task['id']}",
        "children": [
            {
                "type": "Row",
                "gap": 3,
                "align": "center",
                "children": [
                    {"type": "Col", "flex": 1, "gap": 0, "children": details},
                    trailing,
                ],
            }
        ],
    }
