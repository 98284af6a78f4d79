"""What the offline model does about a todo request: which tools to call, then what to say.

A request is planned as a script (a generator) that yields tool calls and receives their
output. The model is asked once per step, so each time the script is replayed with the
outputs the Runner has recorded so far; it is deterministic, so the replay takes the same
path and yields the next call, or returns the answer.

Safety first: a change to several tasks named by "all", "them" or words, and a delete the
words do not pin down (a typo match), are asked about first ("Delete 4 tasks: …? Say yes to
confirm."). The conversation state such a question needs is the thread itself: the question
lists the task numbers, and the request it answers is the user message before it, so a
"yes" works after a restart or on another worker.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..agent.step_model import Call
from . import intents
from .due_dates import Clock
from .intents import Change, Intent, Target
from .request_parser import parse
from .tasks import match_quality, match_tasks

Script = Generator[list[Call], list[str], str]
"""Yields the tool calls of one step (run together, like a model's parallel calls), receives
their outputs in the same order, and returns the answer."""

CONFIRM = "Say yes to confirm."
OFFER = "Say yes to add it."
WHICH = "Which one? Tell me its number."
HELP = (
    "I keep your todo list. Try “add buy milk tomorrow”, “what's on my list”, “what's due "
    "today”, “mark 2 done”, “done with the milk task”, “rename 3 to call mom”, “move 2 to "
    "friday”, “delete task 2” or “clear completed tasks”."
)
HINT = "Try “add buy milk” or “what's on my list”."
CHAT = {
    "hello": f"Hi! I keep your todo list. {HINT}",
    "thanks": "You're welcome!",
    "ok": "👍",
    "bye": "Bye! Your list will be here when you come back.",
    "how": f"All good, and ready to help with your list. {HINT}",
    "who": "I'm the offline todo model: I add, list, complete, rename, reschedule and delete "
    "tasks.",
}
FALLBACK = f"Offline, I can only help with your todo list. {HINT}"


@dataclass
class Conversation:
    """What the thread says about the request being answered."""

    request: str
    previous_request: str = ""
    question: str = ""
    """The model's last answer when it asked something (and the user has not moved on)."""
    mentioned: list[int] = field(default_factory=list)
    """The tasks the latest answer that named tasks was about ("it", "them")."""
    shown: list[int] = field(default_factory=list)
    """The tasks of the last list shown ("the first one")."""


def script(intent: Intent, talk: Conversation, clock: Clock) -> Script:
    """The tool calls for `intent`, ending with the answer."""
    match intent:
        case intents.AddTasks(tasks):
            outputs = []
            for title, due in tasks:  # one at a time: numbered in the order they were named
                args: dict[str, Any] = {"title": title}
                if due:
                    args["due_date"] = due
                outputs.append((yield from _one(Call("add_task", args))))
            return " ".join(outputs)
        case intents.ListTasks(status, due):
            if due is None:
                output = yield from _one(Call("list_tasks", {"status": status}))
                first = output.split("\n", 1)[0].rstrip(":.")
                return first.replace("The user has", "You have") + "."
            return _due(due, (yield from _find("", "open")), clock.today())
        case intents.NextTask():
            return _next((yield from _find("", "open")))
        case intents.Reply():
            return (yield from _reply(intent, talk, clock))
        case intents.Chat(kind):
            return CHAT[kind]
        case intents.Help():
            return HELP
        case intents.Unclear(title, due, done):
            if title and _asked(talk) == "which":
                return (yield from _reply(intents.Reply(target=Target(words=title)), talk, clock))
            if done:
                found = yield from _find(done, "open")
                if len(found) == 1 and match_quality(done, found[0]):
                    return _confirm(intents.CompleteTask(Target(words=done)), found)
            if title:
                when = f" (due {due})" if due else ""
                return f"Add “{title}”{when} as a task? {OFFER}"
            return FALLBACK
        case _:
            return (yield from _change(intent, talk))


def _change(intent: Change, talk: Conversation, *, pinned: bool = False) -> Script:
    """Resolve the target, then act, ask which one, or ask to confirm."""
    target = intent.target
    if target.numbers:
        return (yield from _act(intent, list(target.numbers)))
    # "the last one": of the question's or the shown list's tasks, else the last talked about.
    if target.it or (target.position == -1 and not _candidates(talk) and not talk.shown):
        if not talk.mentioned:
            return "Which task do you mean? Tell me its number."
        return (yield from _act_on_several(intent, [{"id": n} for n in talk.mentioned], talk))
    if target.position is not None:
        pool = _candidates(talk) or talk.shown
        seen = bool(pool)
        if not seen:
            found = yield from _find("", "open")
            pool = [task["id"] for task in found]
        index = target.position - 1 if target.position > 0 else len(pool) - 1
        if not 0 <= index < len(pool):
            return f"There are only {len(pool)} tasks to pick from. Tell me its number."
        if not seen and isinstance(intent, intents.DeleteTask):
            # "the first one" of a list the user has not seen here does not pin a task down.
            return _confirm(intent, [found[index]])
        return (yield from _act(intent, [pool[index]]))
    if target.every:
        status = _every_status(intent, target)
        found = yield from _find("", status)
        if not found:
            label = {"all": "", "open": "open ", "completed": "completed "}[status]
            return f"You have no {label}tasks, so nothing changed."
        if len(found) == 1 and not isinstance(intent, intents.DeleteTask):
            return (yield from _act(intent, [found[0]["id"]]))
        return _confirm(intent, found)
    found = yield from _find(target.words, "all")
    parts = re.split(r"\s*(?:,|\band\b|&)\s*", target.words)
    if not found and len(parts) > 1 and not isinstance(intent, _ONE_TASK_ONLY):
        # "the milk and the eggs": two tasks, each named by its own words.
        several = []
        for part in parts:
            named = _prefer(intent, (yield from _find(part, "all"))) if part else []
            if len(named) != 1:
                break
            several.append(named[0])
        else:
            return _confirm(intent, several)
    if not found:
        return f"I couldn't find a task matching “{target.words}”."
    found = _prefer(intent, found)
    if len(found) > 1:
        listed = ", ".join(_named(task) for task in found)
        return f"Several tasks match “{target.words}”: {listed}. {WHICH}"
    [task] = found
    if (
        isinstance(intent, intents.DeleteTask)
        and not pinned
        and match_quality(target.words, task) < 2
    ):
        return _confirm(intent, found)
    return (yield from _act(intent, [task["id"]]))


_ONE_TASK_ONLY = (intents.RenameTask, intents.RescheduleTask)


def _act_on_several(intent: Change, tasks: list[dict[str, Any]], talk: Conversation) -> Script:
    if len(tasks) == 1:
        return (yield from _act(intent, [tasks[0]["id"]]))
    if isinstance(intent, _ONE_TASK_ONLY):
        return f"That was {len(tasks)} tasks. {WHICH}"
    known = {task["id"]: task for task in (yield from _find("", "all"))}
    return _confirm(intent, [known.get(task["id"], task) for task in tasks])


def _act(intent: Change, numbers: list[int]) -> Script:
    # One step for every task: the Runner allows a few model turns, not one per task.
    return " ".join((yield [_call(intent, number) for number in dict.fromkeys(numbers)]))


def _call(intent: Change, number: int) -> Call:
    match intent:
        case intents.CompleteTask():
            return Call("complete_task", {"task_id": number})
        case intents.ReopenTask():
            return Call("update_task", {"task_id": number, "completed": False})
        case intents.RenameTask(_, title):
            return Call("update_task", {"task_id": number, "title": title})
        case intents.RescheduleTask(_, due):
            return Call("update_task", {"task_id": number, "due_date": due})
        case intents.DeleteTask():
            return Call("delete_task", {"task_id": number})


def _reply(reply: intents.Reply, talk: Conversation, clock: Clock) -> Script:
    asked = _asked(talk)
    earlier = parse(talk.previous_request, clock) if talk.previous_request else None
    if reply.yes is not None:
        if asked in ("confirm", "offer") and not reply.yes:
            return "OK, nothing changed."
        if asked == "confirm" and isinstance(earlier, Change):
            return (yield from _act(earlier, _numbers(talk.question)))
        if asked == "confirm" and isinstance(earlier, intents.Unclear) and earlier.done:
            done = intents.CompleteTask(Target(words=earlier.done))
            return (yield from _act(done, _numbers(talk.question)))
        if asked == "offer" and isinstance(earlier, intents.Unclear) and earlier.title:
            again = intents.AddTasks(((earlier.title, earlier.due),))
            return (yield from script(again, talk, clock))
        if asked == "which":
            return WHICH if reply.yes else "OK, nothing changed."
        return "OK." if reply.yes else "OK, nothing changed."
    target = reply.target
    assert target is not None
    if asked == "which" and isinstance(earlier, Change):
        candidates = _candidates(talk)
        if target.words:
            titles = _titles(talk.question)
            named = match_tasks(target.words, [{"id": n, "title": titles[n]} for n in candidates])
            if len(named) != 1:
                return f"I still can't tell which one. {WHICH}"
            target = Target(numbers=(named[0]["id"],))
        return (yield from _change(intents.with_target(earlier, target), talk, pinned=True))
    if target.numbers and len(target.numbers) == 1:
        [number] = target.numbers
        task = next((t for t in (yield from _find("", "all")) if t["id"] == number), None)
        if task is None:
            return f"There is no task {number}."
        return _describe(task)
    if target.words:
        found = yield from _find(target.words, "all")
        if len(found) == 1:
            return _describe(found[0])
        if found:
            return "These match: " + ", ".join(_state(task) for task in found) + "."
        return f"I couldn't find a task matching “{target.words}”."
    return FALLBACK


def _one(call: Call) -> Generator[list[Call], list[str], str]:
    [output] = yield [call]
    return output


def _state(task: dict[str, Any]) -> str:
    return f"{_named(task)} ({'done' if task['completed'] else 'open'})"


def _describe(task: dict[str, Any]) -> str:
    state = "done" if task["completed"] else "open"
    number = task["id"]
    return (
        f"Task {_named(task)} is {state}. Say “mark {number} done”, “rename {number} to …” "
        f"or “delete {number}”."
    )


def _find(text: str, status: str) -> Generator[list[Call], list[str], list[dict[str, Any]]]:
    output = yield from _one(Call("find_tasks", {"text": text, "status": status}))
    try:
        found = json.loads(output)
    except ValueError:
        return []
    return found if isinstance(found, list) else []


def _prefer(intent: Change, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Of several matches, the ones the change makes sense for (open ones to complete)."""
    if len(found) > 1 and isinstance(intent, intents.CompleteTask):
        return [task for task in found if not task["completed"]] or found
    if len(found) > 1 and isinstance(intent, intents.ReopenTask):
        return [task for task in found if task["completed"]] or found
    return found


def _every_status(intent: Change, target: Target) -> str:
    if isinstance(intent, intents.CompleteTask):
        return "open"
    if isinstance(intent, intents.ReopenTask):
        return "completed"
    return target.status


def _confirm(intent: Change, tasks: list[dict[str, Any]]) -> str:
    listed = ", ".join(_named(task) for task in tasks)
    count = "task" if len(tasks) == 1 else f"{len(tasks)} tasks"
    match intent:
        case intents.DeleteTask():
            verb = f"Delete {count}"
        case intents.CompleteTask():
            verb = f"Mark {count} done"
        case intents.ReopenTask():
            verb = f"Reopen {count}"
        case _:
            verb = f"Change {count}"
    return f"{verb}: {listed}? {CONFIRM}"


def _named(task: dict[str, Any]) -> str:
    due = f" (due {task['due_date']})" if task.get("due_date") else ""
    title = task.get("title")
    return f"{task['id']} “{title}”{due}" if title is not None else f"task {task['id']}"


def _due(due: str, tasks: list[dict[str, Any]], today: date) -> str:
    end_of_week = today + timedelta(days=6 - today.weekday())
    tests: dict[str, Callable[[date], bool]] = {
        "today": lambda d: d == today,
        "tomorrow": lambda d: d == today + timedelta(days=1),
        "overdue": lambda d: d < today,
        "week": lambda d: today <= d <= end_of_week,
        "dated": lambda d: True,
    }
    label = {
        "today": "due today",
        "tomorrow": "due tomorrow",
        "overdue": "overdue",
        "week": "due this week",
        "dated": "due",
    }[due]
    hits = sorted(
        (
            task
            for task in tasks
            if task.get("due_date") and tests[due](date.fromisoformat(task["due_date"]))
        ),
        key=lambda task: (task["due_date"], task["id"]),
    )
    if not hits:
        return f"Nothing is {label}."
    noun = "task is" if len(hits) == 1 else "tasks are"
    return f"{len(hits)} {noun} {label}: " + ", ".join(_named(task) for task in hits) + "."


def _next(tasks: list[dict[str, Any]]) -> str:
    if not tasks:
        return "Nothing left to do: your list is clear."
    task = min(tasks, key=lambda t: (t.get("due_date") or "9999-12-31", t["id"]))
    return f"Next up: task {_named(task)}."


# ---- reading the question back --------------------------------------------------------------


def _asked(talk: Conversation) -> str | None:
    if talk.question.endswith(CONFIRM):
        return "confirm"
    if talk.question.endswith(OFFER):
        return "offer"
    if talk.question.endswith(WHICH):
        return "which"
    return None


def _candidates(talk: Conversation) -> list[int]:
    return _numbers(talk.question) if _asked(talk) == "which" else []


_NAMED = re.compile(r"(\d+) “([^”]*)”")


def _numbers(text: str) -> list[int]:
    return list(dict.fromkeys(int(n) for n, _ in _NAMED.findall(text)))


def _titles(text: str) -> dict[int, str]:
    return {int(n): title for n, title in _NAMED.findall(text)}


def mentioned(text: str) -> list[int]:
    """The task numbers an answer names ("Added task 7 “buy milk”.")."""
    return _numbers(text)


def shown(text: str) -> list[int]:
    """The task numbers of a task list's text ("[ ] 3. buy milk")."""
    return [int(n) for n in re.findall(r"(?:^|: )\[.\] (\d+)\. ", text, re.MULTILINE)]
