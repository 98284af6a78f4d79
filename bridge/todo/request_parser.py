"""Everyday todo requests, read as people type them: `parse` turns one message into an
`Intent`. Lower case, no punctuation, polite openings ("pls", "can you"), typos in the verb
("dleete", "compelte", "ad"), prefixes ("todo:", "Add:"), "I need to…", several tasks in one
message, dates ("next week", "on Dec 20")."""

from __future__ import annotations

import re
from typing import Literal

from rapidfuzz.distance import DamerauLevenshtein

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

_VERBS = frozenset(
    {"add", "create", "delete", "remove", "complete", "finish", "rename", "change", "move"}
    | {"reschedule", "postpone", "show", "list", "mark", "clear", "reopen", "uncheck"}
    | {"update", "display", "cancel", "forget", "erase"}
)
_VERB_ALIASES = {"ad": "add", "del": "delete", "rm": "remove", "rem": "remove", "ls": "list"}

_OPENING = re.compile(
    r"^(?:(?:please|pls|plz|ok|okay|k|hey|hi|hello|so|now|and|then|also|oh|um|uh|just|"
    r"alright|right|great|cool|thanks|thx|yo|actually|wait|oh wait|no wait|sorry|oops)\b[,!.\s]*"
    r"|(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+|pls\s+)?"
    r"|i\s+(?:want|wanna|would like|'d like|d like)\s+(?:you\s+)?to\s+"
    r"|(?:let'?s|lets)\s+)+",
    _I,
)
_CLOSING = re.compile(
    r"(?:[\s,]+(?:please|pls|plz|thanks|thank you|thx|ty|for me|now|asap))+$|[\s.!?]+$", _I
)


# ---- the requests ---------------------------------------------------------------------------

_HELP = re.compile(
    r"^(?:help|\?|what can you do|what do you do|how does this work|how do i use (?:this|you)"
    r"|commands|what can i (?:say|do|ask))$",
    _I,
)
_CHAT: list[tuple[re.Pattern[str], Literal["hello", "thanks", "ok", "bye", "how", "who"]]] = [
    (
        re.compile(
            r"^(?:hi+|hello+|hey+|yo|hiya|howdy|good (?:morning|afternoon|evening)|sup)"
            r"(?: there)?$",
            _I,
        ),
        "hello",
    ),
    (
        re.compile(
            r"^(?:thanks?(?: you)?(?: so much| a lot)?|thx|ty|cheers|much appreciated)$", _I
        ),
        "thanks",
    ),
    (
        re.compile(
            r"^(?:ok(?:ay)?|k|kk|cool|great|nice|awesome|perfect|got it|lol|haha|sounds good"
            r"|alright|all done|i'?m done|im done|done|that'?s all|that'?s it)$",
            _I,
        ),
        "ok",
    ),
    (re.compile(r"^(?:bye|goodbye|see ya|see you|good night|night|later)$", _I), "bye"),
    (
        re.compile(
            r"^(?:how are (?:you|u)|how's it going|hows it going|what's up|whats up"
            r"|how are things)$",
            _I,
        ),
        "how",
    ),
    (re.compile(r"^(?:who are you|what are you|are you (?:a bot|real|human|an ai))$", _I), "who"),
]
_YES = re.compile(
    r"^(?:y|yes|yeah|yea|yep|yup|ya|sure|ok(?:ay)? do it|do it|go ahead|confirm|confirmed|"
    r"correct|absolutely|definitely|please do|yes please|yes do it|yes delete (?:it|them)|"
    r"affirmative)$",
    _I,
)
_NO = re.compile(
    r"^(?:n|no|nope|nah|no thanks|no wait|wait|don'?t|do not|cancel|stop|never ?mind|nvm|forget it|"
    r"leave it|keep (?:it|them)|no don'?t|not now|abort)$",
    _I,
)

_SPLIT = re.compile(
    r"\s*(?:;|\n|\.\s+(?=add\b)|,?\s+(?:and\s+)?(?:then|also)\s+(?=add\b)"
    r"|,?\s+and\s+(?=add\b)|,\s*(?=add\b))\s*",
    _I,
)
_ADD = re.compile(
    r"^(?:(?:add|create|make|put|new|insert|jot down|write down)(?:\s*:\s*|\s+)"
    r"(?:a\s+|an\s+)?(?:new\s+)?(?:(?:task|todo|to-do|item|reminder|entry)s?\b\s*)?"
    r"(?:to\s+(?=\w+\s)|called\s+|named\s+|for\s+|:\s*|-\s*)?"
    r"|(?:task|reminder|note to self|note)\s*[:\-]\s*|(?:to-?do|new task|new todo)\s*[:\-]?\s*"
    r"|(?:remind me to|remind me|remember to|don'?t (?:let me )?forget to|dont forget to|"
    r"don'?t let me forget to)\s+"
    r"|(?:i\s+(?:really\s+|still\s+|also\s+)?(?:need to|have to|gotta|got to|'ve got to|ve got to|"
    r"must|should|ought to)|need to|have to|gotta|got to)\s+"
    r")(?P<rest>.+)$",
    _I,
)
_TO_LIST = re.compile(
    r"\s+(?:to|on|onto|in|into)\s+(?:my|the)\s+(?:to-?do\s+|todo\s+|task\s+|shopping\s+)?"
    r"(?:list|tasks|todos)\b",
    _I,
)

_LIST_NOUN = (
    r"(?:list|lists|tasks?|todos?|to-?dos?|to do|left|remaining|pending|due|overdue|late|done|"
    r"completed|finished|everything|plate|agenda|open|outstanding|unfinished|next)"
)
_LIST = [
    re.compile(
        r"^(?:what(?:'s|s| is| are| do i have| have i got)?|show|shw|display|see|view|give|"
        r"tell|which|any|anything|do i have|have i|read|print|pull up|open|list|"
        r"remaining|outstanding|pending)\b.*\b" + _LIST_NOUN + r"\b",
        _I,
    ),
    re.compile(
        r"^(?:my\s+|the\s+)?(?:(?:open|completed|done|finished|all|pending|remaining|overdue|"
        r"todays?|today's)\s+)?(?:tasks|todos|to-?dos|list|todo list|to-?do list|stuff)$",
        _I,
    ),
    re.compile(
        r"^(?:list|show|display)(?:\s+(?:all|everything|them|it|open|done|completed))?$", _I
    ),
    re.compile(r"^what (?:do|should|must) i (?:have|need|got) to do\b", _I),
    re.compile(r"^how many\b", _I),
    re.compile(
        r"^what (?:did i|have i|i) (?:do|done|did|finish|finished|complete|completed|get done|"
        r"got done|check off|tick off)\b",
        _I,
    ),
    re.compile(r"^(?:anything|what(?:'s|s| is)?) (?:due|overdue|late|coming up|upcoming)\b", _I),
    re.compile(r"^what(?:'s|s| is)? on (?:for )?(?:today|tonight|tomorrow|this week)$", _I),
    re.compile(r"^(?:due|overdue) (?:today|tomorrow|this week|tasks)$", _I),
    re.compile(r"^(?:overdue|late|upcoming|due soon)$", _I),
]
_NEXT = re.compile(
    r"^(?:what(?:'s|s| is)? (?:next|first|up next|my next task|the next task)|next task|"
    r"what should i (?:do|start with|work on)(?: next| first| now)?|where do i start|"
    r"what(?:'s|s| is)? (?:most urgent|the most urgent)(?: task)?)$",
    _I,
)

_T = r"(?P<t>.+?)"
_DONE_WORD = (
    r"(?:done|complete|completed|finished|checked(?: off)?|ticked(?: off)?|crossed off|off)"
)
_COMPLETE = [
    re.compile(rf"^(?:mark|set|make|flag|put)\s+{_T}\s+(?:as\s+)?{_DONE_WORD}$", _I),
    re.compile(rf"^(?:mark|check|tick|cross)\s+off\s+{_T}$", _I),
    re.compile(rf"^(?:mark|check|tick|cross)\s+{_T}\s+off(?:\s+(?:my|the)\s+list)?$", _I),
    re.compile(rf"^(?:i'?m\s+|im\s+|i am\s+)?(?:done|finished)\s+with\s+{_T}$", _I),
    re.compile(
        rf"^(?:complete|finish|finished|completed|check|tick|close|done|did)\s*:?\s+{_T}$", _I
    ),
    re.compile(
        rf"^{_T}\s*(?:is|are|'s|s|was|-|:)?\s+(?:all\s+)?"
        r"(?:done|finished|complete|completed|sorted|taken care of|checked off|handled)$",
        _I,
    ),
    re.compile(
        r"^i(?:\s+have|'ve|ve)?(?:\s+just|\s+already)*\s+"
        rf"(?:finished|completed|did|done|took care of)\s+{_T}$",
        _I,
    ),
    re.compile(rf"^(?:got|get)\s+{_T}\s+done$", _I),
]
_REOPEN = [
    re.compile(
        rf"^(?:reopen|re-open|uncheck|untick|unmark|undo|restore|unfinish|uncomplete)\s+{_T}$", _I
    ),
    re.compile(
        rf"^(?:mark|set|make|put)\s+{_T}\s+(?:as\s+)?(?:not done|not finished|not complete|open|"
        r"incomplete|undone|unfinished|to ?do|pending|active|not completed)$",
        _I,
    ),
    re.compile(
        rf"^{_T}\s+(?:isn'?t|wasn'?t|is not|was not|aren'?t|are not)\s+(?:done|finished)"
        r"(?: after all| yet)?$",
        _I,
    ),
]
_DUE_CHANGE = re.compile(
    r"^(?:move|reschedule|postpone|push|delay|shift|bump|set|change|put|make)\s+"
    r"(?:the\s+)?(?:due\s+date|deadline|date)\s+(?:of|for|on)\s+(?P<t>.+?)"
    r"\s+(?:to|for|as|on)\s+(?P<when>.+)$",
    _I,
)
_RESCHEDULE = [
    re.compile(
        r"^(?:move|reschedule|postpone|push back|push|delay|shift|bump|set|change|put|make)\s+"
        r"(?P<rest>.+)$",
        _I,
    ),
    re.compile(r"^(?P<rest>.+?\s+(?:is\s+|should be\s+)?(?:now\s+)?due\s+.+)$", _I),
]
_RESCHEDULE_GLUE = re.compile(
    r"\s+(?:(?:is\s+|should be\s+)?(?:now\s+)?(?:to\s+be\s+)?due|to|for|on|until|till|til|by|"
    r"back to|back|off to|off until|is|are|should be|now)$",
    _I,
)
_RENAME = [
    re.compile(
        r"^(?:change|update|edit|set)\s+the\s+(?:title|name|text|wording)\s+of\s+"
        rf"{_T}\s+to\s+(?P<title>.+)$",
        _I,
    ),
    re.compile(
        r"^(?:rename|retitle|reword|change|edit|update|fix|correct|modify)\s+"
        rf"{_T}\s+(?:to|as|into|->|=>)\s+(?P<title>.+)$",
        _I,
    ),
    re.compile(rf"^replace\s+{_T}\s+with\s+(?P<title>.+)$", _I),
    re.compile(rf"^{_T}\s+should\s+(?:say|read|be called)\s+(?P<title>.+)$", _I),
]
_DELETE = [
    re.compile(
        rf"^(?:delete|remove|drop|erase|get rid of|cancel|forget|forget about|scrap|trash|bin|"
        r"nuke|ditch|kill|clear|wipe|wipe out|clean out|clean up|purge|discard|del|rm|scratch|"
        rf"strike|take)\s+{_T}(?:\s+(?:off|out))?$",
        _I,
    ),
    re.compile(
        rf"^(?:i\s+)?(?:don'?t|do not|no longer)\s+need\s+(?:to\s+)?{_T}(?:\s+any\s?more)?$", _I
    ),
    re.compile(
        rf"^{_T}\s+(?:can go|is not needed|isn'?t needed|is cancelled|is canceled|not needed)"
        r"(?: any\s?more)?$",
        _I,
    ),
    re.compile(rf"^never ?mind\s+(?:about\s+)?{_T}$", _I),
]
_CLEAR = re.compile(
    r"^(?:clear|delete|remove|clean up|clean out|purge|archive|wipe|get rid of|drop|trash)\s+"
    r"(?:all\s+|out\s+|the\s+|my\s+|of\s+|everything\s+|every\s+)*"
    r"(?:done|completed|finished|checked|ticked)"
    r"(?:\s+(?:ones|tasks?|todos?|items?|stuff))?$"
    r"|^(?:clear|clean up|purge)\s+(?:the\s+)?(?:done|completed|finished)$",
    _I,
)


def parse(text: str, clock: Clock) -> Intent:
    """The todo request in one message."""
    said = _CLOSING.sub("", " ".join(text.split())).strip()
    for pattern, kind in _CHAT:  # before openings are dropped: "hey there" is a greeting
        if pattern.match(said):
            return Chat(kind)
    text = _tidy(text)
    if not text:
        return Help()
    if _HELP.match(text):
        return Help()
    if _YES.match(text):
        return Reply(yes=True)
    if _NO.match(text):
        return Reply(yes=False)
    for pattern, kind in _CHAT:
        if pattern.match(text):
            return Chat(kind)
    bare = target(text)
    if bare is not None and not bare.words and not bare.every:
        return Reply(target=bare)
    if re.fullmatch(rf"(?:mark|set|make)\s+(?:as\s+)?{_DONE_WORD}|complete it", text, _I):
        return CompleteTask(Target(it=True))  # "mark done": the task just talked about
    if re.fullmatch(r"the\s+(?:\w+\s+){1,3}one", text, _I) and bare and bare.words:
        return Reply(target=bare)
    intent = _request(_fix_verb(text), clock)
    return intent if intent is not None else _unclear(text, clock)


def _request(text: str, clock: Clock) -> Intent | None:
    if _NEXT.match(text):
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
    if _CLEAR.match(text):
        return DeleteTask(Target(every=True, status="completed"))
    if _LIST[1].match(text) or _LIST[2].match(text):
        return _list(text)  # "todo list" is the list, not a task called "list"
    adds = [part for part in _SPLIT.split(text) if part.strip()]
    if len(adds) > 1 and all(_ADD.match(part) for part in adds):
        added = [_add(_ADD.match(part)["rest"], clock) for part in adds]  # type: ignore[index]
        return AddTasks(tuple(task for task in added if task))
    if m := _ADD.match(text):
        first = text.split(maxsplit=1)[0].lower()
        if not (
            first in ("make", "put") and not re.search(r"\b(?:task|todo|list|reminder)\b", text, _I)
        ):
            task = _add(m["rest"], clock)
            if task is not None:
                return AddTasks((task,))
    if any(p.match(text) for p in _LIST):
        return _list(text)
    m = _DUE_CHANGE.match(text)
    if m and (t := target(m["t"])) and (due := parse_date(m["when"], clock)):
        return RescheduleTask(t, due.isoformat())
    for p in _REOPEN:
        if (m := p.match(text)) and (t := target(m["t"])) is not None:
            return ReopenTask(t)
    for p in _COMPLETE:
        if (m := p.match(text)) and (t := target(m["t"])) is not None:
            return CompleteTask(t)
    for p in _RESCHEDULE:
        if m := p.match(text):
            rest, due = split_due(m["rest"], clock)
            rest = _RESCHEDULE_GLUE.sub("", _RESCHEDULE_GLUE.sub("", rest))
            if due is not None and (t := target(rest)) is not None:
                return RescheduleTask(t, due.isoformat())
    for p in _RENAME:
        if (m := p.match(text)) and (t := target(m["t"])) is not None:
            title = unquote(m["title"])
            if title:
                return RenameTask(t, title)
    for p in _DELETE:
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
    rest = _TO_LIST.sub("", rest).strip(" ,")
    title, due = split_due(rest, clock)
    title = _TO_LIST.sub("", unquote(title)).strip(" ,")
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
    verb_only = " " not in text and first in _VERBS | {"undo", "redo", "revert", "edit", "back"}
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
        text = _OPENING.sub("", text).strip() or text  # "hi" alone stays "hi"
        text = _CLOSING.sub("", text).strip() or text
    return text.strip(" .!?") if len(text) > 1 else text


def _fix_verb(text: str) -> str:
    """The message with a mistyped first word put right ("dleete 3", "ad milk")."""
    first, _, rest = text.partition(" ")
    lower = first.lower().rstrip(":")
    if lower in _VERBS or not rest:
        return text
    if lower in _VERB_ALIASES:
        return f"{_VERB_ALIASES[lower]}{':' if first.endswith(':') else ''} {rest}"
    if len(lower) < 4:
        return text
    for verb in _VERBS:
        # One letter left out, added or swapped; never changed ("clean" is not "clear").
        if DamerauLevenshtein.distance(lower, verb, score_cutoff=1) <= 1 and (
            len(lower) != len(verb) or sorted(lower) == sorted(verb)
        ):
            return f"{verb}{':' if first.endswith(':') else ''} {rest}"
    return text
