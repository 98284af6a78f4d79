"""Every ChatKit answer the test suite produces, validated strictly against `schemas/`.

`FrameCheck` is an ASGI wrapper the test app factory (`tests/conftest.py`) puts around each
app it builds. It reads each request's op, and checks each response of the ChatKit endpoint:
every SSE `data:` frame against the event union, every JSON body against the op's answer
schema (or the error body), with unknown fields forbidden and the round trip exact
(`tests/conformance/strict.py`). It never changes a byte; a failure is recorded in `FRAMES`,
the test that caused it fails at teardown, and the session's counts are printed at the end.

With `CHATKIT_FRAME_DUMP=<file>` every checked frame and body is also appended to that file
as a JSON line `{"kind": "event"|"body", "op", "status", "raw"}`, for the re-check against the
official SDK's own types (tests/conformance/sdk_check.py, README there).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .conformance.strict import ATTACHMENT, ERROR, check_body, check_event, check_strict


@dataclass
class FrameStats:
    """What the session validated, and what failed."""

    events: int = 0
    bodies: int = 0
    failures: list[str] = field(default_factory=list)


FRAMES = FrameStats()
DUMP = os.environ.get("CHATKIT_FRAME_DUMP")


def _dump(kind: str, op: str, status: int, raw: bytes) -> None:
    if DUMP:
        line = {"kind": kind, "op": op, "status": status, "raw": raw.decode("utf-8", "replace")}
        with open(DUMP, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")


class FrameCheck:
    """ASGI wrapper: validates what the app at `path` answers; passes everything through."""

    def __init__(self, app: ASGIApp, path: str = "/chatkit", *, dump: bool = True) -> None:
        self.app = app
        self.path = path.rstrip("/") or "/"
        self.dump = dump  # False: the answers are deliberately off-protocol (tests of this)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT"):
            await self.app(scope, receive, send)  # preflights, reads of attachment content
            return
        upload = path.startswith(self.path + "/attachments") and not path.endswith("/content")
        if path != self.path and not upload:
            await self.app(scope, receive, send)  # not ChatKit: session tokens, app routes
            return
        check = _ResponseCheck(endpoint=path == self.path, dump=self.dump)

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                check.request.extend(message.get("body", b""))
            return message

        async def send_and_check(message: Message) -> None:
            try:
                check.feed(message)
            except Exception as exc:  # recorded, never raised into the app
                FRAMES.failures.append(f"{path} {check.op}: {type(exc).__name__}: {exc}")
            await send(message)

        await self.app(scope, receive_and_keep, send_and_check)


@dataclass
class _ResponseCheck:
    endpoint: bool
    dump: bool = True
    request: bytearray = field(default_factory=bytearray)
    status: int = 0
    kind: str = ""
    body: bytearray = field(default_factory=bytearray)
    op: str = "?"

    def feed(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            headers = {k.lower(): v for k, v in message.get("headers", [])}
            content_type = headers.get(b"content-type", b"").decode()
            self.kind = content_type.split(";", 1)[0].strip()
            if self.endpoint:
                self.op = _op(bytes(self.request))
            return
        if message["type"] != "http.response.body":
            return
        self.body.extend(message.get("body", b""))
        if self.kind == "text/event-stream":
            self._frames(final=not message.get("more_body", False))
        elif not message.get("more_body", False):
            self._json()

    def _frames(self, *, final: bool) -> None:
        while b"\n\n" in self.body:
            block, _, rest = bytes(self.body).partition(b"\n\n")
            self.body[:] = rest
            data = [line[6:] for line in block.split(b"\n") if line.startswith(b"data: ")]
            if data:
                FRAMES.events += 1
                if self.dump:
                    _dump("event", self.op, self.status, b"\n".join(data))
                check_event(b"\n".join(data))
        if final and self.body.strip():
            raise AssertionError(f"the stream ended inside a frame: {bytes(self.body)[:200]!r}")

    def _json(self) -> None:
        raw = bytes(self.body)
        if self.kind != "application/json":
            raise AssertionError(f"{self.status} answer is {self.kind or 'untyped'}: {raw[:200]!r}")
        FRAMES.bodies += 1
        if self.dump:
            _dump("body", self.op if self.endpoint else "upload", self.status, raw)
        if self.status >= 400:
            check_strict(ERROR, raw)
        elif self.endpoint:
            check_body(self.op, raw)
        else:  # an upload route answers the attachment
            check_strict(ATTACHMENT, raw)


def _op(request: bytes) -> str:
    try:
        parsed: Any = json.loads(request)
    except (ValueError, RecursionError):  # the bridge refuses such bodies: any op will do
        return "?"
    op = parsed.get("type") if isinstance(parsed, dict) else None
    return op if isinstance(op, str) else "?"
