"""A small HTTP/1.1 keep-alive client on asyncio streams, for the load process.

httpx costs a few hundred microseconds of client CPU per request; on a two-core machine that
caps the load below what a bare endpoint serves, so the bare number would measure the client.
This client only frames requests and reads `Content-Length` or chunked bodies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass


class ProtocolError(RuntimeError):
    """The server answered something this client does not understand."""


def request_bytes(
    path: str, body: bytes = b"", *, method: str = "POST", headers: dict[str, str] | None = None
) -> bytes:
    """A complete HTTP/1.1 request, ready to write."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if body or method in ("POST", "PUT"):
        lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(body)}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass(frozen=True, slots=True)
class Head:
    """A response's status line and the headers this client cares about."""

    status: int
    length: int | None
    chunked: bool
    close: bool


def _head(raw: bytes) -> Head:
    lines = raw.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ProtocolError(f"bad status line {lines[0]!r}")
    length, chunked, close = None, False, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            close = b"close" in value.lower()
    return Head(int(parts[1]), length, chunked, close)


class Connection:
    """One keep-alive connection to 127.0.0.1:port."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> Connection:
        """Connect (again, if the server closed the last one)."""
        self._reader, self._writer = await asyncio.open_connection(
            self.host, self.port, limit=1 << 22
        )
        return self

    def close(self) -> None:
        """Drop the connection without waiting."""
        if self._writer is not None:
            self._writer.transport.abort()
        self._reader = self._writer = None

    async def _send(self, raw: bytes) -> asyncio.StreamReader:
        if self._writer is None or self._writer.is_closing():
            await self.open()
        assert self._reader is not None and self._writer is not None
        self._writer.write(raw)
        return self._reader

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        """Send a ready request and read the whole answer: (status, body)."""
        reader = await self._send(raw)
        head = _head(await reader.readuntil(b"\r\n\r\n"))
        if head.chunked:
            body = b"".join([chunk async for chunk in self._chunks(reader)])
        elif head.length is not None:
            body = await reader.readexactly(head.length)
        else:
            raise ProtocolError("response without length")
        if head.close:
            self.close()
        return head.status, body

    async def stream(self, raw: bytes) -> AsyncIterator[tuple[int, float, bytes]]:
        """Send a ready request and yield (status, arrival time, chunk) as chunks arrive."""
        reader = await self._send(raw)
        head = _head(await reader.readuntil(b"\r\n\r\n"))
        if not head.chunked:
            body = await reader.readexactly(head.length or 0)
            yield head.status, time.perf_counter(), body
        else:
            async for chunk in self._chunks(reader):
                yield head.status, time.perf_counter(), chunk
        if head.close:
            self.close()

    @staticmethod
    async def _chunks(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers are sent: just the blank line
                return
            data = await reader.readexactly(size + 2)
            yield data[:-2]


async def get(port: int, path: str) -> tuple[int, bytes]:
    """One GET on a fresh connection."""
    conn = await Connection(port).open()
    try:
        return await conn.request(request_bytes(path, method="GET"))
    finally:
        conn.close()


async def post(port: int, path: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    """One POST on a fresh connection; the body of a 200, else ProtocolError."""
    conn = await Connection(port).open()
    try:
        status, answer = await conn.request(request_bytes(path, body, headers=headers))
    finally:
        conn.close()
    if status != 200:
        raise ProtocolError(f"POST {path} answered {status}: {answer[:300]!r}")
    return answer
