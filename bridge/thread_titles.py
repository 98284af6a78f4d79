"""Thread titles: the model's title if it comes in time, else the first words of the first
user message; a title as stored (one line, no control characters, a bounded length)."""

from __future__ import annotations

import asyncio
import logging
import unicodedata

from db.store import wire_thread
from schemas import ThreadMetadata, ThreadUpdatedEvent, UserMessageItem

from .lease import Lease

log = logging.getLogger("bridge.turn")

TITLE_WAIT_SECONDS = 5.0
"""How long after the answer a turn waits for the model's title before using the first words."""
TITLE_MAX_CHARS = 200
_QUOTES = "\"'`\u201c\u201d\u2018\u2019"


async def title_update(
    lease: Lease,
    thread: ThreadMetadata,
    title_from: UserMessageItem | None,
    titling: asyncio.Task[str | None] | None = None,
) -> ThreadUpdatedEvent | None:
    """Title an untitled thread after its answer: the `thread.updated` event, or None."""
    if thread.title or title_from is None:
        return None
    title = await _written_title(thread, titling) or auto_title(title_from)
    if title is None:
        return None
    try:
        if not await lease.title(title):  # renamed meanwhile: the user's title wins
            return None
    except Exception:  # the answer is stored; a missing title must not break the stream
        log.warning("could not title thread %s", thread.id, exc_info=True)
        return None
    thread.title = title
    return ThreadUpdatedEvent(thread=wire_thread(thread))


async def _written_title(
    thread: ThreadMetadata, titling: asyncio.Task[str | None] | None
) -> str | None:
    """The model's title if it comes within TITLE_WAIT_SECONDS of the answer; else None."""
    if titling is None:
        return None
    try:
        written = await asyncio.wait_for(asyncio.shield(titling), TITLE_WAIT_SECONDS)
    except TimeoutError:
        titling.cancel()
        log.warning("the model did not title thread %s in time; using its first words", thread.id)
        return None
    except Exception:
        log.warning("the model could not title thread %s", thread.id, exc_info=True)
        return None
    return clean_title(written) if written else None


def auto_title(message: UserMessageItem, limit: int = 48) -> str | None:
    """A short title from the first user message: its first words, cut at a word boundary."""
    text = _one_line(
        " ".join(
            part.text for part in message.content if part.type == "input_text" and part.text.strip()
        )
    )
    if not text:
        return None
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(",.;:!?-") + "…"


def trim_title(text: str, limit: int = TITLE_MAX_CHARS) -> str | None:
    """A title as stored: one line without control characters, at most `limit` characters
    (a longer one is cut at a word boundary and ends with an ellipsis); None if blank."""
    text = _one_line(text)
    if not text:
        return None
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(",.;:!?-") + "…"


def clean_title(text: str) -> str | None:
    """A model-written title as stored: trimmed, without wrapping quotes or a final period."""
    return trim_title(text.strip().strip(_QUOTES).strip().rstrip("."))


def _one_line(text: str) -> str:
    # Control characters (a pasted NUL) are never wanted in a title, and PostgreSQL refuses NUL.
    return " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in text).split())
