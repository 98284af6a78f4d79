"""Helpers for the protocol tests: a header-picked user, scripted steps, page loops, a live server.

The fixtures that use them (`proto_…`) live in `tests/bridge/conftest.py`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.requests import Request

from bridge.auth import Principal
from bridge.responder import Turn
from schemas import (
    ClientToolCallItem,
    HiddenContextItem,
    SDKHiddenContextItem,
    StructuredInputFreeform,
    StructuredInputItem,
    StructuredInputMultipleChoice,
    StructuredInputOption,
    ThreadItemDoneEvent,
    ThreadStreamEvent,
    WidgetItem,
    utcnow,
)

from ..fakes import Step, stream_text
from ..live import free_port, serve  # noqa: F401  (re-exported for this package's tests)
from ..wire import post

USER_HEADER = "x-test-user"

# An MCP `initialize` request, the first thing an MCP client sends to `/mcp`.
MCP_INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
MCP_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


class HeaderAuthenticator:
    """Every request is the user its `x-test-user` header names (`ann` when absent)."""

    async def authenticate(self, request: Request) -> Principal:
        return Principal(request.headers.get(USER_HEADER, "ann"), {})


# ---- steps ----------------------------------------------------------------------------------


def client_tool_step(name: str, arguments: dict[str, Any]) -> Step:
    """A step that asks the page to run a client tool: one pending `client_tool_call`, done."""

    async def step(turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        yield ThreadItemDoneEvent(
            item=ClientToolCallItem(
                id=turn.new_id("cli"),
                thread_id=turn.thread.id,
                created_at=utcnow(),
                call_id=turn.new_id("call"),
                name=name,
                arguments=arguments,
            )
        )

    return step


def structured_input_step() -> Step:
    """A step that asks two questions: a single choice (colour) and free text (why)."""

    async def step(turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        yield ThreadItemDoneEvent(
            item=StructuredInputItem(
                id=turn.new_id("si"),
                thread_id=turn.thread.id,
                created_at=utcnow(),
                inputs=[
                    StructuredInputMultipleChoice(
                        id="colour",
                        question="Which colour?",
                        options=[StructuredInputOption(value=v) for v in ("red", "green", "blue")],
                    ),
                    StructuredInputFreeform(id="why", question="Why?"),
                ],
            )
        )

    return step


def hidden_step(*chunks: str, note: str = "private note", sdk: bool = False) -> Step:
    """A step that stores a hidden context item (done), then answers with text."""

    async def step(turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        hidden: Any
        if sdk:
            hidden = SDKHiddenContextItem(
                id=turn.new_id("hid"), thread_id=turn.thread.id, created_at=utcnow(), content=note
            )
        else:
            hidden = HiddenContextItem(
                id=turn.new_id("hid"), thread_id=turn.thread.id, created_at=utcnow(), content=note
            )
        yield ThreadItemDoneEvent(item=hidden)
        async for event in stream_text(turn, list(chunks)):
            yield event

    return step


def widget_step(widget: dict[str, Any]) -> Step:
    """A step that shows a widget item."""

    async def step(turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        yield ThreadItemDoneEvent(
            item=WidgetItem(
                id=turn.new_id("wdg"), thread_id=turn.thread.id, created_at=utcnow(), widget=widget
            )
        )

    return step


@dataclass
class Recorder:
    """What a slow step saw: how many chunks it sent and whether it was cancelled."""

    deltas: list[str] = field(default_factory=list)
    cancelled: bool = False
    finished: bool = False


def slow_step(recorder: Recorder, chunks: list[str], delay: float) -> Step:
    """A step streaming `chunks` with `delay` seconds before each, noting a cancellation.

    A delta is noted before it is yielded: the pipeline takes it in without awaiting, so the
    noted deltas are exactly the text the bridge has seen.
    """

    async def step(turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        try:
            async for event in stream_text(turn, chunks, delay):
                update = getattr(event, "update", None)
                if update is not None and update.type.endswith("text_delta"):
                    recorder.deltas.append(update.delta)
                yield event
            recorder.finished = True
        except asyncio.CancelledError:
            recorder.cancelled = True
            raise

    return step


# ---- reads ----------------------------------------------------------------------------------


async def collect_pages(
    client: httpx.AsyncClient, op: str, *, max_pages: int = 200, **params: Any
) -> tuple[list[str], list[dict[str, Any]]]:
    """Follow `has_more`/`after` like the widget; returns every id and every page body."""
    ids: list[str] = []
    pages: list[dict[str, Any]] = []
    after: str | None = None
    for _ in range(max_pages):
        query = dict(params)
        if after is not None:
            query["after"] = after
        response = await post(client, op, **query)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        ids.extend(record["id"] for record in page["data"])
        if not page["has_more"]:
            return ids, pages
        assert page["data"], "has_more with an empty page would loop forever"
        assert page["after"] == page["data"][-1]["id"]
        after = page["after"]
    raise AssertionError(f"{op} did not stop after {max_pages} pages")


def texts(items: list[dict[str, Any]]) -> list[str]:
    """The text of each message item (user or assistant), in order."""
    out = []
    for item in items:
        parts = item.get("content") or []
        out.append("".join(part.get("text", "") for part in parts if isinstance(part, dict)))
    return out


# ---- a live server --------------------------------------------------------------------------


def chatkit_body(op: str, **params: Any) -> dict[str, Any]:
    """The JSON body of an op."""
    return {"type": op, "params": params}


class EventReader:
    """Reads the SSE events of a live response bit by bit (one line iterator for its life)."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()
        self.events: list[dict[str, Any]] = []

    async def until(self, done: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        """Read until `done(all events so far)` holds or the body ends; returns all events."""
        async for line in self._lines:
            if line.startswith("data: "):
                self.events.append(json.loads(line[6:]))
                if done(self.events):
                    break
        return self.events

    async def rest(self) -> list[dict[str, Any]]:
        """Read to the end of the body; returns all events."""
        return await self.until(lambda events: False)


async def row_counts(store: Any) -> dict[str, int]:
    """How many rows each table holds, for every user: proof that nothing was stored."""
    from sqlalchemy import func, select

    from db.models import AttachmentRow, FeedbackRow, ItemRow, ThreadRow

    counts = {}
    async with store.engine.connect() as conn:
        for name, table in (
            ("threads", ThreadRow.__table__),
            ("items", ItemRow.__table__),
            ("attachments", AttachmentRow.__table__),
            ("feedback", FeedbackRow.__table__),
        ):
            counts[name] = (
                await conn.execute(select(func.count()).select_from(table))
            ).scalar_one()
    return counts
