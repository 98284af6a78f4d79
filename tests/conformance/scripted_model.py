"""A scripted model for openai-agents, driven by plain data.

Used by the conformance recorder (in a throwaway venv with the reference SDK) and by the
bridge's replay test (in the project venv), so it depends only on `agents` and `openai`.

A script is a list of model turns; every call to the model consumes the next turn:

    {"text": ["Hel", "lo"]}                 an assistant message streamed as these deltas
    {"tool_call": {"name": "add_task",      one function call (arguments as a JSON object;
                   "arguments": {...}}}     "call_id" may be given, else one is generated)
    {"error": "boom"}                       raise ScriptedModelError("boom") before any output
    {"error_after": 2, "text": [...]}       stream the message, raise after 2 text deltas
    {"provider_error": "rate_limit"}        raise what the OpenAI client raises for that
                                            provider failure (PROVIDER_ERRORS), before output

Any turn may carry `"delay": 0.05`: seconds to sleep before each streamed delta and before a
scripted mid-stream failure (gives a client time to disconnect, and lets the deltas reach the
client before the failure). The events are real openai pydantic objects in the
order the Responses API sends them, and every successful turn ends with `response.completed`
(without it the Runner raises "Model did not produce a final response!").

`model.calls` records, per model call, the input items the model received (JSON-able), which
lets a test see how history was replayed to the model.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from agents.items import ModelResponse
from agents.models.interface import Model
from agents.usage import Usage
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseFunctionToolCall,
    ResponseInProgressEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)

__all__ = [
    "PROVIDER_ERRORS",
    "ScriptExhausted",
    "ScriptedModel",
    "ScriptedModelError",
    "provider_error",
    "validate_turn",
]


class ScriptedModelError(RuntimeError):
    """The failure a scripted `error` / `error_after` turn raises."""


class ScriptExhausted(ScriptedModelError):
    """The model was called more often than the script has turns."""


def validate_turn(turn: Any) -> None:
    """Raise ValueError unless `turn` is one of the documented shapes."""
    if not isinstance(turn, dict):
        raise ValueError(f"a turn must be an object, got {turn!r}")
    allowed = {"text", "tool_call", "error", "error_after", "delay", "provider_error"}
    unknown = set(turn) - allowed
    if unknown:
        raise ValueError(f"unknown turn keys {sorted(unknown)}")
    kinds = [k for k in ("text", "tool_call", "error", "provider_error") if k in turn]
    for only in ("error", "provider_error"):
        if only in turn and len(turn) - ("delay" in turn) != 1:
            raise ValueError(f"an {only!r} turn has no other keys")
    if "provider_error" in turn and turn["provider_error"] not in PROVIDER_ERRORS:
        raise ValueError(f"'provider_error' is one of {sorted(PROVIDER_ERRORS)}")
    if "tool_call" in turn and "text" in turn:
        raise ValueError("a turn is either text or a tool call")
    if not kinds:
        raise ValueError("a turn needs 'text', 'tool_call', 'error' or 'provider_error'")
    if "text" in turn and not (
        isinstance(turn["text"], list) and all(isinstance(c, str) for c in turn["text"])
    ):
        raise ValueError("'text' is a list of strings")
    if "error_after" in turn and ("text" not in turn or not isinstance(turn["error_after"], int)):
        raise ValueError("'error_after' is an int and needs 'text'")
    if "tool_call" in turn:
        call = turn["tool_call"]
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            raise ValueError("'tool_call' needs a 'name'")
        if not isinstance(call.get("arguments", {}), dict):
            raise ValueError("'tool_call.arguments' is an object")


PROVIDER_ERRORS: dict[str, int | str] = {
    "auth": 401,
    "permission": 403,
    "not_found": 404,
    "bad_request": 400,
    "conflict": 409,
    "rate_limit": 429,
    "server_error": 500,
    "connection": "connection",
    "timeout": "timeout",
}
"""Provider failures a turn can raise: an HTTP status the provider answered, or a transport
failure. The exceptions are the OpenAI client's own, built as it builds them."""


def provider_error(kind: str) -> Exception:
    """The exception the OpenAI client raises for a provider failure of this kind."""
    import httpx2  # the OpenAI client's HTTP library (openai 3.x)
    import openai

    request = httpx2.Request("POST", "https://api.openai.com/v1/responses")
    status = PROVIDER_ERRORS[kind]
    if status == "connection":
        return openai.APIConnectionError(request=request)
    if status == "timeout":
        return openai.APITimeoutError(request=request)
    assert isinstance(status, int)
    message = f"scripted {kind} failure"
    body = {"error": {"message": message, "type": "scripted", "code": kind}}
    response = httpx2.Response(status, json=body, request=request)
    client = openai.AsyncOpenAI(api_key="sk-scripted")
    error: Exception = client._make_status_error(message, body=body, response=response)
    return error


def _random_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _jsonable(value: Any) -> Any:
    """Input items as plain JSON (they may be pydantic models or TypedDicts)."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class ScriptedModel(Model):
    """An `agents` Model that plays back a list of turns (see the module docstring)."""

    def __init__(
        self,
        turns: Sequence[dict[str, Any]] = (),
        *,
        id_factory: Callable[[str], str] = _random_id,
        model_name: str = "scripted",
    ) -> None:
        for turn in turns:
            validate_turn(turn)
        self.turns: list[dict[str, Any]] = list(turns)
        self.calls: list[dict[str, Any]] = []
        self._id = id_factory
        self.model_name = model_name

    # -- script control ------------------------------------------------------------------

    def load(self, turns: Sequence[dict[str, Any]]) -> None:
        """Replace the remaining script (and forget recorded calls)."""
        for turn in turns:
            validate_turn(turn)
        self.turns = list(turns)
        self.calls = []

    @property
    def remaining(self) -> int:
        return len(self.turns)

    def _next_turn(
        self, system_instructions: str | None, input: Any, tools: Any, model_settings: Any = None
    ) -> dict[str, Any]:
        items = (
            [{"type": "message", "role": "user", "content": input}]
            if isinstance(input, str)
            else _jsonable(list(input))
        )
        call = {
            "instructions": system_instructions,
            "input": items,
            "tools": sorted(getattr(t, "name", type(t).__name__) for t in tools or []),
        }
        tool_choice = getattr(model_settings, "tool_choice", None)
        if tool_choice is not None:  # only when forced, so older recordings stay as they are
            call["tool_choice"] = tool_choice
        self.calls.append(call)
        if not self.turns:
            raise ScriptExhausted("the scripted model has no turns left")
        return self.turns.pop(0)

    # -- Model interface -----------------------------------------------------------------

    async def get_response(
        self,
        system_instructions: str | None,
        input: Any,
        model_settings: Any,
        tools: Any,
        output_schema: Any,
        handoffs: Any,
        tracing: Any,
        **kwargs: Any,
    ) -> ModelResponse:
        final: Response | None = None
        async for event in self.stream_response(
            system_instructions, input, model_settings, tools, output_schema, handoffs, tracing
        ):
            if isinstance(event, ResponseCompletedEvent):
                final = event.response
        assert final is not None
        return ModelResponse(
            output=list(final.output), usage=Usage(requests=1), response_id=final.id
        )

    async def stream_response(  # type: ignore[override]
        self,
        system_instructions: str | None,
        input: Any,
        model_settings: Any,
        tools: Any,
        output_schema: Any,
        handoffs: Any,
        tracing: Any,
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        turn = self._next_turn(system_instructions, input, tools, model_settings)
        if "error" in turn:
            raise ScriptedModelError(str(turn["error"]))
        if "provider_error" in turn:
            raise provider_error(turn["provider_error"])

        delay = float(turn.get("delay", 0) or 0)
        seq = _Seq()
        response_id = self._id("resp")
        base = self._response(response_id, [], "in_progress")
        yield ResponseCreatedEvent(type="response.created", response=base, sequence_number=seq())
        yield ResponseInProgressEvent(
            type="response.in_progress", response=base, sequence_number=seq()
        )

        output: list[Any] = []
        if "tool_call" in turn:
            async for event in self._tool_call(turn["tool_call"], seq, delay, output):
                yield event
        else:
            async for event in self._text(turn, seq, delay, output):
                yield event

        yield ResponseCompletedEvent(
            type="response.completed",
            response=self._response(response_id, output, "completed"),
            sequence_number=seq(),
        )

    # -- pieces --------------------------------------------------------------------------

    def _response(self, response_id: str, output: list[Any], status: str) -> Response:
        return Response(
            id=response_id,
            created_at=time.time(),
            model=self.model_name,
            object="response",
            output=output,
            parallel_tool_calls=False,
            tool_choice="auto",
            tools=[],
            status=status,
        )

    async def _text(
        self, turn: dict[str, Any], seq: _Seq, delay: float, output: list[Any]
    ) -> AsyncIterator[Any]:
        chunks: list[str] = list(turn["text"])
        fail_after: int | None = turn.get("error_after")
        item_id = self._id("msg")
        empty = ResponseOutputMessage(
            id=item_id, type="message", role="assistant", status="in_progress", content=[]
        )
        yield ResponseOutputItemAddedEvent(
            type="response.output_item.added", item=empty, output_index=0, sequence_number=seq()
        )
        yield ResponseContentPartAddedEvent(
            type="response.content_part.added",
            item_id=item_id,
            output_index=0,
            content_index=0,
            part=ResponseOutputText(type="output_text", text="", annotations=[], logprobs=[]),
            sequence_number=seq(),
        )
        for n, chunk in enumerate(chunks):
            if delay:
                await asyncio.sleep(delay)
            if fail_after is not None and n >= fail_after:
                raise ScriptedModelError(f"scripted failure after {fail_after} deltas")
            yield ResponseTextDeltaEvent(
                type="response.output_text.delta",
                item_id=item_id,
                output_index=0,
                content_index=0,
                delta=chunk,
                logprobs=[],
                sequence_number=seq(),
            )
        if fail_after is not None:
            if delay:
                await asyncio.sleep(delay)
            raise ScriptedModelError(f"scripted failure after {fail_after} deltas")
        text = "".join(chunks)
        part = ResponseOutputText(type="output_text", text=text, annotations=[], logprobs=[])
        yield ResponseTextDoneEvent(
            type="response.output_text.done",
            item_id=item_id,
            output_index=0,
            content_index=0,
            text=text,
            logprobs=[],
            sequence_number=seq(),
        )
        yield ResponseContentPartDoneEvent(
            type="response.content_part.done",
            item_id=item_id,
            output_index=0,
            content_index=0,
            part=part,
            sequence_number=seq(),
        )
        message = ResponseOutputMessage(
            id=item_id, type="message", role="assistant", status="completed", content=[part]
        )
        output.append(message)
        yield ResponseOutputItemDoneEvent(
            type="response.output_item.done", item=message, output_index=0, sequence_number=seq()
        )

    async def _tool_call(
        self, call: dict[str, Any], seq: _Seq, delay: float, output: list[Any]
    ) -> AsyncIterator[Any]:
        item_id = self._id("fc")
        call_id = call.get("call_id") or self._id("call")
        arguments = json.dumps(call.get("arguments", {}))
        started = ResponseFunctionToolCall(
            id=item_id,
            call_id=call_id,
            name=call["name"],
            arguments="",
            type="function_call",
            status="in_progress",
        )
        yield ResponseOutputItemAddedEvent(
            type="response.output_item.added", item=started, output_index=0, sequence_number=seq()
        )
        if delay:
            await asyncio.sleep(delay)
        yield ResponseFunctionCallArgumentsDeltaEvent(
            type="response.function_call_arguments.delta",
            item_id=item_id,
            output_index=0,
            delta=arguments,
            sequence_number=seq(),
        )
        yield ResponseFunctionCallArgumentsDoneEvent(
            type="response.function_call_arguments.done",
            item_id=item_id,
            output_index=0,
            name=call["name"],
            arguments=arguments,
            sequence_number=seq(),
        )
        done = started.model_copy(update={"arguments": arguments, "status": "completed"})
        output.append(done)
        yield ResponseOutputItemDoneEvent(
            type="response.output_item.done", item=done, output_index=0, sequence_number=seq()
        )


class _Seq:
    """Sequence numbers for one response's events."""

    def __init__(self) -> None:
        self.n = -1

    def __call__(self) -> int:
        self.n += 1
        return self.n
