"""The todo tools the agent calls, through `TaskService`, always scoped to the turn's user.

The todo rules (titles, dates, fields) live in `bridge.todo.tasks.TaskService`, shared with
`/api/tasks` and `/mcp`. A tool never raises for a mistake the model can fix (an unknown id,
an empty title, a bad date): it returns the service's message as a sentence, so the model
can correct itself or tell the user. The tools are built on the public agent API only: the
app's state (`TodoState`) rides on the `AgentContext`, through which a tool shows the task
list widget and tells the page that tasks changed (a `tasks.changed` client effect); each
tool brings its own progress line.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from agents import Agent, FunctionTool, RunContextWrapper, function_tool

from ..agent.agent_responder import AgentResponder
from ..agent.context import AgentContext
from ..agent.progress import with_progress
from ..responder import Turn
from ..settings import Settings
from .due_dates import user_locale
from .offline_model import OfflineModel
from .task_list import task_list_text, task_list_widget
from .task_store import TaskNotFound
from .tasks import TaskInvalid, TaskService

Status = Literal["all", "open", "completed"]

TASKS_CHANGED = "tasks.changed"
"""The client effect sent after a tool changed tasks: the host page refreshes its list."""


@dataclass
class TodoState:
    """The todo app's own state for a turn: the user's tasks, with the one set of todo rules."""

    tasks: TaskService


def todo_state(turn: Turn) -> TodoState:
    """The todo app's context factory (`AgentResponder(context=…)`)."""
    return TodoState(tasks=TaskService(turn.store, turn.user_id))


TaskContext = AgentContext[TodoState]
"""The run context of the todo tools."""


def _tasks(ctx: RunContextWrapper[TaskContext]) -> TaskService:
    # The tools also work in an app with a state of its own (examples/custom_agent.py).
    state = ctx.context.state
    if isinstance(state, TodoState):
        return state.tasks
    return TaskService(ctx.context.store, ctx.context.user_id)


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
    ctx.context.client_effect(TASKS_CHANGED, once=True)
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
    task = await _attempt(ctx, "Not added", _tasks(ctx).add(title, description, due_date))
    return task if isinstance(task, str) else f"Added {_describe(task)}."


@function_tool
async def list_tasks(ctx: RunContextWrapper[TaskContext], status: Status = "open") -> str:
    """List the user's tasks; the user also sees them as a list with buttons.

    Args:
        status: "open" (not done yet, the default), "completed", or "all".
    """
    tasks = await _tasks(ctx).list(status)
    title = {"all": "All tasks", "open": "Open tasks", "completed": "Completed"}[status]
    ctx.context.show_widget(task_list_widget(tasks, title=title), copy_text=task_list_text(tasks))
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
        for t in await _tasks(ctx).find(text, status)
    ]
    return json.dumps(found, ensure_ascii=False)


@function_tool
async def complete_task(ctx: RunContextWrapper[TaskContext], task_id: int) -> str:
    """Mark a task as done.

    Args:
        task_id: The task's number.
    """
    task = await _attempt(ctx, "Not completed", _tasks(ctx).complete(task_id))
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
        _tasks(ctx).update(
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
    task = await _attempt(ctx, "Not deleted", _tasks(ctx).delete(task_id))
    return task if isinstance(task, str) else f"Deleted {_describe(task)}."


TODO_TOOLS: list[FunctionTool] = [
    with_progress(add_task, "Adding task…"),
    with_progress(list_tasks, "Looking at your tasks…"),
    with_progress(find_tasks, "Looking for the task…"),
    with_progress(complete_task, "Completing task…"),
    with_progress(update_task, "Updating task…"),
    with_progress(delete_task, "Deleting task…"),
]
"""Every todo tool, in the order the model sees them, each with its progress line."""

INSTRUCTIONS = """\
You are a helpful assistant inside a chat widget. You keep the user's todo list with your
tools: add, list, find, complete, update and delete tasks. Tasks are known by their number.
When the user names a task by its words, call find_tasks to learn its number first. When the
user asks what is on the list, call list_tasks: the user sees the tasks as a list with
buttons, so do not repeat every task in your answer. Answer briefly. Today is {today}.{locale}"""


def todo_agent(turn: Turn) -> Agent[TaskContext]:
    """The todo assistant: the task tools and instructions about them."""
    locale = user_locale(turn.locale)
    # The offline model reads this line too: it decides how "5/12" is read.
    said = f"\nThe user's locale is {locale}." if locale else ""
    return Agent[TaskContext](
        name="Assistant",
        instructions=INSTRUCTIONS.format(today=date.today().isoformat(), locale=said),
        tools=list(TODO_TOOLS),
    )


def make_responder(settings: Settings, **options: Any) -> AgentResponder[TodoState]:
    """The todo app's responder: the todo agent on the configured model, or the todo
    offline model without a key. `options` go to `AgentResponder` (files, client_tools, …)."""
    options.setdefault("agent", todo_agent)
    options.setdefault("context", todo_state)
    options.setdefault("offline_model", OfflineModel())
    return AgentResponder(settings, **options)
