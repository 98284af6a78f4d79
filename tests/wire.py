"""Helpers to speak ChatKit in tests: request bodies and parsed SSE streams."""

from __future__ import annotations

import json
from typing import Any

import httpx


def user_input(text: str, **extra: Any) -> dict[str, Any]:
    """The `input` the composer sends for a plain text message."""
    body: dict[str, Any] = {
        "content": [{"type": "input_text", "text": text}],
        "attachments": [],
        "inference_options": {},
    }
    body.update(extra)
    return body


def parse_sse(text: str) -> list[dict[str, Any]]:
    """The JSON of every `data:` frame, in order (comments skipped)."""
    events = []
    for block in text.split("\n\n"):
        data = [line[6:] for line in block.split("\n") if line.startswith("data: ")]
        if data:
            events.append(json.loads("\n".join(data)))
    return events


async def post(
    client: httpx.AsyncClient, op: str, path: str = "/chatkit", **params: Any
) -> httpx.Response:
    """POST one ChatKit op the way the widget does."""
    return await client.post(
        path,
        json={"type": op, "params": params},
        headers={"chatkit-frame-instance-id": "test-frame", "accept-language": "en"},
    )


async def stream(client: httpx.AsyncClient, op: str, **params: Any) -> list[dict[str, Any]]:
    """POST a streaming op; assert it streamed; return its events."""
    response = await post(client, op, **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream"), response.headers
    return parse_sse(response.text)


def types(events: list[dict[str, Any]]) -> list[str]:
    """Event types, with the update type for item updates."""
    out = []
    for event in events:
        if event["type"] == "thread.item.updated":
            out.append("~" + event["update"]["type"].rsplit(".", 1)[-1])
        else:
            out.append(event["type"])
    return out
