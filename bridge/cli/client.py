"""The CLI's side of HTTP: one bridge as a command sees it, its errors, and SSE frames."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

import httpx

from .. import __version__

DEFAULT_URL = "http://127.0.0.1:8000/chatkit"
TOKEN_ENV = "CHATKIT_BRIDGE_TOKEN"
URL_ENV = "CHATKIT_BRIDGE_URL"
# Reads wait between chunks; the bridge sends a keep-alive comment every 15 s while it works.
TIMEOUT = httpx.Timeout(10.0, read=120.0)

EXIT_HTTP = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A failure reported as one line on stderr, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_HTTP) -> None:
        super().__init__(message)
        self.code = code


class HTTPStatusError(CliError):
    """The bridge answered with an HTTP error status."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(_http_error(response), EXIT_HTTP)
        self.status = response.status_code
        self.body = response.text


# ---- talking to the bridge -------------------------------------------------------------------


class Spinner:
    """A progress indicator on stderr (TTY only) until `stop()`: waiting for the first event."""

    FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

    def __init__(self, stream: TextIO, label: str = "waiting for the bridge") -> None:
        self._stream = stream
        self._label = label
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Spinner:
        """Start spinning if the stream is a terminal."""
        if self._stream.isatty():
            self._thread = threading.Thread(target=self._spin, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop and erase the indicator (idempotent)."""
        if self._done.is_set():
            return
        self._done.set()
        if self._thread is not None:
            self._thread.join()
            self._stream.write("\r\x1b[K")
            self._stream.flush()

    def _spin(self) -> None:
        index = 0
        while not self._done.wait(0.1):
            frame = self.FRAMES[index % len(self.FRAMES)]
            self._stream.write(f"\r{frame} {self._label}…")
            self._stream.flush()
            index += 1


class Client:
    """The bridge at `url`, as one CLI command sees it."""

    def __init__(self, url: str, token: str | None) -> None:
        self.url = url
        headers = {"user-agent": f"chatkit-bridge-cli/{__version__}"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        self.http = httpx.Client(headers=headers, timeout=TIMEOUT)
        self._spinner = Spinner(sys.stderr)

    def root(self, path: str) -> str:
        """An absolute URL on the bridge's host (such as `/api/tasks`)."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))

    @contextmanager
    def post(self, body: bytes, *, stream: bool) -> Iterator[httpx.Response]:
        """POST a request body to the ChatKit endpoint; the response is checked, unread.

        On a stream the progress indicator keeps going until `first_output()`.
        """
        headers = {"content-type": "application/json"}
        if stream:
            headers["accept"] = "text/event-stream"
        request = self.http.build_request("POST", self.url, content=body, headers=headers)
        with self.send(request, until_output=stream) as response:
            yield response

    def first_output(self) -> None:
        """Something is about to be printed: the progress indicator goes."""
        self._spinner.stop()

    @contextmanager
    def send(
        self, request: httpx.Request, *, until_output: bool = False
    ) -> Iterator[httpx.Response]:
        """Send a request, streaming the answer; connection and HTTP failures become CliError."""
        self._spinner = Spinner(sys.stderr).start()
        try:
            response = self.http.send(request, stream=True)
            try:
                if response.is_error or not until_output:
                    self._spinner.stop()
                if response.is_error:
                    response.read()
                    raise HTTPStatusError(response)
                yield response
            finally:
                response.close()
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise CliError(
                f"cannot reach the bridge at {request.url} ({_reason(exc)}): "
                "is the bridge running? try `make run`",
                EXIT_UNREACHABLE,
            ) from None
        except httpx.TransportError as exc:
            raise CliError(
                f"the connection to {request.url} failed: {_reason(exc)}", EXIT_UNREACHABLE
            ) from None
        finally:
            self._spinner.stop()

    def call(self, op: str, **params: Any) -> Any:
        """A JSON op's answer."""
        with self.post(request_body(op, params), stream=False) as response:
            response.read()
            return response.json()


def request_body(op: str, params: dict[str, Any]) -> bytes:
    return json.dumps({"type": op, "params": params}).encode()


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _http_error(response: httpx.Response) -> str:
    """One line naming the status and the body's message (`{"error": {"code", "message"}}`)."""
    status = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    try:
        error = response.json().get("error", {})
        message = error.get("message") or json.dumps(error)
        code = error.get("code")
    except (ValueError, AttributeError):
        message, code = response.text.strip()[:500], None
    detail = f"{code}: {message}" if code else message
    return f"{status}: {detail}" if detail else status


def iter_sse(response: httpx.Response) -> Iterator[str]:
    """The data of each SSE frame as it arrives (comments such as keep-alives skipped)."""
    data: list[str] = []
    for line in response.iter_lines():
        if line == "":
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield "\n".join(data)
