"""The todo tools the agent calls, through `TaskService`, always scoped to the turn's user.

The todo rules (titles, dates, fields) live in `bridge.todo.tasks.TaskService`, shared with
`/api/tasks` and `/mcp`. A tool never raises for a mistake the model can fix (an unknown id,
an empty title, a bad date): it returns the service's message as a sentence, so the model
can correct itself or tell the user. What a tool changed is recorded on the run context as
effects, which the stream turns into ChatKit events (a `tasks.changed` client effect, a task
list widget, a pending client tool call).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Literal

from agents import FunctionTool, RunContextWrapper, function_tool

from db import Store, TaskNotFound

from .task_list import task_list_text
from .tasks import TaskInvalid, TaskService

Status = Literal["all", "open", "completed"]


@dataclass
class TaskListShown:
    """list_tasks ran: the stream shows these tasks as a widget."""

    tasks: list[dict[str, Any]]
    status: Status


@dataclass
class TasksChanged:
    """A tool created, changed or deleted tasks: the host page should refresh."""


@dataclass
class ClientToolCalled:
    """The model called a client tool: the stream sends a pending `client_tool_call` item."""

    call_id: str
    name: str
    arguments: dict[str, Any]


Effect = TaskListShown | TasksChanged | ClientToolCalled


@dataclass
class TaskContext:
    """The run context of a turn: where the tools read and write, and what they did."""

    store: Store
    user_id: str
    effects: list[Effect] = field(default_factory=list)
    client_tools: frozenset[str] = frozenset()
    """Names of the tools the page runs (`onClientTool`)."""
    client_call: ClientToolCalled | None = None
    """The client tool call this turn ends on (the widget runs one per stream)."""

    @property
    def tasks(self) -> TaskService:
        """The user's tasks, with the one set of todo rules."""
        return TaskService(self.store, self.user_id)

    def take_effects(self) -> list[Effect]:
        """The effects recorded since the last call."""
        taken, self.effects = self.effects, []
        return taken


PROGRESS = {
    "add_task": "Adding task…",
    "list_tasks": "Looking at your tasks…",
    "find_tasks": "Looking for the task…",
    "complete_task": "Completing task…",
    "update_task": "Updating task…",
    "delete_task": "Deleting task…",
}


def progress_text(tool_name: str) -> str:
    """The status line shown while a tool runs."""
    return PROGRESS.get(tool_name, f"Running {tool_name.replace('_', ' ')}…")


def _describe(task: dict[str, Any]) -> str:
    due = f" (due {task['due_date']})" if task.get("due_date") else ""
    return f"task {task['id']} “{task['title']}”{due}"


async def _attempt(
    ctx: RunContextWrapper[TaskContext], failed: str, change: Awaitable[dict[str, Any]]
) -> dict[str, Any] | str:
    """The task a TaskService call returns, or the sentence that tells the model why not.

    The rules (titles, dates, fields) live in TaskService only; a broken rule or an unknown
    task is the model's mistake to fix, never a crash of the turn.
    """
    try:
        task = await change
    except TaskInvalid as exc:
        return f"{failed}: {exc.message}."
    except TaskNotFound as exc:
        return f"There is no task {exc.record_id}."
    ctx.context.effects.append(TasksChanged())
    return task


@function_tool
async def add_task(
    ctx: RunContextWrapper[TaskContext],
    title: str,
    description: str | None = None,
    due_date: str | None = None,
) -> str:
    """Add a task to the user's todo list.

    Args:
        title: What to do, short (for example "buy milk").
        description: Optional longer notes.
        due_date: Optional due date as an ISO date, YYYY-MM-DD.
    """
    task = await _attempt(ctx, "Not added", ctx.context.tasks.add(title, description, due_date))
    return task if isinstance(task, str) else f"Added {_describe(task)}."


@function_tool
async def list_tasks(ctx: RunContextWrapper[TaskContext], status: Status = "open") -> str:
    """List the user's tasks; the user also sees them as a list with buttons.

    Args:
        status: "open" (not done yet, the default), "completed", or "all".
    """
    tasks = await ctx.context.tasks.list(status)
    ctx.context.effects.append(TaskListShown(tasks=tasks, status=status))
    label = {"all": "", "open": "open ", "completed": "completed "}[status]
    if not tasks:
        return f"The user has no {label}tasks."
    noun = "task" if len(tasks) == 1 else "tasks"
    return f"The user has {len(tasks)} {label}{noun}:\n{task_list_text(tasks)}"


@function_tool
async def find_tasks(ctx: RunContextWrapper[TaskContext], text: str, status: Status = "all") -> str:
    """Find the user's tasks named by some words (whole words, typos forgiven); returns JSON.

    Use it to learn a task's id when the user names a task instead of giving its number.
    Empty text finds every task (of the status), without showing the user a list.

    Args:
        text: Words to look for, such as "milk".
        status: "all" (the default), "open" or "completed".
    """
    found = [
        {"id": t["id"], "title": t["title"], "completed": t["completed"], "due_date": t["due_date"]}
        for t in await ctx.context.tasks.find(text, status)
    ]
    return json.dumps(found, ensure_ascii=False)


@function_tool
async def complete_task(ctx: RunContextWrapper[TaskContext], task_id: int) -> str:
    """Mark a task as done.

    Args:
        task_id: The task's number.
    """
    task = await _attempt(ctx, "Not completed", ctx.context.tasks.complete(task_id))
    return task if isinstance(task, str) else f"Marked {_describe(task)} as done."


@function_tool
async def update_task(
    ctx: RunContextWrapper[TaskContext],
    task_id: int,
    title: str | None = None,
    description: str | None = None,
    due_date: str | None = None,
    completed: bool | None = None,
) -> str:
    """Change a task: its title, description, due date, or whether it is done.

    Args:
        task_id: The task's number.
        title: A new title.
        description: New notes.
        due_date: A new due date as an ISO date, YYYY-MM-DD.
        completed: True to mark done, False to reopen.
    """
    task = await _attempt(
        ctx,
        "Not changed",
        ctx.context.tasks.update(
            task_id, title=title, description=description, due_date=due_date, completed=completed
        ),
    )
    if isinstance(task, str):
        return task
    state = "done" if task["completed"] else "open"
    return f"Updated {_describe(task)}, now {state}."


@function_tool
async def delete_task(ctx: RunContextWrapper[TaskContext], task_id: int) -> str:
    """Delete a task for good.

    Args:
        task_id: The task's number.
    """
    task = await _attempt(ctx, "Not deleted", ctx.context.tasks.delete(task_id))
    return task if isinstance(task, str) else f"Deleted {_describe(task)}."


TODO_TOOLS: list[FunctionTool] = [
    add_task,
    list_tasks,
    find_tasks,
    complete_task,
    update_task,
    delete_task,
]
"""Every todo tool, in the order the model sees them."""
