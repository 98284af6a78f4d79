"""Everyday todo requests, read as people type them: `parse` turns one message into an
`Intent`. Lower case, no punctuation, polite openings ("pls", "can you"), typos in the verb
("dleete", "compelte", "ad"), prefixes ("todo:", "Add:"), "I need to…", several tasks in one
message, dates ("next week", "on Dec 20")."""

from __future__ import annotations

import re

from rapidfuzz.distance import DamerauLevenshtein

from . import phrases
from .due_dates import Clock, parse_date, split_due
from .intents import (
    AddTasks,
    Chat,
    CompleteTask,
    DeleteTask,
    Due,
    Help,
    Intent,
    ListTasks,
    NextTask,
    RenameTask,
    ReopenTask,
    Reply,
    RescheduleTask,
    Status,
    Target,
    Unclear,
)
from .task_references import target, unquote
from .tasks import lemma, naming_words

_I = re.IGNORECASE


def parse(text: str, clock: Clock) -> Intent:
    """The todo request in one message."""
    said = phrases.CLOSING.sub("", " ".join(text.split())).strip()
    for pattern, kind in phrases.CHAT:  # before openings are dropped: "hey there" is a greeting
        if pattern.match(said):
            return Chat(kind)
    text = _tidy(text)
    if not text:
        return Help()
    if phrases.HELP.match(text):
        return Help()
    if phrases.YES.match(text):
        return Reply(yes=True)
    if phrases.NO.match(text):
        return Reply(yes=False)
    for pattern, kind in phrases.CHAT:
        if pattern.match(text):
            return Chat(kind)
    bare = target(text)
    if bare is not None and not bare.words and not bare.every:
        return Reply(target=bare)
    if re.fullmatch(rf"(?:mark|set|make)\s+(?:as\s+)?{phrases.DONE_WORD}|complete it", text, _I):
        return CompleteTask(Target(it=True))  # "mark done": the task just talked about
    if re.fullmatch(r"the\s+(?:\w+\s+){1,3}one", text, _I) and bare and bare.words:
        return Reply(target=bare)
    intent = _request(_fix_verb(text), clock)
    return intent if intent is not None else _unclear(text, clock)


def _request(text: str, clock: Clock) -> Intent | None:
    if phrases.NEXT.match(text):
        return NextTask()
    asked = re.fullmatch(
        r"(?:is|are|was)\s+(.+?)\s+(?:done|finished|complete|completed|open|still open"
        r"|on (?:my|the) list)\??|did i (?:finish|complete|do)\s+(.+?)\??",
        text,
        _I,
    )
    if asked and (t := target(asked[1] or asked[2])) and (t.words or len(t.numbers) == 1):
        return Reply(target=t)  # a question about a task: its state, nothing changes
    one = re.fullmatch(
        r"(?:what(?:'s|s| is)|show(?: me)?|tell me about|details (?:of|for))\s+(.+)", text, _I
    )
    if one and (t := target(one[1])) is not None and len(t.numbers) == 1:
        return Reply(target=t)
    if phrases.CLEAR.match(text):
        return DeleteTask(Target(every=True, status="completed"))
    if phrases.LIST[1].match(text) or phrases.LIST[2].match(text):
        return _list(text)  # "todo list" is the list, not a task called "list"
    adds = [part for part in phrases.SPLIT.split(text) if part.strip()]
    if len(adds) > 1 and all(phrases.ADD.match(part) for part in adds):
        added = [_add(phrases.ADD.match(part)["rest"], clock) for part in adds]  # type: ignore[index]
        return AddTasks(tuple(task for task in added if task))
    if m := phrases.ADD.match(text):
        first = text.split(maxsplit=1)[0].lower()
        if not (
            first in ("make", "put") and not re.search(r"\b(?:task|todo|list|reminder)\b", text, _I)
        ):
            task = _add(m["rest"], clock)
            if task is not None:
                return AddTasks((task,))
    if any(p.match(text) for p in phrases.LIST):
        return _list(text)
    m = phrases.DUE_CHANGE.match(text)
    if m and (t := target(m["t"])) and (due := parse_date(m["when"], clock)):
        return RescheduleTask(t, due.isoformat())
    for p in phrases.REOPEN:
        if (m := p.match(text)) and (t := target(m["t"])) is not None:
            return ReopenTask(t)
    for p in phrases.COMPLETE:
        if (m := p.match(text)) and (t := target(m["t"])) is not None:
            return CompleteTask(t)
    for p in phrases.RESCHEDULE:
        if m := p.match(text):
            rest, due = split_due(m["rest"], clock)
            rest = phrases.RESCHEDULE_GLUE.sub("", phrases.RESCHEDULE_GLUE.sub("", rest))
            if due is not None and (t := target(rest)) is not None:
                return RescheduleTask(t, due.isoformat())
    for p in phrases.RENAME:
        if (m := p.match(text)) and (t := target(m["t"])) is not None:
            title = unquote(m["title"])
            if title:
                return RenameTask(t, title)
    for p in phrases.DELETE:
        if (m := p.match(text)) and (t := target(m["t"])) is not None:
            return DeleteTask(t)
    return None


def _list(text: str) -> ListTasks:
    lower = text.lower()
    status: Status = "open"
    if re.search(
        r"\b(?:completed|done|finished|did i|have i done|checked off|ticked off)\b", lower
    ):
        status = "completed"
    elif re.search(r"\b(?:all|everything|every|whole|entire)\b", lower):
        status = "all"
    due: Due | None = None
    if re.search(r"\b(?:overdue|late|past due|missed)\b", lower):
        due = "overdue"
    elif re.search(r"\b(?:today|tonight|todays?|today's)\b", lower):
        due = "today"
    elif re.search(r"\b(?:tomorrow|tmrw)\b", lower):
        due = "tomorrow"
    elif re.search(r"\b(?:this week|the week|week)\b", lower):
        due = "week"
    elif re.search(
        r"^what(?:'s|s| is)? (?:due|coming up|upcoming)$|\b(?:upcoming|deadlines)\b", lower
    ):
        due = "dated"
    if due is not None and status == "completed":
        status = "open" if not re.search(r"\b(?:did i|have i done)\b", lower) else status
    return ListTasks(status, due)


def _add(rest: str, clock: Clock) -> tuple[str, str | None] | None:
    rest = unquote(rest.strip(" :-"))
    rest = phrases.TO_LIST.sub("", rest).strip(" ,")
    title, due = split_due(rest, clock)
    title = phrases.TO_LIST.sub("", unquote(title)).strip(" ,")
    if not naming_words(title) and not title.strip():
        return None
    return (title, due.isoformat() if due else None) if title else None


def _unclear(text: str, clock: Clock) -> Unclear:
    question = text.endswith("?") or re.match(
        r"^(?:what|whats|who|whom|why|when|where|which|how|is|are|am|was|can|could|do|does|did|"
        r"will|would|should|tell me|explain|write|translate|calculate)\b",
        text,
        _I,
    )
    first = _fix_verb(f"{text} x").split()[0].lower()
    verb_only = " " not in text and first in phrases.VERBS | {
        "undo",
        "redo",
        "revert",
        "edit",
        "back",
    }
    if question or verb_only or len(text.split()) > 12 or not re.search(r"[a-z]", text, _I):
        return Unclear()
    title, due = split_due(unquote(text), clock)
    if not title:
        return Unclear()
    report = re.sub(
        r"^(?:i\s+)?(?:just\s+|already\s+|finally\s+|have\s+|'ve\s+)*", "", text, flags=_I
    )
    first = report.split(maxsplit=1)[0].lower() if report.split() else ""
    # "called mom": a verb in another form than a task's title has it, and more words.
    done = report if len(report.split()) > 1 and lemma(first) != first else None
    return Unclear(title, due.isoformat() if due else None, done)


# ---- tidying what people type ---------------------------------------------------------------


def _tidy(text: str) -> str:
    lines = text.replace("\u2019", "'").splitlines()
    text = "\n".join(" ".join(line.split()) for line in lines if line.strip())
    before = None
    while before != text:
        before = text
        text = phrases.OPENING.sub("", text).strip() or text  # "hi" alone stays "hi"
        text = phrases.CLOSING.sub("", text).strip() or text
    return text.strip(" .!?") if len(text) > 1 else text


def _fix_verb(text: str) -> str:
    """The message with a mistyped first word put right ("dleete 3", "ad milk")."""
    first, _, rest = text.partition(" ")
    lower = first.lower().rstrip(":")
    if lower in phrases.VERBS or not rest:
        return text
    if lower in phrases.VERB_ALIASES:
        return f"{phrases.VERB_ALIASES[lower]}{':' if first.endswith(':') else ''} {rest}"
    if len(lower) < 4:
        return text
    for verb in phrases.VERBS:
        # One letter left out, added or swapped; never changed ("clean" is not "clear").
        if DamerauLevenshtein.distance(lower, verb, score_cutoff=1) <= 1 and (
            len(lower) != len(verb) or sorted(lower) == sorted(verb)
        ):
            return f"{verb}{':' if first.endswith(':') else ''} {rest}"
    return text
