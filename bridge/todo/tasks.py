"""The todo service: one set of rules for tasks, used by the agent's tools, `/api/tasks`
and the MCP server alike. Every call is scoped to one user."""

from __future__ import annotations

import builtins
import functools
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import simplemma
from rapidfuzz.distance import DamerauLevenshtein

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

    async def find(self, text: str, status: str = "all") -> builtins.list[dict[str, Any]]:
        """Tasks named by the words of `text` (see `match_tasks`); no words: every task."""
        return match_tasks(text, await self.list(status))

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


# ---- naming a task by its words -------------------------------------------------------------

FILLER = frozenset(
    {"a", "an", "the", "my", "our", "your", "this", "that", "one", "thing", "entry"}
    | {"task", "tasks", "todo", "todos", "to-do", "item", "items"}
)
"""Words that say "a task" without naming one ("the milk task", "that one")."""


def words(text: str) -> builtins.list[str]:
    """The lower-case words of a text (letters, digits, apostrophes inside a word)."""
    return re.findall(r"\w+(?:['\u2019]\w+)*", text.lower())


def naming_words(text: str) -> builtins.list[str]:
    """The words of `text` that name a task: fillers such as "the", "task", "one" left out."""
    return [w for w in words(text) if w not in FILLER]


def word_match(wanted: str, word: str) -> int:
    """2 for the same word, 1 for another form of it ("eggs", "called") or an everyday typo
    (one letter added, left out, swapped, or for longer words changed), 0 for another word.
    Whole words only, and short words exactly: "all" is not "call"."""
    if wanted == word:
        return 2
    if len(wanted) > 2 and lemma(wanted) == lemma(word):
        return 1  # one egg, two eggs; "called mom" is the task "call mom"
    if wanted.isdigit() or word.isdigit() or min(len(wanted), len(word)) < 4:
        return 0
    limit = 2 if len(wanted) >= 9 else 1
    distance = DamerauLevenshtein.distance(wanted, word, score_cutoff=limit)
    if distance > limit:
        return 0
    # A short word with one letter changed is often another word ("cat", "car").
    if len(wanted) < 5 and len(wanted) == len(word) and sorted(wanted) != sorted(word):
        return 0
    return 1


@functools.lru_cache(maxsize=4096)
def lemma(word: str) -> str:
    """The dictionary form of an English word ("eggs" → "egg", "bought" → "buy")."""
    return str(simplemma.lemmatize(word, lang="en")).lower()


def match_quality(text: str, task: dict[str, Any]) -> int:
    """How well `text` names `task`: 2 every word in its title or notes, 1 with typos, 0 not."""
    wanted = naming_words(text)
    have = words(f"{task['title']} {task.get('description') or ''}")
    if not wanted or not have:
        return 0
    return min(max(word_match(w, h) for h in have) for w in wanted)


def match_tasks(text: str, tasks: builtins.list[dict[str, Any]]) -> builtins.list[dict[str, Any]]:
    """The tasks `text` names by whole words: those with every word exactly when there are
    any, otherwise those with every word allowing a typo. No naming words: every task."""
    if not naming_words(text):
        return list(tasks) if not words(text) else []
    scored = [(match_quality(text, task), task) for task in tasks]
    best = max((score for score, _ in scored), default=0)
    return [task for score, task in scored if score and score == best]
