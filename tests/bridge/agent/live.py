"""Helpers for agent tests against a live server (`tests/live.py`): request bodies and
reading a stream until a given event, for a client that goes away mid-stream."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ...live import free_port, serve  # noqa: F401  (re-exported for this package's tests)


def body(op: str, **params: Any) -> dict[str, Any]:
    """A ChatKit request body."""
    return {"type": op, "params": params}


HEADERS = {"chatkit-frame-instance-id": "test-frame", "accept": "text/event-stream"}


async def events_until(response: httpx.Response, count: int) -> list[dict[str, Any]]:
    """Read SSE events from a live response until `count` text deltas arrived."""
    events: list[dict[str, Any]] = []
    deltas = 0
    async for line in response.aiter_lines():
        if not line.startswith("data: "):
            continue
        event = json.loads(line[6:])
        events.append(event)
        update = event.get("update") or {}
        if update.get("type") == "assistant_message.content_part.text_delta":
            deltas += 1
            if deltas >= count:
                break
    return events
