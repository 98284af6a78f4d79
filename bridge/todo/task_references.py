"""How a message names tasks: "2 and 3", "task 7", "#3", "2-4", "the first one", "it",
"them", "all the done ones", or words from a title ("the milk one")."""

from __future__ import annotations

import re

from .intents import Status, Target
from .tasks import naming_words

_I = re.IGNORECASE
_QUOTES = "\"'\u201c\u201d\u2018\u2019`"

_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "last": -1,
}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_NUMBERS = re.compile(
    r"^(?:(?:tasks?|todos?|items?|numbers?|nos?\.?|#)\s*)*#?\d+"
    r"(?:\s*(?:,|and|&|\+)?\s*(?:(?:tasks?|todos?|items?|numbers?)\s*)?#?\d+)*$",
    _I,
)
_IT = re.compile(
    r"^(?:it|that|this|that one|this one|the one i just added|them|those|these|both|"
    r"both of them|all of them|them all|those ones|these ones)$",
    _I,
)
_EVERY = re.compile(
    r"^(?:(?:all|every|each)(?:\s+(?:of\s+)?(?:the|my))?(?:\s+(?P<s1>open|done|completed|"
    r"finished|checked|remaining|pending))?(?:\s+(?:tasks?|todos?|to-?dos?|items?|ones?|things))?"
    r"|everything(?:\s+(?P<s2>done|completed|finished))?|everything on (?:it|there)"
    r"|(?:the|my)(?: whole| entire| todo| to-do| to do)? list|my (?:tasks|todos|stuff)"
    r"|all (?:my|the) stuff|the (?:whole|entire) thing"
    r"|(?:the\s+)?(?P<s3>done|completed|finished)(?:\s+(?:tasks|todos|ones|items))"
    r")$",
    _I,
)
_POSITION = re.compile(
    r"^(?:the\s+)?(?P<o>first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)"
    r"(?:\s+(?:one|task|todo|item))?(?:\s+(?:on|in)\s+(?:the|my)\s+list)?$",
    _I,
)


def target(text: str) -> Target | None:
    """How `text` names tasks, or None when it names none."""
    text = unquote(re.sub(r"\s+(?:from|off|on|in)\s+(?:my|the)\s+(?:to-?do\s+)?list$", "", text))
    text = text.strip(" .,!?")
    if not text:
        return None
    if _NUMBERS.match(text):
        return Target(numbers=tuple(int(n) for n in re.findall(r"\d+", text)))
    span = re.fullmatch(
        r"(?:(?:tasks?|todos?|items?|numbers?|#)\s*)*"
        r"#?(\d+)\s*(?:-|to|through|thru|\u2013)\s*#?(\d+)",
        text,
        _I,
    )
    if span and 0 < int(span[2]) - int(span[1]) < 50:
        return Target(numbers=tuple(range(int(span[1]), int(span[2]) + 1)))
    if m := re.fullmatch(
        r"(?:task|todo|item|number)\s+(one|two|three|four|five|six|seven)", text, _I
    ):
        return Target(numbers=(_NUMBER_WORDS[m[1].lower()],))
    if _IT.match(text):
        return Target(it=True)
    if m := _EVERY.match(text):
        word = (m["s1"] or m["s2"] or m["s3"] or "").lower()
        status: Status = (
            "completed"
            if word in ("done", "completed", "finished", "checked")
            else "open"
            if word in ("open", "remaining", "pending")
            else "all"
        )
        return Target(every=True, status=status)
    if m := _POSITION.match(text):
        return Target(position=_ORDINALS[m["o"].lower()])
    words = re.sub(r"^(?:the\s+)?one\s+(?:about|with|for)\s+", "", text, flags=_I)
    words = re.sub(r"^(?:the|my|that|this)\s+", "", words, flags=_I)
    words = re.sub(r"\s+(?:task|todo|to-do|item|one|thing)$", "", words, flags=_I)
    words = re.sub(r"^(?:task|todo|item)\s+", "", words, flags=_I).strip()
    return Target(words=words) if naming_words(words) else None


def unquote(text: str) -> str:
    """Text without the quotes around it."""
    return text.strip().strip(_QUOTES).strip()
