"""Everyday todo requests in plain English, read by the offline model.

Deliberately small: a handful of phrasings per request, so the offline model behaves the same
every time and tests can say exactly what it understands. A task is named by its number
("task 2", "#2", "2") or by words from its title ("the milk task").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Target = int | str
"""A task number, or words to find the task by."""


@dataclass(frozen=True)
class AddTask:
    title: str
    due: date | None = None


@dataclass(frozen=True)
class ListTasks:
    status: Literal["all", "open", "completed"] = "open"


@dataclass(frozen=True)
class CompleteTask:
    target: Target


@dataclass(frozen=True)
class ReopenTask:
    target: Target


@dataclass(frozen=True)
class RenameTask:
    target: Target
    title: str


@dataclass(frozen=True)
class RescheduleTask:
    target: Target
    due: date


@dataclass(frozen=True)
class DeleteTask:
    target: Target


@dataclass(frozen=True)
class Help:
    pass


Intent = (
    AddTask
    | ListTasks
    | CompleteTask
    | ReopenTask
    | RenameTask
    | RescheduleTask
    | DeleteTask
    | Help
)

_I = re.IGNORECASE
_QUOTES = "\"'\u201c\u201d\u2018\u2019"
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_DAY = "today|tonight|tomorrow|" + "|".join(_WEEKDAYS) + r"|\d{4}-\d{2}-\d{2}|in \d+ days?"
_TRAILING_DUE = re.compile(rf"\s+(?:(?:due|by|on|for|next|this)\s+)?(?P<when>{_DAY})$", _I)
_TO_LIST = re.compile(r"\s+(?:to|on|onto)\s+(?:my|the)\s+(?:to-?do\s+)?(?:list|tasks)$", _I)
_POLITE = re.compile(
    r"^(?:(?:please|ok|okay|hey|so|now|and|then)[,\s]+|(?:can|could|would) you\s+)+", _I
)

_HELP = re.compile(r"^(?:hi|hello|hey|help|what can you do|how does this work)\b", _I)
_LIST = [
    re.compile(
        r"^(?:what(?:'s| is| are)|show|list|display|see|view|get|give|tell)\b"
        r".*\b(?:list|tasks?|todos?|to-?dos?)\b",
        _I,
    ),
    re.compile(r"^(?:my\s+)?(?:open\s+|completed\s+|all\s+)?(?:tasks|todos|to-?dos|list)$", _I),
    re.compile(r"^what (?:do|should) i (?:have|need) to do\b", _I),
]
_ADD = re.compile(
    r"^(?:add|create|new|make|put|remember to|remind me to)\s+(?:a\s+|an\s+)?(?:new\s+)?"
    r"(?:(?:task|todo|to-do|item|reminder)\b\s*)?(?:to\s+|called\s+|named\s+|:\s*)?(?P<rest>.+)$",
    _I,
)
_REOPEN = [
    re.compile(r"^(?:reopen|re-open|uncheck|undo)\s+(?P<t>.+)$", _I),
    re.compile(r"^mark\s+(?P<t>.+?)\s+(?:as\s+)?(?:not done|open|incomplete|undone|to ?do)$", _I),
]
_COMPLETE = [
    re.compile(r"^(?:mark|set)\s+(?P<t>.+?)\s+(?:as\s+)?(?:done|complete|completed|finished)$", _I),
    re.compile(r"^(?:complete|finish|check off|tick off|cross off)\s+(?P<t>.+)$", _I),
    re.compile(r"^(?P<t>.+?)\s+is\s+(?:done|finished|complete)$", _I),
    re.compile(r"^i\s+(?:have\s+)?(?:finished|completed|did|done)\s+(?P<t>.+)$", _I),
]
_RENAME = [
    re.compile(r"^(?:rename|retitle)\s+(?P<t>.+?)\s+(?:to|as)\s+(?P<title>.+)$", _I),
    re.compile(r"^change\s+the\s+(?:title|name)\s+of\s+(?P<t>.+?)\s+to\s+(?P<title>.+)$", _I),
]
_RESCHEDULE = re.compile(
    rf"^(?:move|reschedule|postpone|set)\s+(?P<t>.+?)\s+(?:due\s+)?(?:to|for|on|until)\s+"
    rf"(?P<when>{_DAY})$",
    _I,
)
_DELETE = re.compile(
    r"^(?:delete|remove|drop|erase|get rid of|cancel)\s+(?P<t>.+?)"
    r"(?:\s+(?:from|off)\s+(?:my|the)\s+(?:to-?do\s+)?list)?$",
    _I,
)
_NUMBER = re.compile(r"^(?:(?:task|todo|item|number|no\.?)\s*)?#?\s*(\d+)$", _I)


def parse(text: str, today: date) -> Intent | None:
    """The todo request in `text`, or None when it is not one."""
    text = _POLITE.sub("", text.strip()).strip().rstrip(".!?").strip()
    if not text:
        return None
    if _HELP.match(text):
        return Help()
    if any(p.match(text) for p in _LIST):
        return ListTasks(_status(text))
    if m := _ADD.match(text):
        return _add(m["rest"], today)
    for p in _REOPEN:
        if (m := p.match(text)) and (t := target(m["t"])) is not None:
            return ReopenTask(t)
    for p in _COMPLETE:
        if (m := p.match(text)) and (t := target(m["t"])) is not None:
            return CompleteTask(t)
    for p in _RENAME:
        if (m := p.match(text)) and (t := target(m["t"])) is not None:
            return RenameTask(t, _unquote(m["title"]))
    if (m := _RESCHEDULE.match(text)) and (t := target(m["t"])) is not None:
        due = when(m["when"], today)
        if due is not None:
            return RescheduleTask(t, due)
    if (m := _DELETE.match(text)) and (t := target(m["t"])) is not None:
        return DeleteTask(t)
    return None


def target(text: str) -> Target | None:
    """A task number, or the words naming a task ("the milk task" → "milk")."""
    text = text.strip()
    if m := _NUMBER.match(text):
        return int(m[1])
    words = _unquote(text)
    words = re.sub(r"^(?:the|my|that|this)\s+", "", words, flags=_I)
    words = re.sub(r"\s+(?:task|todo|to-do|item|one)$", "", words, flags=_I)
    words = re.sub(r"^(?:task|todo|item)\s+", "", words, flags=_I).strip()
    return words or None


def when(text: str, today: date) -> date | None:
    """The date a phrase such as "tomorrow", "friday" or "2026-05-01" means."""
    text = text.strip().lower()
    if text in ("today", "tonight"):
        return today
    if text == "tomorrow":
        return today + timedelta(days=1)
    if text in _WEEKDAYS:
        ahead = (_WEEKDAYS.index(text) - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    if m := re.fullmatch(r"in (\d+) days?", text):
        return today + timedelta(days=int(m[1]))
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _add(rest: str, today: date) -> AddTask | None:
    rest = _TO_LIST.sub("", rest.strip())
    due = None
    if m := _TRAILING_DUE.search(rest):
        due = when(m["when"], today)
        rest = rest[: m.start()]
    title = _unquote(rest)
    return AddTask(title, due) if title else None


def _status(text: str) -> Literal["all", "open", "completed"]:
    if re.search(r"\b(?:completed|done|finished)\b", text, _I):
        return "completed"
    if re.search(r"\ball\b", text, _I):
        return "all"
    return "open"


def _unquote(text: str) -> str:
    return text.strip().strip(_QUOTES).strip()
