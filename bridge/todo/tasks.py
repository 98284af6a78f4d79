"""The todo service: one set of rules for tasks, used by the agent's tools, `/api/tasks`
and the MCP server alike. Every call is scoped to one user."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from db import Store

from ..errors import BadRequest

Status = Literal["all", "open", "completed"]
MAX_TITLE = 500
STATUSES: dict[str, bool | None] = {"all": None, "open": False, "completed": True}


class TaskInvalid(BadRequest):
    """A task change that breaks a rule (empty title, a due date that is not a date)."""

    code = "invalid_task"


def parse_due(value: str | date | None) -> date | None:
    """A due date from `YYYY-MM-DD` (or None / empty for no date)."""
    if value is None or isinstance(value, date):
        return value
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise TaskInvalid(f"{value!r} is not a date; use the ISO form YYYY-MM-DD") from None


def clean_title(title: str) -> str:
    """A title without surrounding space, or TaskInvalid if empty or too long."""
    title = " ".join(title.split())
    if not title:
        raise TaskInvalid("a task needs a non-empty title")
    if len(title) > MAX_TITLE:
        raise TaskInvalid(f"a title has at most {MAX_TITLE} characters")
    return title


@dataclass(frozen=True)
class TaskService:
    """One user's tasks. Raises TaskInvalid (400) or db.TaskNotFound (404)."""

    store: Store
    user_id: str

    async def add(
        self, title: str, description: str | None = None, due_date: str | date | None = None
    ) -> dict[str, Any]:
        """Create a task."""
        return await self.store.add_task(
            self.user_id,
            clean_title(title),
            description=(description or "").strip() or None,
            due_date=parse_due(due_date),
        )

    async def list(self, status: str = "all") -> list[dict[str, Any]]:
        """The user's tasks: all, open or completed."""
        if status not in STATUSES:
            raise TaskInvalid(f"status must be one of {sorted(STATUSES)}, got {status!r}")
        return await self.store.list_tasks(self.user_id, completed=STATUSES[status])

    async def get(self, task_id: int) -> dict[str, Any]:
        """One task."""
        return await self.store.load_task(self.user_id, task_id)

    async def find(self, text: str) -> builtins.list[dict[str, Any]]:
        """Tasks whose title or description contains every word of `text`."""
        words = text.lower().split()
        if not words:
            return []
        return [
            task
            for task in await self.store.list_tasks(self.user_id)
            if all(w in f"{task['title']} {task['description'] or ''}".lower() for w in words)
        ]

    async def update(self, task_id: int, **changes: Any) -> dict[str, Any]:
        """Change title, description, due_date or completed (None leaves a field as it is)."""
        values: dict[str, Any] = {}
        unknown = set(changes) - {"title", "description", "due_date", "completed"}
        if unknown:
            raise TaskInvalid(f"unknown task fields: {sorted(unknown)}")
        if changes.get("title") is not None:
            values["title"] = clean_title(changes["title"])
        if changes.get("description") is not None:
            values["description"] = str(changes["description"]).strip() or None
        if "due_date" in changes and changes["due_date"] is not None:
            values["due_date"] = parse_due(changes["due_date"])
        if changes.get("completed") is not None:
            if not isinstance(changes["completed"], bool):
                raise TaskInvalid("completed must be true or false")
            values["completed"] = changes["completed"]
        if not values:
            raise TaskInvalid("nothing to change: give a title, description, due_date or completed")
        return await self.store.update_task(self.user_id, task_id, **values)

    async def complete(self, task_id: int) -> dict[str, Any]:
        """Mark a task done."""
        return await self.update(task_id, completed=True)

    async def delete(self, task_id: int) -> dict[str, Any]:
        """Delete a task; returns what it was."""
        return await self.store.delete_task(self.user_id, task_id)
