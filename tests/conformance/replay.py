"""Replaying a recorded scenario against the bridge, and what the bridge is expected to answer.

`Replay.run()` sends each recorded request (placeholders resolved with the scenario's
`Normaliser`, recorded headers) and keeps each answer in the recorder's shape: status, the
recorded headers, and the normalised `events`, `body` or `text`. It also keeps every raw SSE
frame and JSON body for the strict schema check (`strict.py`).

`expected_response()` is the recorded reference answer with the scenario's declared
`bridge_differences` applied. A difference is precise: it names the exchange, the place, the
reference's value (checked against the recording, so a declaration cannot drift from the
corpus) and the bridge's value. The replay then asks for exact equality, so the bridge must
differ exactly as declared, and nowhere else. Kinds (`"change"`):

* `"set"`: `path` (`/`-separated, into the recorded response, event indexes as recorded)
  holds `reference` in the recording and `bridge` in the bridge's answer; a missing
  `reference` or `bridge` key means the field is absent there. `bridge_pattern` (a regex,
  full match) instead of `bridge` for a value with a secret in it (a signed URL).
* `"insert_events"`: the bridge sends `events` at index `at` of its own stream (indexes of
  the final bridge stream, applied in order).
* `"remove_events"`: the reference events at index `at` (as recorded; they must equal
  `events`) are not sent by the bridge.
* `"request_path"`: the request goes to `bridge` instead of the recorded `reference` path
  (an endpoint whose location is the integrator's choice).

`exchange` is an index or a list of indexes (one fact that holds for several exchanges).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from .normalise import Normaliser

RECORDED_RESPONSE_HEADERS = ("content-type", "cache-control", "x-accel-buffering")
STREAMING_OPS = {
    "threads.create",
    "threads.add_user_message",
    "threads.retry_after_item",
    "threads.custom_action",
    "threads.add_client_tool_output",
    "threads.add_structured_input",
}
REF_RE = re.compile(r"^\{\{ref:([a-z_]+)\}\}$")
CHANGES = {"set", "insert_events", "remove_events", "request_path"}
_ABSENT = object()


class DeclarationError(AssertionError):
    """A declared bridge difference does not fit the recording."""


# ---- declared differences ---------------------------------------------------------------------


def differences_for(doc: dict[str, Any], exchange: int) -> list[dict[str, Any]]:
    """The declared differences that apply to one exchange, in declaration order."""
    out = []
    for diff in doc.get("bridge_differences", []):
        targets = diff["exchange"] if isinstance(diff["exchange"], list) else [diff["exchange"]]
        if exchange in targets:
            out.append(diff)
    return out


def check_declarations(doc: dict[str, Any]) -> None:
    """Every declaration is well-formed, has a reason, and names existing exchanges."""
    count = len(doc["exchanges"])
    for n, diff in enumerate(doc.get("bridge_differences", [])):
        where = f"{doc['name']}: bridge_differences[{n}]"
        if diff.get("change") not in CHANGES:
            raise DeclarationError(f"{where}: change must be one of {sorted(CHANGES)}")
        if not isinstance(diff.get("reason"), str) or len(diff["reason"].strip()) < 20:
            raise DeclarationError(f"{where}: needs a reason (a sentence)")
        targets = diff["exchange"] if isinstance(diff["exchange"], list) else [diff["exchange"]]
        if not targets or not all(isinstance(t, int) and 0 <= t < count for t in targets):
            raise DeclarationError(f"{where}: exchange must name recorded exchanges")
        if diff["change"] == "set":
            if "path" not in diff or not (
                "reference" in diff or "bridge" in diff or "bridge_pattern" in diff
            ):
                raise DeclarationError(f"{where}: a set needs a path and a value")
            if "bridge" in diff and diff.get("reference", _ABSENT) == diff["bridge"]:
                raise DeclarationError(f"{where}: reference and bridge values are the same")
        if diff["change"] in ("insert_events", "remove_events") and (
            not isinstance(diff.get("at"), int) or not diff.get("events")
        ):
            raise DeclarationError(f"{where}: needs `at` and a non-empty `events` list")


def _split(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.split("/")]


def _get(value: Any, path: list[str | int]) -> Any:
    for key in path:
        if isinstance(value, dict):
            if key not in value:
                return _ABSENT
            value = value[key]
        elif isinstance(value, list) and isinstance(key, int):
            if key >= len(value):
                return _ABSENT
            value = value[key]
        else:
            return _ABSENT
    return value


def _put(value: Any, path: list[str | int], new: Any) -> None:
    *parents, last = path
    target = _get(value, parents)
    if target is _ABSENT:
        raise DeclarationError(f"no {'/'.join(map(str, parents))} in the recording")
    if new is _ABSENT:
        del target[last]
    else:
        target[last] = new


@dataclass(frozen=True)
class Pattern:
    """A value the bridge must fully match (`re.fullmatch`), in an expected response."""

    regex: str

    def matches(self, value: Any) -> bool:
        return isinstance(value, str) and re.fullmatch(self.regex, value) is not None


def expected_response(doc: dict[str, Any], exchange: int) -> dict[str, Any]:
    """The recorded response with the declared differences applied (see the module docstring)."""
    recorded = doc["exchanges"][exchange]["response"]
    expected: dict[str, Any] = copy.deepcopy(recorded)
    diffs = differences_for(doc, exchange)
    where = f"{doc['name']} exchange {exchange}"
    for diff in diffs:
        if diff["change"] != "set":
            continue
        path = _split(diff["path"])
        found = _get(recorded, path)
        if found != diff.get("reference", _ABSENT) and not (
            found is _ABSENT and "reference" not in diff
        ):
            raise DeclarationError(
                f"{where}: {diff['path']} is {found!r} in the recording, "
                f"declared {diff.get('reference', '<absent>')!r}"
            )
        if "bridge_pattern" in diff:
            new: Any = Pattern(diff["bridge_pattern"])
        else:
            new = diff.get("bridge", _ABSENT)
        _put(expected, path, new)
    removals = sorted(
        (d for d in diffs if d["change"] == "remove_events"), key=lambda d: d["at"], reverse=True
    )
    for diff in removals:
        at, events = diff["at"], diff["events"]
        if expected["events"][at : at + len(events)] != events:
            raise DeclarationError(
                f"{where}: the recorded events at {at} are not the declared removed events"
            )
        del expected["events"][at : at + len(events)]
    for diff in diffs:
        if diff["change"] == "insert_events":
            if diff["at"] > len(expected["events"]):
                raise DeclarationError(f"{where}: insert at {diff['at']} is past the end")
            expected["events"][diff["at"] : diff["at"]] = copy.deepcopy(diff["events"])
    return expected


def settle_patterns(expected: Any, actual: Any) -> Any:
    """`expected` with each Pattern replaced by the actual value when that value matches it."""
    if isinstance(expected, Pattern):
        return actual if expected.matches(actual) else expected
    if isinstance(expected, dict) and isinstance(actual, dict):
        return {k: settle_patterns(v, actual.get(k)) for k, v in expected.items()}
    if isinstance(expected, list) and isinstance(actual, list):
        return [
            settle_patterns(v, actual[n] if n < len(actual) else None)
            for n, v in enumerate(expected)
        ]
    return expected


def request_path(doc: dict[str, Any], exchange: int) -> str:
    """Where the exchange's request goes on the bridge."""
    request = doc["exchanges"][exchange]["request"]
    path: str = request.get("path", "")
    for diff in differences_for(doc, exchange):
        if diff["change"] == "request_path":
            if diff["reference"] != path:
                raise DeclarationError(f"exchange {exchange}: recorded path is {path!r}")
            path = diff["bridge"]
    return path


# ---- the replay -------------------------------------------------------------------------------


@dataclass
class Captured:
    """One raw wire answer, for the strict schema check."""

    exchange: int
    op: str
    kind: str  # "event" | "body"
    raw: bytes


@dataclass
class Replay:
    """Sends a scenario's requests to the bridge and keeps its answers (see the module doc)."""

    doc: dict[str, Any]
    client: httpx.AsyncClient
    base_url: str
    norm: Normaliser = field(init=False)
    responses: list[dict[str, Any]] = field(default_factory=list)
    captured: list[Captured] = field(default_factory=list)
    raw_bodies: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.norm = Normaliser([self.base_url])

    async def run(self) -> None:
        """Replay every exchange in order."""
        for n, exchange in enumerate(self.doc["exchanges"]):
            match exchange["op"]:
                case "upload":
                    response = await self._upload(n, exchange)
                case "upload.direct":
                    response = await self._direct_upload(n, exchange)
                case op if op in STREAMING_OPS:
                    response = await self._stream(n, exchange)
                case _:
                    response = await self._call(n, exchange)
            self.responses.append(response)

    # -- one exchange each ---------------------------------------------------------------------

    def _body(self, exchange: dict[str, Any]) -> bytes:
        body = self.norm.resolve(exchange["request"]["body"], base_url=self.base_url)
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()

    async def _stream(self, n: int, exchange: dict[str, Any]) -> dict[str, Any]:
        request = exchange["request"]
        cancel_after = exchange.get("cancel_after_events")
        response: dict[str, Any] = {}
        frames: list[bytes] = []
        async with self.client.stream(
            "POST",
            request_path(self.doc, n),
            content=self._body(exchange),
            headers=request["headers"],
        ) as resp:
            response["status"] = resp.status_code
            response["headers"] = _headers(resp)
            if not resp.headers.get("content-type", "").startswith("text/event-stream"):
                await resp.aread()
                self.raw_bodies.append(None)
                return self._plain(n, exchange["op"], resp, response)
            buffer = b""
            async for chunk in resp.aiter_bytes():
                buffer += chunk
                while b"\n\n" in buffer:
                    frame, buffer = buffer.split(b"\n\n", 1)
                    frames.append(frame)
                if cancel_after is not None and _data_frames(frames) >= cancel_after:
                    break  # the Stop button: the widget aborts the request
            if buffer.strip():
                response["trailing"] = buffer.decode()
        events: list[dict[str, Any]] = []
        raws: list[bytes] = []
        for frame in frames:
            lines = frame.split(b"\n")
            data = [line for line in lines if line.startswith(b"data: ")]
            other = [line.decode() for line in lines if line and not line.startswith(b"data: ")]
            if other:
                response.setdefault("other_lines", []).extend(other)
            for line in data:
                raws.append(line[len(b"data: ") :])
        if cancel_after is not None:
            raws = raws[:cancel_after]
            await asyncio.sleep(1.0)  # as the recorder: let the server notice and clean up
        for raw in raws:
            self.captured.append(Captured(n, exchange["op"], "event", raw))
            events.append(json.loads(raw))
        self.raw_bodies.append(events)
        response["events"] = self.norm.normalise(events)
        return response

    async def _call(self, n: int, exchange: dict[str, Any]) -> dict[str, Any]:
        request = exchange["request"]
        resp = await self.client.post(
            request_path(self.doc, n), content=self._body(exchange), headers=request["headers"]
        )
        response = {"status": resp.status_code, "headers": _headers(resp)}
        return self._plain(n, exchange["op"], resp, response)

    def _plain(
        self, n: int, op: str, resp: httpx.Response, response: dict[str, Any]
    ) -> dict[str, Any]:
        if resp.headers.get("content-type", "").startswith("application/json"):
            self.captured.append(Captured(n, op, "body", resp.content))
            parsed = resp.json()
            self.raw_bodies.append(parsed)
            response["body"] = self.norm.normalise(parsed)
        else:
            self.raw_bodies.append(None)
            response["text"] = resp.text
        return response

    def _ref(self, value: Any) -> Any:
        """`{{ref:NAME}}`: the value an earlier exchange's `bind` names."""
        if not isinstance(value, str) or not REF_RE.match(value):
            return value
        name = REF_RE.match(value).group(1)  # type: ignore[union-attr]
        for n in range(len(self.responses) - 1, -1, -1):
            bind = self.doc["exchanges"][n].get("bind", {})
            if name in bind:
                found = _get(self.raw_bodies[n], _split(bind[name].replace(".", "/")))
                assert found is not _ABSENT, f"{{{{ref:{name}}}}}: no {bind[name]} in the answer"
                return found
        raise KeyError(f"no earlier exchange binds {name!r}")

    async def _upload(self, n: int, exchange: dict[str, Any]) -> dict[str, Any]:
        """The second phase of a two-phase upload, exactly as the widget does it."""
        request = exchange["request"]
        method, url = self._ref(request["method"]), self._ref(request["url"])
        headers = dict(self._ref(request.get("headers")) or {})
        file = request["file"]
        # Binary files (a PNG: the bridge checks an image's magic bytes) come as base64.
        data = base64.b64decode(file["base64"]) if "base64" in file else file["text"].encode()
        if method == "PUT":
            resp = await self.client.request(
                "PUT", url, content=data, headers={"content-type": file["mime_type"], **headers}
            )
        else:
            resp = await self.client.request(
                method,
                url,
                files={"file": (file["name"], data, file["mime_type"])},
                headers=headers,
            )
        if resp.headers.get("content-type", "").startswith("application/json"):
            self.captured.append(Captured(n, "upload", "body", resp.content))
        self.raw_bodies.append(None)
        # The recorder kept only the status of the upload answer (its app answered no body).
        return {"status": resp.status_code}

    async def _direct_upload(self, n: int, exchange: dict[str, Any]) -> dict[str, Any]:
        request = exchange["request"]
        file = request["file"]
        resp = await self.client.post(
            request_path(self.doc, n),
            files={"file": (file["name"], file["text"].encode(), file["mime_type"])},
        )
        response = {"status": resp.status_code, "headers": _headers(resp)}
        return self._plain(n, "upload.direct", resp, response)


def _headers(resp: httpx.Response) -> dict[str, str]:
    return {k: resp.headers[k] for k in RECORDED_RESPONSE_HEADERS if k in resp.headers}


def _data_frames(frames: list[bytes]) -> int:
    return sum(1 for f in frames for line in f.split(b"\n") if line.startswith(b"data: "))
