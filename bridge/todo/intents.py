"""What an everyday todo request means, as the offline model reads it.

A request becomes an `Intent` (`request_parser.parse`). A change names its task(s) by a
`Target`: numbers ("2", "task 7", "2 and 3"), words from a title ("the milk one"), a position
("the first one"), "it"/"them" (the tasks last talked about), or "all"/"everything". Those
words are never read as a title: "delete all" is about every task, not about "call mom".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Status = Literal["all", "open", "completed"]
Due = Literal["today", "tomorrow", "overdue", "week", "dated"]


@dataclass(frozen=True)
class Target:
    """How the user named the task(s) a change is about."""

    numbers: tuple[int, ...] = ()
    words: str = ""
    every: bool = False
    """"all", "everything": every task of `status`."""
    status: Status = "all"
    it: bool = False
    """"it", "that", "the last one": the task last talked about."""
    position: int | None = None
    """"the first one" is 1, "the second" 2, "the last one" -1."""


@dataclass(frozen=True)
class AddTasks:
    tasks: tuple[tuple[str, str | None], ...]
    """(title, due date as YYYY-MM-DD or None) for each task to add."""


@dataclass(frozen=True)
class ListTasks:
    status: Status = "open"
    due: Due | None = None
    """Only tasks due today, tomorrow, this week, or overdue (answered in words)."""


@dataclass(frozen=True)
class NextTask:
    pass


@dataclass(frozen=True)
class ChangeBase:
    """A change to the task(s) the user named."""

    target: Target


@dataclass(frozen=True)
class CompleteTask(ChangeBase):
    """Mark as done: "mark 2 as done", "check off the milk", "finished 3"."""


@dataclass(frozen=True)
class ReopenTask(ChangeBase):
    """Mark as not done: "reopen 2", "uncheck it", "2 isn't done after all"."""


@dataclass(frozen=True)
class RenameTask(ChangeBase):
    title: str
    """The new title ("rename 2 to buy oat milk")."""


@dataclass(frozen=True)
class RescheduleTask(ChangeBase):
    due: str
    """The new due date, YYYY-MM-DD ("move 2 to friday")."""


@dataclass(frozen=True)
class DeleteTask(ChangeBase):
    """Delete: "delete 2", "get rid of the milk one", "don't need to call mom"."""


@dataclass(frozen=True)
class Reply:
    """A bare answer to a question: "yes", "no", or a task ("7", "the first one")."""

    yes: bool | None = None
    target: Target | None = None


@dataclass(frozen=True)
class Chat:
    """Small talk: a greeting, thanks, "ok"."""

    kind: Literal["hello", "thanks", "ok", "bye", "how", "who"]


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Unclear:
    """Not a request the offline model knows; `title` if it could be a task to add."""

    title: str | None = None
    due: str | None = None
    done: str | None = None
    """Words that may report a task as done ("called mom", "I bought the eggs")."""


Intent = (
    AddTasks
    | ListTasks
    | NextTask
    | CompleteTask
    | ReopenTask
    | RenameTask
    | RescheduleTask
    | DeleteTask
    | Reply
    | Chat
    | Help
    | Unclear
)
Change = CompleteTask | ReopenTask | RenameTask | RescheduleTask | DeleteTask


def with_target(intent: Change, new: Target) -> Change:
    """The same change, on another target (the answer to "which one?")."""
    return replace(intent, target=new)
