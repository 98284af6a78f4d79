"""The todo app's widget actions: the task list's "Complete" button.

The button sends `threads.custom_action` (or the sync variant) with
`{"type": "tasks.complete", "payload": {"task_id": N}}` from the list's widget item. The task
is completed and the same widget is redrawn in place, the row now marked done.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from schemas import (
    Action,
    ClientEffectEvent,
    ThreadItemReplacedEvent,
    ThreadStreamEvent,
    WidgetItem,
)

from ..actions import ActionContext, ActionRegistry
from ..errors import BadRequest, TurnFailed
from .task_list import COMPLETE_ACTION, task_list_text, task_list_widget
from .task_store import TaskNotFound
from .tasks import TaskService
from .tools import TASKS_CHANGED

_ROW_KEY = re.compile(r"^task-(\d+)$")


def _task_id(action: Action) -> int:
    payload = action.payload if isinstance(action.payload, dict) else {}
    task_id = payload.get("task_id")
    if not isinstance(task_id, int) or isinstance(task_id, bool):
        raise BadRequest("tasks.complete needs a payload with a numeric task_id")
    return task_id


def _shown_ids(node: Any) -> list[int]:
    """The task numbers a task list widget shows, in order (from its rows' keys)."""
    found: list[int] = []
    if isinstance(node, dict):
        match = _ROW_KEY.match(str(node.get("key", "")))
        if match:
            found.append(int(match.group(1)))
        for child in node.get("children") or []:
            found.extend(_shown_ids(child))
    return found


async def _complete(
    ctx: ActionContext, action: Action, sender: WidgetItem | None
) -> WidgetItem | None:
    tasks = TaskService(ctx.store, ctx.user_id)
    task_id = _task_id(action)
    await tasks.complete(task_id)
    if sender is None:
        return None
    shown = []
    for number in _shown_ids(sender.widget) or [task_id]:
        try:
            shown.append(await tasks.get(number))
        except TaskNotFound:
            continue  # deleted since the list was drawn
    status = sender.widget.get("status")
    title = status.get("text") if isinstance(status, dict) else None
    return sender.model_copy(
        update={"widget": task_list_widget(shown, title=title), "copy_text": task_list_text(shown)}
    )


async def complete_task_stream(
    ctx: ActionContext, action: Action, sender: WidgetItem | None
) -> AsyncIterator[ThreadStreamEvent]:
    """Complete the task, redraw the sending widget, and tell the page its tasks changed."""
    try:
        updated = await _complete(ctx, action, sender)
    except TaskNotFound as exc:
        raise TurnFailed(f"That task no longer exists ({exc}).", reason="task_not_found") from None
    if updated is not None:
        yield ThreadItemReplacedEvent(item=updated)
    yield ClientEffectEvent(name=TASKS_CHANGED, data={})


async def complete_task_sync(
    ctx: ActionContext, action: Action, sender: WidgetItem | None
) -> WidgetItem | None:
    """The sync variant: answers the redrawn widget item."""
    return await _complete(ctx, action, sender)


def register_todo_actions(registry: ActionRegistry) -> None:
    """Add the todo app's actions to a registry."""
    registry.stream(COMPLETE_ACTION)(complete_task_stream)
    registry.sync(COMPLETE_ACTION)(complete_task_sync)
