"""A scripted OpenAI-compatible server behind httpx2.MockTransport (see agents-facts.md).

Each request to the client takes the next reply from a script; the server records every
request so tests can count model calls. Replies are SSE bodies written as a provider writes
them, optionally slowed down to test stopping mid-stream.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2
from openai import AsyncOpenAI

from bridge.agent.titles import TITLE_INSTRUCTIONS

Reply = Callable[[httpx2.Request], httpx2.Response]
TITLE_MARK = TITLE_INSTRUCTIONS.split("\n", 1)[0]


class _SlowStream(httpx2.AsyncByteStream):
    def __init__(self, chunks: list[bytes], delay: float, server: FakeProvider) -> None:
        self.chunks = chunks
        self.delay = delay
        self.server = server

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            await asyncio.sleep(self.delay)
            self.server.chunks_sent += 1
            yield chunk

    async def aclose(self) -> None:
        self.server.closed_streams += 1


@dataclass
class FakeProvider:
    """Answers requests from `replies` in order and records them."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    chunks_sent: int = 0
    closed_streams: int = 0
    titles: list[Reply] = field(default_factory=list)
    title_requests: list[dict[str, Any]] = field(default_factory=list)

    async def handle(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content or b"{}")
        if TITLE_MARK in json.dumps(body):
            # The title call runs beside the answer (bridge/agent/titles.py): answered from its
            # own script, so it never takes an answer's reply; unscripted, it fails (first words).
            self.title_requests.append(body)
            if not self.titles:
                return httpx2.Response(500, json={"error": {"message": "no title scripted"}})
            return self.titles.pop(0)(request)
        self.paths.append(request.url.path)
        self.requests.append(body)
        if not self.replies:
            return httpx2.Response(500, json={"error": {"message": "no reply scripted"}})
        return self.replies.pop(0)(request)

    def client(self) -> AsyncOpenAI:
        return AsyncOpenAI(
            api_key="sk-test",
            base_url="http://provider.test/v1",
            max_retries=0,
            http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(self.handle)),
        )

    def sse(self, events: list[dict[str, Any]], *, delay: float = 0.0, done: bool = False) -> Reply:
        chunks = [_frame(event) for event in events]
        if done:
            chunks.append(b"data: [DONE]\n\n")

        def reply(request: httpx2.Request) -> httpx2.Response:
            headers = {"content-type": "text/event-stream"}
            if delay:
                return httpx2.Response(
                    200, headers=headers, stream=_SlowStream(chunks, delay, self)
                )
            return httpx2.Response(200, headers=headers, content=b"".join(chunks))

        return reply


def _frame(event: dict[str, Any]) -> bytes:
    name = f"event: {event['type']}\n" if "type" in event and "." in str(event["type"]) else ""
    return f"{name}data: {json.dumps(event)}\n\n".encode()


def error(status: int, message: str, *, code: str | None = None) -> Reply:
    """A JSON error reply as OpenAI sends it."""

    def reply(request: httpx2.Request) -> httpx2.Response:
        body = {"error": {"message": message, "type": "error", "code": code}}
        return httpx2.Response(status, json=body)

    return reply


def refuse_connection(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ConnectError("connection refused", request=request)


# ---- Responses API events -------------------------------------------------------------------


def _response(status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1700000000,
        "model": "gpt-test",
        "status": status,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    }


def responses_events(*outputs: dict[str, Any]) -> list[dict[str, Any]]:
    """A full Responses stream for output items built with `text`, `call`, `reasoning`."""
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": _response("in_progress", [])}
    ]
    finished = []
    for index, output in enumerate(outputs):
        events.extend(output["events"](index))
        finished.append(output["item"])
    events.append({"type": "response.completed", "response": _response("completed", finished)})
    for n, event in enumerate(events):
        event["sequence_number"] = n
    return events


def text(
    chunks: list[str], *, item_id: str = "msg_p1", annotations: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    full = "".join(chunks)
    part = {"type": "output_text", "text": full, "annotations": annotations or []}
    item = {
        "type": "message",
        "id": item_id,
        "role": "assistant",
        "status": "completed",
        "content": [part],
    }

    def events(i: int) -> list[dict[str, Any]]:
        base = {"item_id": item_id, "output_index": i, "content_index": 0}
        out: list[dict[str, Any]] = [
            {
                "type": "response.output_item.added",
                "output_index": i,
                "item": {**item, "status": "in_progress", "content": []},
            },
            {
                "type": "response.content_part.added",
                **base,
                "part": {"type": "output_text", "text": "", "annotations": []},
            },
        ]
        out += [
            {"type": "response.output_text.delta", **base, "delta": c, "logprobs": []}
            for c in chunks
        ]
        for n, annotation in enumerate(annotations or []):
            out.append(
                {
                    "type": "response.output_text.annotation.added",
                    **base,
                    "annotation_index": n,
                    "annotation": annotation,
                }
            )
        out += [
            {"type": "response.output_text.done", **base, "text": full, "logprobs": []},
            {"type": "response.content_part.done", **base, "part": part},
            {"type": "response.output_item.done", "output_index": i, "item": item},
        ]
        return out

    return {"item": item, "events": events}


def call(
    name: str, arguments: dict[str, Any], *, call_id: str = "call_1", item_id: str = "fc_1"
) -> dict[str, Any]:
    args = json.dumps(arguments)
    item = {
        "type": "function_call",
        "id": item_id,
        "call_id": call_id,
        "name": name,
        "arguments": args,
        "status": "completed",
    }

    def events(i: int) -> list[dict[str, Any]]:
        return [
            {
                "type": "response.output_item.added",
                "output_index": i,
                "item": {**item, "arguments": "", "status": "in_progress"},
            },
            {
                "type": "response.function_call_arguments.delta",
                "item_id": item_id,
                "output_index": i,
                "delta": args,
            },
            {
                "type": "response.function_call_arguments.done",
                "item_id": item_id,
                "output_index": i,
                "arguments": args,
                "name": name,
            },
            {"type": "response.output_item.done", "output_index": i, "item": item},
        ]

    return {"item": item, "events": events}


def reasoning(summaries: list[str], *, item_id: str = "rs_1") -> dict[str, Any]:
    summary = [{"type": "summary_text", "text": s} for s in summaries]
    item = {"type": "reasoning", "id": item_id, "summary": summary}

    def events(i: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [
            {
                "type": "response.output_item.added",
                "output_index": i,
                "item": {**item, "summary": []},
            },
        ]
        for n, s in enumerate(summaries):
            base = {"item_id": item_id, "output_index": i, "summary_index": n}
            out += [
                {
                    "type": "response.reasoning_summary_part.added",
                    **base,
                    "part": {"type": "summary_text", "text": ""},
                },
                {"type": "response.reasoning_summary_text.delta", **base, "delta": s},
                {"type": "response.reasoning_summary_text.done", **base, "text": s},
                {
                    "type": "response.reasoning_summary_part.done",
                    **base,
                    "part": {"type": "summary_text", "text": s},
                },
            ]
        out.append({"type": "response.output_item.done", "output_index": i, "item": item})
        return out

    return {"item": item, "events": events}


def hosted(item: dict[str, Any]) -> dict[str, Any]:
    """A hosted tool call (web search…): added in progress, then done as `item`."""

    def events(i: int) -> list[dict[str, Any]]:
        return [
            {
                "type": "response.output_item.added",
                "output_index": i,
                "item": {**item, "status": "in_progress"},
            },
            {"type": "response.output_item.done", "output_index": i, "item": item},
        ]

    return {"item": item, "events": events}


# ---- Chat Completions chunks ----------------------------------------------------------------


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "llama3.2/latest",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def chat_text(chunks: list[str]) -> list[dict[str, Any]]:
    out = [_chunk({"role": "assistant", "content": ""})]
    out += [_chunk({"content": c}) for c in chunks]
    out.append(_chunk({}, "stop"))
    return out


def chat_call(
    name: str, arguments: dict[str, Any], *, call_id: str = "call_1"
) -> list[dict[str, Any]]:
    args = json.dumps(arguments)
    half = len(args) // 2
    return [
        _chunk(
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "index": 0,
                        "id": call_id,
                        "type": "function",
                        "function": {"name": name, "arguments": ""},
                    }
                ],
            }
        ),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": args[:half]}}]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": args[half:]}}]}),
        _chunk({}, "tool_calls"),
    ]


# ---- titles (bridge/agent/titles.py) ---------------------------------------------------------


class _Gated(httpx2.AsyncByteStream):
    def __init__(self, body: bytes, gate: asyncio.Event) -> None:
        self.body = body
        self.gate = gate

    async def __aiter__(self) -> AsyncIterator[bytes]:
        await self.gate.wait()
        yield self.body


def title(text: str, *, gate: asyncio.Event | None = None) -> Reply:
    """A title call's answer (a non-streamed Responses body); held back until `gate` is set."""
    item = {
        "type": "message",
        "id": "msg_title",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }
    body = json.dumps(_response("completed", [item])).encode()

    def reply(request: httpx2.Request) -> httpx2.Response:
        headers = {"content-type": "application/json"}
        if gate is not None:
            return httpx2.Response(200, headers=headers, stream=_Gated(body, gate))
        return httpx2.Response(200, headers=headers, content=body)

    return reply
