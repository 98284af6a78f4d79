"""The todo tools the agent calls, on the Store, always scoped to the turn's user.

A tool never raises for a mistake the model can fix (an unknown id, an empty title, a bad
date): it returns a sentence saying what went wrong, so the model can correct itself or tell
the user. What a tool changed is recorded on the run context as effects, which the stream
turns into ChatKit events (a `tasks.changed` client effect, a task list widget).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from agents import FunctionTool, RunContextWrapper, function_tool

from db import Store, TaskNotFound

from .widgets import task_list_text

Status = Literal["all", "open", "completed"]


@dataclass
class TaskListShown:
    """list_tasks ran: the stream shows these tasks as a widget."""

    tasks: list[dict[str, Any]]
    status: Status


@dataclass
class TasksChanged:
    """A tool created, changed or deleted tasks: the host page should refresh."""


Effect = TaskListShown | TasksChanged


@dataclass
class TaskContext:
    """The run context of a turn: where the tools read and write, and what they did."""

    store: Store
    user_id: str
    effects: list[Effect] = field(default_factory=list)

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


def _parse_due(due_date: str | None) -> tuple[date | None, str | None]:
    if due_date is None or due_date.strip() == "":
        return None, None
    try:
        return date.fromisoformat(due_date.strip()), None
    except ValueError:
        return None, f"“{due_date}” is not a date; use the ISO form YYYY-MM-DD."


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
    title = title.strip()
    if not title:
        return "Not added: a task needs a non-empty title."
    due, problem = _parse_due(due_date)
    if problem:
        return f"Not added: {problem}"
    task = await ctx.context.store.add_task(
        ctx.context.user_id, title, description=(description or "").strip() or None, due_date=due
    )
    ctx.context.effects.append(TasksChanged())
    return f"Added {_describe(task)}."


@function_tool
async def list_tasks(ctx: RunContextWrapper[TaskContext], status: Status = "open") -> str:
    """List the user's tasks; the user also sees them as a list with buttons.

    Args:
        status: "open" (not done yet, the default), "completed", or "all".
    """
    completed = {"all": None, "open": False, "completed": True}[status]
    tasks = await ctx.context.store.list_tasks(ctx.context.user_id, completed=completed)
    ctx.context.effects.append(TaskListShown(tasks=tasks, status=status))
    label = {"all": "", "open": "open ", "completed": "completed "}[status]
    if not tasks:
        return f"The user has no {label}tasks."
    noun = "task" if len(tasks) == 1 else "tasks"
    return f"The user has {len(tasks)} {label}{noun}:\n{task_list_text(tasks)}"


@function_tool
async def find_tasks(ctx: RunContextWrapper[TaskContext], text: str) -> str:
    """Find the user's tasks whose title or description contains some words; returns JSON.

    Use it to learn a task's id when the user names a task instead of giving its number.

    Args:
        text: Words to look for, such as "milk".
    """
    words = [word for word in text.lower().split() if word]
    tasks = await ctx.context.store.list_tasks(ctx.context.user_id)
    found = [
        {"id": t["id"], "title": t["title"], "completed": t["completed"], "due_date": t["due_date"]}
        for t in tasks
        if words and all(w in f"{t['title']} {t['description'] or ''}".lower() for w in words)
    ]
    return json.dumps(found, ensure_ascii=False)


@function_tool
async def complete_task(ctx: RunContextWrapper[TaskContext], task_id: int) -> str:
    """Mark a task as done.

    Args:
        task_id: The task's number.
    """
    try:
        task = await ctx.context.store.update_task(ctx.context.user_id, task_id, completed=True)
    except TaskNotFound:
        return f"There is no task {task_id}."
    ctx.context.effects.append(TasksChanged())
    return f"Marked {_describe(task)} as done."


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
    changes: dict[str, Any] = {}
    if title is not None:
        if not title.strip():
            return "Not changed: a task needs a non-empty title."
        changes["title"] = title.strip()
    if description is not None:
        changes["description"] = description.strip() or None
    if due_date is not None:
        due, problem = _parse_due(due_date)
        if problem:
            return f"Not changed: {problem}"
        changes["due_date"] = due
    if completed is not None:
        changes["completed"] = completed
    if not changes:
        return "Nothing to change: give a title, description, due date or completed."
    try:
        task = await ctx.context.store.update_task(ctx.context.user_id, task_id, **changes)
    except TaskNotFound:
        return f"There is no task {task_id}."
    ctx.context.effects.append(TasksChanged())
    state = "done" if task["completed"] else "open"
    return f"Updated {_describe(task)}, now {state}."


@function_tool
async def delete_task(ctx: RunContextWrapper[TaskContext], task_id: int) -> str:
    """Delete a task for good.

    Args:
        task_id: The task's number.
    """
    try:
        task = await ctx.context.store.delete_task(ctx.context.user_id, task_id)
    except TaskNotFound:
        return f"There is no task {task_id}."
    ctx.context.effects.append(TasksChanged())
    return f"Deleted {_describe(task)}."


TODO_TOOLS: list[FunctionTool] = [
    add_task,
    list_tasks,
    find_tasks,
    complete_task,
    update_task,
    delete_task,
]
"""Every todo tool, in the order the model sees them."""
