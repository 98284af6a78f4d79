"""Due dates in what people type ("next week", "on Dec 20", "saturday at 5pm"), read with
`dateparser` in the user's locale (day/month order) and time zone ("today" is the user's).

`split_due` finds a date phrase at the end (or the start) of a title and takes it out, so
"submit taxes next week" becomes the task "submit taxes" due in a week. Only a span holding a
date word is read as a date: "buy 2 eggs", "call may" and "read a book" keep their words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dateparser

_I = re.IGNORECASE

_SPELLINGS = {
    r"tmrw|tmr|tmrow|tomorow|tommorow|tommorrow|tomorrw|2moro|2morrow|tmw": "tomorrow",
    r"tonite|2nite": "tonight",
    r"tdy|2day": "today",
    r"tues?": "tuesday",
    r"wed|weds": "wednesday",
    r"thu|thur|thurs": "thursday",
    r"eod": "today",
}
_SPELLING = re.compile(r"\b(" + "|".join(_SPELLINGS) + r")\b", _I)

_WEEKDAY = r"mon|tue|wed|thu|fri|sat|sun"
_MONTH = r"jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_DATE_WORD = re.compile(
    r"\b(?:today|tonight|tomorrow|noon|midnight|morning|afternoon|evening|weekend"
    rf"|(?:{_WEEKDAY})[a-z]*"
    r"|(?:next|this|coming)\s+(?:week|month|year)"
    r"|in\s+(?:a|an|one|two|three|\d+)\s+(?:days?|weeks?|months?|hours?)"
    r"|end\s+of\s+(?:the\s+)?(?:day|week|month)"
    r"|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?"
    r"|\d{1,2}(?::\d{2})?\s*(?:am|pm)|\d{1,2}:\d{2}"
    r"|\d{1,2}(?:st|nd|rd|th)"
    rf"|(?:{_MONTH})[a-z]*\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH})"
    r")\b",
    _I,
)
_LEAD = re.compile(r"^(?:due|by|on|for|at|before|until|till|til|from|in time for)\s+", _I)
_TRAIL = re.compile(r"\s+(?:due|by|on|for|at|before|until|till|from)$", _I)
_MAX_WORDS = 7


@dataclass(frozen=True)
class Clock:
    """Where "today" is: the user's time zone and locale (`en-GB`: 5/12 is 5 December)."""

    timezone: str | None = None
    locale: str | None = None
    now: datetime | None = None
    """A fixed moment (tests); None is the real clock."""

    def current(self) -> datetime:
        """Now, in the user's time zone (naive, as dateparser's relative base)."""
        zone = _zone(self.timezone)
        if self.now is not None:
            moment = self.now if self.now.tzinfo is None else self.now.astimezone(zone)
        else:
            moment = datetime.now(zone)
        return moment.replace(tzinfo=None)

    def today(self) -> date:
        """Today's date for the user."""
        return self.current().date()


def user_locale(accept_language: str | None) -> str | None:
    """The first locale of an `Accept-Language` header ("en-GB,en;q=0.9" gives "en-GB")."""
    for part in (accept_language or "").split(","):
        tag = part.split(";", 1)[0].strip()
        if re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*", tag):
            return tag
    return None


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_date(phrase: str, clock: Clock) -> date | None:
    """The date a phrase means ("tomorrow", "fri", "Dec 20", "in 2 weeks"), or None."""
    phrase = _SPELLING.sub(lambda m: _spelled(m[1]), phrase.strip())
    phrase = _LEAD.sub("", phrase).strip(" ,.")
    if not phrase or not _DATE_WORD.search(phrase):
        return None
    today = clock.today()
    special = _special(phrase.lower(), today)
    if special is not None:
        return special
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": clock.current(),
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DAY_OF_MONTH": "first",
    }
    locales = [clock.locale] if clock.locale and clock.locale.lower().startswith("en") else None
    try:
        found = dateparser.parse(
            phrase, languages=None if locales else ["en"], locales=locales, settings=settings
        )
    except (ValueError, OverflowError):
        return None
    return found.date() if found is not None else None


def split_due(text: str, clock: Clock) -> tuple[str, date | None]:
    """`text` without its trailing (or leading) date phrase, and the date it names."""
    tokens = text.split()
    for size in range(min(_MAX_WORDS, len(tokens) - 1), 0, -1):
        due = parse_date(" ".join(tokens[-size:]), clock)
        if due is not None:
            return _TRAIL.sub("", " ".join(tokens[:-size])).strip(" ,"), due
    for size in range(min(_MAX_WORDS, len(tokens) - 1), 0, -1):
        head = " ".join(tokens[:size])
        due = parse_date(head, clock)
        if due is not None:
            rest = re.sub(
                r"^(?:,|i\s+(?:need|have)\s+to|to)\s+", "", " ".join(tokens[size:]), flags=_I
            )
            return rest.strip(" ,"), due
    return text, None


def _spelled(word: str) -> str:
    for pattern, spelled in _SPELLINGS.items():
        if re.fullmatch(pattern, word, _I):
            return spelled
    return word


def _special(phrase: str, today: date) -> date | None:
    """Phrases dateparser does not know."""
    if re.fullmatch(r"(?:this\s+|the\s+)?weekend", phrase):
        return today + timedelta(days=(5 - today.weekday()) % 7)
    if re.fullmatch(r"end of (?:the )?week", phrase):
        return today + timedelta(days=(4 - today.weekday()) % 7)
    if re.fullmatch(r"end of (?:the )?month", phrase):
        following = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)
    if re.fullmatch(r"end of (?:the )?day", phrase):
        return today
    return None
