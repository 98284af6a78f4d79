"""Bounded request headers for the server `chatkit-bridge serve` runs (issue 15).

uvicorn's httptools protocol (the one `uvicorn[standard]` picks) keeps reading a request's
headers for as long and as large as a client sends them: five connections each sending a 20 MB
unterminated header raised the bridge's RSS by 125 MB for good, and 200 connections trickling
a header byte now and then were all still held after 40 s. uvicorn has no setting for either
(`h11_max_incomplete_event_size` applies only to the slower h11 protocol), so
`GuardedHttpToolsProtocol` adds both:

- `BRIDGE_MAX_HEADER_BYTES` (default 65,536): past that many bytes before the end of the
  headers the connection gets `431` and is closed;
- `BRIDGE_HEADER_TIMEOUT_SECONDS` (default 10): a connection whose request line and headers
  have not all arrived that long after it opened (or after its last response) gets `408` and
  is closed. Bodies and streamed responses are not timed.
"""

from __future__ import annotations

import asyncio
import os
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_MAX_HEADER_BYTES = 64 * 1024
DEFAULT_HEADER_TIMEOUT_SECONDS = 10.0


@cache
def header_limits() -> tuple[int, float]:
    """(max header bytes, header timeout seconds) from the environment, read once."""
    raw_bytes = os.environ.get("BRIDGE_MAX_HEADER_BYTES", "").strip()
    raw_timeout = os.environ.get("BRIDGE_HEADER_TIMEOUT_SECONDS", "").strip()
    try:
        max_bytes = int(raw_bytes) if raw_bytes else DEFAULT_MAX_HEADER_BYTES
        timeout = float(raw_timeout) if raw_timeout else DEFAULT_HEADER_TIMEOUT_SECONDS
    except ValueError:
        raise ValueError(
            "BRIDGE_MAX_HEADER_BYTES must be a whole number and "
            "BRIDGE_HEADER_TIMEOUT_SECONDS a number"
        ) from None
    if max_bytes < 1024 or timeout <= 0:
        raise ValueError("BRIDGE_MAX_HEADER_BYTES must be >= 1024, BRIDGE_HEADER_TIMEOUT > 0")
    return max_bytes, timeout


def _answer(status: bytes) -> bytes:
    return b"HTTP/1.1 " + status + b"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header size limit and a header timeout."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._max_header_bytes, self._header_timeout = header_limits()
        self._header_bytes = 0
        self._header_clock: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_clock()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_clock()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._header_clock is None or self.transport.is_closing():
            return
        # Still inside a request line or headers (the clock stops when they are complete).
        self._header_bytes += len(data)
        if self._header_bytes > self._max_header_bytes:
            self._refuse(b"431 Request Header Fields Too Large")

    def on_headers_complete(self) -> None:
        self._stop_header_clock()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._start_header_clock()  # the next request on this keep-alive connection

    def _start_header_clock(self) -> None:
        self._stop_header_clock()
        self._header_bytes = 0
        self._header_clock = self.loop.call_later(self._header_timeout, self._headers_too_slow)

    def _stop_header_clock(self) -> None:
        if self._header_clock is not None:
            self._header_clock.cancel()
            self._header_clock = None

    def _headers_too_slow(self) -> None:
        self._header_clock = None
        if not self.transport.is_closing():
            self._refuse(b"408 Request Timeout")

    def _refuse(self, status: bytes) -> None:
        self._stop_header_clock()
        self.transport.write(_answer(status))
        self.transport.close()
