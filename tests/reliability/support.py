"""Helpers for the reliability tests: JWT users, bounded requests, a live server, a TCP proxy
that can cut the database, raw-socket clients that hang up at a chosen moment, and a snapshot
of everything the store holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from hypothesis import HealthCheck, Phase, settings
from sqlalchemy import select

from db.models import AttachmentRow, FeedbackRow, ItemRow, ThreadRow

from ..live import free_port, serve  # noqa: F401  (re-exported for this package's tests)

SECRET = "reliability-test-secret-0123456789abcdef"  # 40 characters, HS256
REQUEST_TIMEOUT = 10.0
"""Seconds any one request may take before the test calls it a hang."""

# Few examples in CI (the whole project's suite must fit), more when asked for locally:
# RELIABILITY_EXAMPLES=500 pytest tests/reliability
EXAMPLES = int(os.environ.get("RELIABILITY_EXAMPLES", "0") or 0) or 20
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    print_blob=True,
    # Each example builds a store, so shrinking takes minutes: off unless RELIABILITY_SHRINK=1
    # (a failure still prints every draw of the failing example).
    phases=list(Phase)
    if os.environ.get("RELIABILITY_SHRINK")
    else [
        Phase.explicit,
        Phase.reuse,
        Phase.generate,
    ],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


def token(user: str, *, secret: str = SECRET, expires_in: int = 3600) -> str:
    """An HS256 bearer token for `user`."""
    claims = {"sub": user, "exp": int(time.time()) + expires_in}
    return jwt.encode(claims, secret, "HS256")


def auth(user: str) -> dict[str, str]:
    """The headers the host page sends for `user`."""
    return {
        "authorization": f"Bearer {token(user)}",
        "content-type": "application/json",
        "chatkit-frame-instance-id": "reliability",
        "accept-language": "en",
    }


async def bounded(awaitable: Any, what: str = "request") -> Any:
    """Await with the hang bound; a hang fails the test with what hung."""
    try:
        return await asyncio.wait_for(awaitable, REQUEST_TIMEOUT)
    except TimeoutError:
        raise AssertionError(f"{what} hung for more than {REQUEST_TIMEOUT} s") from None


def parse_sse(text: str) -> list[dict[str, Any]]:
    """The JSON of every `data:` frame, in order (comments skipped)."""
    events = []
    for block in text.split("\n\n"):
        data = [line[6:] for line in block.split("\n") if line.startswith("data: ")]
        if data:
            events.append(json.loads("\n".join(data)))
    return events


def assert_error_json(response: httpx.Response) -> dict[str, Any]:
    """A 4xx (or 503) with the JSON error body; returns the error."""
    assert response.headers.get("content-type", "").startswith("application/json"), (
        response.status_code,
        response.headers,
        response.text[:300],
    )
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), body
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    return error


def item_types(events: list[dict[str, Any]]) -> list[str]:
    """Event types with the update type (`~text_delta`) or item type (`done:user_message`)."""
    out = []
    for event in events:
        kind = event["type"]
        if kind == "thread.item.updated":
            out.append(
                "~" + event["update"]["type"].removeprefix("assistant_message.").replace(".", "_")
            )
        elif kind in ("thread.item.added", "thread.item.done"):
            out.append(f"{kind.rsplit('.', 1)[-1]}:{event['item']['type']}")
        else:
            out.append(kind)
    return out


# ---- the store, as rows -----------------------------------------------------------------------


@dataclass
class Snapshot:
    """Everything the store holds, per user."""

    threads: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """user → thread id → {title, busy}"""
    items: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """thread id → [(item id, type)] in stored order"""
    item_owner: dict[str, str] = field(default_factory=dict)
    """item id → user"""
    feedback: dict[tuple[str, str], str] = field(default_factory=dict)
    """(thread id, item id) → kind"""
    attachments: dict[str, set[str]] = field(default_factory=dict)
    """user → attachment ids"""


async def snapshot(store: Any) -> Snapshot:
    """Read every row of the store."""
    shot = Snapshot()
    async with store.engine.connect() as conn:
        threads = ThreadRow.__table__
        for row in await conn.execute(
            select(threads.c.id, threads.c.user_id, threads.c.title, threads.c.busy_token)
        ):
            shot.threads.setdefault(row.user_id, {})[row.id] = {
                "title": row.title,
                "busy": row.busy_token,
            }
        items = ItemRow.__table__
        for row in await conn.execute(
            select(items.c.id, items.c.thread_id, items.c.user_id, items.c.type).order_by(
                items.c.seq
            )
        ):
            shot.items.setdefault(row.thread_id, []).append((row.id, row.type))
            shot.item_owner[row.id] = row.user_id
        feedback = FeedbackRow.__table__
        for row in await conn.execute(
            select(feedback.c.thread_id, feedback.c.item_id, feedback.c.kind)
        ):
            shot.feedback[(row.thread_id, row.item_id)] = row.kind
        attachments = AttachmentRow.__table__
        for row in await conn.execute(select(attachments.c.id, attachments.c.user_id)):
            shot.attachments.setdefault(row.user_id, set()).add(row.id)
    return shot


async def wait_released(store: Any, thread_id: str, timeout: float = 5.0) -> None:
    """Wait until the thread's stream lease is given back (fails after `timeout`)."""
    deadline = time.monotonic() + timeout
    busy: Any = None
    while time.monotonic() < deadline:
        async with store.engine.connect() as conn:
            threads = ThreadRow.__table__
            busy = (
                await conn.execute(select(threads.c.busy_token).where(threads.c.id == thread_id))
            ).scalar_one_or_none()
        if busy is None:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the lease of thread {thread_id} was not released: {busy}")


# ---- a live server ----------------------------------------------------------------------------


class RawStream:
    """A hand-written HTTP/1.1 client on a socket, so a test can hang up at an exact moment."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.events: list[dict[str, Any]] = []
        self._buffer = b""

    @classmethod
    async def open(cls, base_url: str, user: str, body: dict[str, Any]) -> RawStream:
        """Connect and send one POST /chatkit (the response is not read yet)."""
        host, port = base_url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        payload = json.dumps(body).encode()
        head = [
            "POST /chatkit HTTP/1.1",
            f"Host: {host}:{port}",
            "Content-Type: application/json",
            "Accept: text/event-stream",
            f"Content-Length: {len(payload)}",
            *(f"{k}: {v}" for k, v in auth(user).items()),
        ]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        await writer.drain()
        return cls(reader, writer)

    async def read_head(self) -> None:
        """Read the status line and headers."""
        raw = await bounded(self.reader.readuntil(b"\r\n\r\n"), "response head")
        lines = raw.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                self.headers[name.strip().lower()] = value.strip()

    async def read_until(self, done: Callable[[list[dict[str, Any]]], bool]) -> None:
        """Read SSE events (chunked body) until `done(events)` holds."""
        while not done(self.events):
            chunk = await bounded(self.reader.read(65536), "stream")
            if not chunk:
                raise AssertionError(f"the stream ended early after {item_types(self.events)}")
            self._buffer += chunk
            while b"\n\n" in self._buffer:
                block, self._buffer = self._buffer.split(b"\n\n", 1)
                for line in block.split(b"\n"):
                    # Chunk-size lines of the chunked encoding are neither data nor comments.
                    if line.startswith(b"data: "):
                        self.events.append(json.loads(line[6:]))
                    elif b"data: " in line:
                        self.events.append(json.loads(line[line.index(b"data: ") + 6 :]))

    def hang_up(self) -> None:
        """Close the connection at once (an RST, as a closing browser tab)."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
        self.writer.close()


# ---- a TCP proxy in front of PostgreSQL -------------------------------------------------------


class CuttableProxy:
    """A loopback TCP proxy to the database that a test can cut and restore.

    `cut()` drops every open connection and refuses new ones, as a database that went away;
    the shared PostgreSQL service itself is never touched.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.up = True
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.connections += 1
        self._pipes.update((writer, up_writer))
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                if not self.up:
                    break
                writer.write(chunk)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._pipes.discard(writer)
            writer.close()

    def cut(self) -> None:
        """Drop every connection; refuse new ones until `restore()`."""
        self.up = False
        for writer in list(self._pipes):
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
            writer.close()
        self._pipes.clear()

    def restore(self) -> None:
        """Accept and forward connections again."""
        self.up = True

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
