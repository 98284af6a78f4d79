"""Local models that need no API key: one step (a message or a tool call) per model call.

`StepModel` streams a step exactly as a provider would (agents-facts.md: the full event
sequence, ending with `response.completed`); a subclass only decides the step from the input
(`next_step`). `EchoModel` is the offline model of any app that brings none of its own: it
says plainly that it is offline and echoes the user, or plays a script of steps (tests,
demos). An app with its own offline understanding (the todo app) subclasses `StepModel` or
passes any `Model` as `AgentResponder(offline_model=…)`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from agents import ModelResponse, ModelSettings, Usage
from agents.models.interface import Model
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseFunctionToolCall,
    ResponseOutputItem,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)

OFFLINE_NOTICE = "(Offline model: set OPENAI_API_KEY for a real one.)"
KEPT_INPUTS = 32
"""How many calls' inputs a step model keeps for inspection (it serves for the server's life)."""


@dataclass(frozen=True)
class Say:
    """Answer with this text."""

    text: str


@dataclass(frozen=True)
class Call:
    """Call a tool with these arguments."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


Step = Say | Call | list[Call]
"""An answer, a tool call, or the tool calls of one step (several run together, as parallel
calls)."""
_ids = itertools.count(1)


class StepModel(Model):
    """A local model: `next_step` decides, the model streams it like a provider."""

    id_prefix = "local"
    """What the ids of its output items say (`msg_local_1`)."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay
        """Seconds between streamed deltas (0 still yields to the event loop)."""
        self.inputs: deque[list[Any]] = deque(maxlen=KEPT_INPUTS)
        """The input items of the latest calls, oldest first (what the model was told)."""
        self.instructions: str | None = None
        """The system instructions of the current call, for `next_step` to read."""

    def next_step(self, items: list[Any], tools: set[str], settings: ModelSettings) -> Step:
        """The step for this model call, from the input items and the tool names."""
        raise NotImplementedError

    def _step(
        self,
        system_instructions: str | None,
        input: str | list[Any],
        model_settings: ModelSettings,
        tools: list[Any],
        *_: Any,
        **__: Any,
    ) -> Step:
        """The step for a call with the SDK's `Model` arguments (the rest are not needed)."""
        items: list[Any] = [{"role": "user", "content": input}] if isinstance(input, str) else input
        self.inputs.append(list(items))
        self.instructions = system_instructions  # read synchronously by next_step, no await between
        return self.next_step(list(items), {tool.name for tool in tools}, model_settings)

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        output = output_items(self._step(*args, **kwargs), prefix=self.id_prefix)
        return ModelResponse(output=output, usage=Usage(), response_id=None)

    async def stream_response(
        self, *args: Any, **kwargs: Any
    ) -> AsyncIterator[ResponseStreamEvent]:
        step = self._step(*args, **kwargs)
        async for event in stream_step(step, delay=self.delay, prefix=self.id_prefix):
            yield event


class EchoModel(StepModel):
    """The offline model of an app without one: says it is offline, echoes or plays a script.

    `script` steps are played one per model call (a `str` is a `Say`); once it runs out, the
    model echoes the user's last message. Every echo says that the model is offline; a
    scripted answer carries the notice in the first answer of a thread only.
    """

    def __init__(self, script: Iterable[Step | str] = (), *, delay: float = 0.0) -> None:
        super().__init__(delay=delay)
        self.script: list[Step] = [Say(s) if isinstance(s, str) else s for s in script]

    def load(self, steps: Iterable[Step | str]) -> None:
        """Queue more steps."""
        self.script.extend(Say(s) if isinstance(s, str) else s for s in steps)

    def next_step(self, items: list[Any], tools: set[str], settings: ModelSettings) -> Step:
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, Say) and not notice_given(items):
                return Say(f"{OFFLINE_NOTICE}\n\n{step.text}")
            return step
        said = last_user_text(items).strip()
        if not said:
            return Say(f"{OFFLINE_NOTICE} I am offline and can only repeat what you write.")
        return Say(f"{OFFLINE_NOTICE} I am offline and can only repeat what you write: “{said}”")


# ---- reading the input ----------------------------------------------------------------------


def message_text(item: Any, *, first: bool = False) -> str:
    """The text of an input message item (string or parts); `first`: the first part only, the
    message itself without the attachments' parts that follow it."""
    content = item.get("content") if isinstance(item, dict) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [part.get("text", "") for part in content if isinstance(part, dict)]
        return texts[0] if first and texts else "".join(texts)
    return ""


def is_message(item: Any, role: str) -> bool:
    """Whether an input item is a message of this role (`user`, `assistant`)."""
    return (
        isinstance(item, dict)
        and item.get("role") == role
        and item.get("type", "message") == "message"
    )


def is_request(item: Any) -> bool:
    """Whether an input item is the user's own message (not a bracketed context note)."""
    return is_message(item, "user") and not message_text(item).startswith(("[Context:", "[Shown"))


def last_user_text(items: list[Any]) -> str:
    """The user's last own message (not a bracketed context note)."""
    for item in reversed(items):
        if is_request(item):
            return message_text(item).rsplit("\n\n", 1)[-1]  # notes (a quote…) come first
    return ""


def notice_given(items: list[Any]) -> bool:
    """Whether an earlier answer in the input already said the model is offline."""
    return any(
        is_message(item, "assistant") and OFFLINE_NOTICE in message_text(item) for item in items
    )


# ---- streaming a step -----------------------------------------------------------------------


def output_items(step: Step, *, prefix: str = "local") -> list[ResponseOutputItem]:
    """The provider output items for a step (`prefix` marks their ids: `msg_local_1`)."""
    calls = [step] if isinstance(step, Call) else step if isinstance(step, list) else None
    if calls is None:
        assert isinstance(step, Say)
        return [_message(step, prefix)]
    return [_function_call(call, prefix) for call in calls]


def _function_call(call: Call, prefix: str) -> ResponseFunctionToolCall:
    n = next(_ids)
    return ResponseFunctionToolCall(
        type="function_call",
        id=f"fc_{prefix}_{n}",
        call_id=f"call_{prefix}_{n}",
        name=call.name,
        arguments=json.dumps(call.arguments),
        status="completed",
    )


def _message(say: Say, prefix: str) -> ResponseOutputMessage:
    return ResponseOutputMessage(
        type="message",
        id=f"msg_{prefix}_{next(_ids)}",
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text=say.text, annotations=[])],
    )


async def stream_step(
    step: Step, *, delay: float = 0.0, prefix: str = "local"
) -> AsyncIterator[ResponseStreamEvent]:
    """The Responses stream events for one step, ending with `response.completed`."""
    seq = itertools.count()
    yield ResponseCreatedEvent(
        type="response.created", response=_response([], prefix), sequence_number=next(seq)
    )
    output = output_items(step, prefix=prefix)
    for index, item in enumerate(output):
        if isinstance(item, ResponseFunctionToolCall):
            events = _stream_call(item, index, seq, delay)
        else:
            assert isinstance(item, ResponseOutputMessage)
            events = _stream_message(item, index, seq, delay)
        async for event in events:
            yield event
    yield ResponseCompletedEvent(
        type="response.completed", response=_response(output, prefix), sequence_number=next(seq)
    )


async def _stream_call(
    item: ResponseFunctionToolCall, index: int, seq: itertools.count[int], delay: float
) -> AsyncIterator[ResponseStreamEvent]:
    at = {"output_index": index}
    yield ResponseOutputItemAddedEvent(
        type="response.output_item.added",
        item=item.model_copy(update={"arguments": "", "status": "in_progress"}),
        sequence_number=next(seq),
        **at,
    )
    await asyncio.sleep(delay)
    ids = {"item_id": item.id or "", **at}
    yield ResponseFunctionCallArgumentsDeltaEvent(
        type="response.function_call_arguments.delta",
        delta=item.arguments,
        sequence_number=next(seq),
        **ids,
    )
    yield ResponseFunctionCallArgumentsDoneEvent(
        type="response.function_call_arguments.done",
        arguments=item.arguments,
        sequence_number=next(seq),
        **ids,
    )
    yield ResponseOutputItemDoneEvent(
        type="response.output_item.done", item=item, sequence_number=next(seq), **at
    )


async def _stream_message(
    item: ResponseOutputMessage, index: int, seq: itertools.count[int], delay: float
) -> AsyncIterator[ResponseStreamEvent]:
    part = item.content[0]
    assert isinstance(part, ResponseOutputText)
    at = {"output_index": index}
    yield ResponseOutputItemAddedEvent(
        type="response.output_item.added",
        item=item.model_copy(update={"content": [], "status": "in_progress"}),
        sequence_number=next(seq),
        **at,
    )
    ids = {"item_id": item.id, "content_index": 0, **at}
    yield ResponseContentPartAddedEvent(
        type="response.content_part.added",
        part=ResponseOutputText(type="output_text", text="", annotations=[]),
        sequence_number=next(seq),
        **ids,
    )
    for chunk in _chunks(part.text):
        await asyncio.sleep(delay)
        yield ResponseTextDeltaEvent(
            type="response.output_text.delta",
            delta=chunk,
            logprobs=[],
            sequence_number=next(seq),
            **ids,
        )
    yield ResponseTextDoneEvent(
        type="response.output_text.done",
        text=part.text,
        logprobs=[],
        sequence_number=next(seq),
        **ids,
    )
    yield ResponseContentPartDoneEvent(
        type="response.content_part.done", part=part, sequence_number=next(seq), **ids
    )
    yield ResponseOutputItemDoneEvent(
        type="response.output_item.done", item=item, sequence_number=next(seq), **at
    )


def _response(output: list[ResponseOutputItem], prefix: str) -> Response:
    return Response(
        id=f"resp_{prefix}_{next(_ids)}",
        object="response",
        created_at=time.time(),
        model="offline",
        output=output,
        parallel_tool_calls=False,
        tool_choice="auto",
        tools=[],
        status="completed" if output else "in_progress",
    )


def _chunks(text: str, words: int = 3) -> list[str]:
    tokens = re.findall(r"\S+\s*|\s+", text)
    return ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)] or [""]
