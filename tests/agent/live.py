"""A real uvicorn server on a free 127.0.0.1 port, in the test's own event loop.

For what the in-process ASGITransport cannot show: a client that goes away mid-stream, and an
MCP server the agent reaches over real HTTP.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp


@asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Serve an app whose lifespan already runs; yields `http://127.0.0.1:<port>`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
