"""The offline model: a deterministic stand-in that runs without an API key.

It reads the last user message with `request_parser.parse`, plans with `planner.script`, calls the
real todo tools through the Runner one step at a time, and answers from their output,
streamed in several deltas exactly like a provider would (see agents-facts.md: the Runner
needs the full event sequence ending with `response.completed`).

Everything it knows comes from its input, that is from the thread: the question it asked
last, the request that question answers, the tasks its answers named. So a "yes" or a "7"
works after a restart or on another worker. The first answer of a thread says plainly that
this is the offline model: "first" means no answer before it, and the history window always
holds the latest answer, so the notice never comes back mid-thread.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time as clock_time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

from agents import ModelResponse, ModelSettings, Usage
from agents.models.interface import Model, ModelTracing
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

from . import intents
from . import offline_planner as planner
from .due_dates import Clock
from .request_parser import parse

NOTICE = "(Offline model: set OPENAI_API_KEY for a real one.)"

HELP = planner.HELP
FALLBACK = planner.FALLBACK


@dataclass(frozen=True)
class _Say:
    text: str


@dataclass(frozen=True)
class _Call:
    name: str
    arguments: dict[str, Any]


_Step = _Say | list[_Call]
"""An answer, or the tool calls of one step (several run together, as parallel calls)."""
_ids = itertools.count(1)


class OfflineModel(Model):
    """A local rule-based model that understands everyday todo requests."""

    def __init__(
        self,
        *,
        delay: float = 0.0,
        today: date | None = None,
        timezone: str | None = None,
        locale: str | None = None,
    ) -> None:
        self.delay = delay
        """Seconds between streamed deltas (0 still yields to the event loop)."""
        now = datetime.combine(today, time(12)) if today is not None else None
        self.clock = Clock(timezone=timezone, locale=locale, now=now)
        """Where "today" is, and how the user writes dates (`en-GB`: 5/12 is 5 December)."""

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[Any],
        model_settings: ModelSettings,
        tools: list[Any],
        output_schema: Any,
        handoffs: list[Any],
        tracing: ModelTracing,
        **_: Any,
    ) -> ModelResponse:
        step = self._plan(input, tools, model_settings, system_instructions)
        return ModelResponse(output=_output_items(step), usage=Usage(), response_id=None)

    async def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[Any],
        model_settings: ModelSettings,
        tools: list[Any],
        output_schema: Any,
        handoffs: list[Any],
        tracing: ModelTracing,
        **_: Any,
    ) -> AsyncIterator[ResponseStreamEvent]:
        step = self._plan(input, tools, model_settings, system_instructions)
        seq = itertools.count()
        response = _response([])
        yield ResponseCreatedEvent(
            type="response.created", response=response, sequence_number=next(seq)
        )
        output = _output_items(step)
        for index, item in enumerate(output):
            if isinstance(item, ResponseFunctionToolCall):
                async for event in self._stream_call(item, index, seq):
                    yield event
            else:
                assert isinstance(item, ResponseOutputMessage)
                async for event in self._stream_message(item, seq):
                    yield event
        yield ResponseCompletedEvent(
            type="response.completed", response=_response(output), sequence_number=next(seq)
        )

    async def _stream_message(
        self, item: ResponseOutputMessage, seq: itertools.count[int]
    ) -> AsyncIterator[ResponseStreamEvent]:
        part = item.content[0]
        assert isinstance(part, ResponseOutputText)
        empty = item.model_copy(update={"content": [], "status": "in_progress"})
        yield ResponseOutputItemAddedEvent(
            type="response.output_item.added",
            item=empty,
            output_index=0,
            sequence_number=next(seq),
        )
        yield ResponseContentPartAddedEvent(
            type="response.content_part.added",
            item_id=item.id,
            output_index=0,
            content_index=0,
            part=ResponseOutputText(type="output_text", text="", annotations=[]),
            sequence_number=next(seq),
        )
        for chunk in _chunks(part.text):
            await asyncio.sleep(self.delay)
            yield ResponseTextDeltaEvent(
                type="response.output_text.delta",
                item_id=item.id,
                output_index=0,
                content_index=0,
                delta=chunk,
                logprobs=[],
                sequence_number=next(seq),
            )
        yield ResponseTextDoneEvent(
            type="response.output_text.done",
            item_id=item.id,
            output_index=0,
            content_index=0,
            text=part.text,
            logprobs=[],
            sequence_number=next(seq),
        )
        yield ResponseContentPartDoneEvent(
            type="response.content_part.done",
            item_id=item.id,
            output_index=0,
            content_index=0,
            part=part,
            sequence_number=next(seq),
        )
        yield ResponseOutputItemDoneEvent(
            type="response.output_item.done",
            item=item,
            output_index=0,
            sequence_number=next(seq),
        )

    async def _stream_call(
        self, item: ResponseFunctionToolCall, index: int, seq: itertools.count[int]
    ) -> AsyncIterator[ResponseStreamEvent]:
        yield ResponseOutputItemAddedEvent(
            type="response.output_item.added",
            item=item.model_copy(update={"arguments": "", "status": "in_progress"}),
            output_index=index,
            sequence_number=next(seq),
        )
        await asyncio.sleep(self.delay)
        yield ResponseFunctionCallArgumentsDeltaEvent(
            type="response.function_call_arguments.delta",
            item_id=item.id or "",
            output_index=index,
            delta=item.arguments,
            sequence_number=next(seq),
        )
        yield ResponseFunctionCallArgumentsDoneEvent(
            type="response.function_call_arguments.done",
            item_id=item.id or "",
            output_index=index,
            arguments=item.arguments,
            sequence_number=next(seq),
        )
        yield ResponseOutputItemDoneEvent(
            type="response.output_item.done",
            item=item,
            output_index=index,
            sequence_number=next(seq),
        )

    # ---- deciding what to do ----------------------------------------------------------------

    def _plan(
        self,
        input: str | list[Any],
        tools: list[Any],
        settings: ModelSettings,
        instructions: str | None = None,
    ) -> _Step:
        items: list[Any] = [{"role": "user", "content": input}] if isinstance(input, str) else input
        clock = self.clock
        # The user's locale, as the agent's instructions tell any model (todo_agent).
        if m := re.search(r"The user's locale is ([\w-]+)\.", instructions or ""):
            clock = replace(clock, locale=m[1])
        step = self._next_step(items, {tool.name for tool in tools}, settings, clock)
        asked_at = _last_request(items)
        if isinstance(step, _Say) and _first_answer(items[: asked_at or 0]):
            step = _Say(f"{NOTICE}\n\n{step.text}")
        return step

    def _next_step(
        self, items: list[Any], tools: set[str], settings: ModelSettings, clock: Clock
    ) -> _Step:
        asked_at = _last_request(items)
        talk = _conversation(items, asked_at)
        intent = parse(talk.request, clock)
        calls, outputs = _calls_since(items, (asked_at if asked_at is not None else -1) + 1)
        forced = settings.tool_choice if isinstance(settings.tool_choice, str) else None
        if not calls and forced in tools:
            intent = _forced(intent, forced, talk.request)
        # Replay the script with the outputs of the calls made so far, step by step.
        run = planner.script(intent, talk, clock)
        try:
            step = next(run)
            while calls:
                made, calls = calls[: len(step)], calls[len(step) :]
                step = run.send([outputs.get(call["call_id"], "") for call in made])
        except StopIteration as done:
            return _Say(str(done.value or "Done."))
        if any(call.name not in tools for call in step):
            return _Say("I can't manage tasks in this conversation.")
        return [_Call(call.name, call.arguments) for call in step]


def _forced(intent: intents.Intent, forced: str | None, request: str) -> intents.Intent:
    """The composer's tool menu picked a tool: use it even if the words say otherwise."""
    if forced == "list_tasks" and not isinstance(intent, intents.ListTasks):
        return intents.ListTasks("open")
    if forced == "add_task" and not isinstance(intent, intents.AddTasks) and request.strip():
        return intents.AddTasks(((request.strip(), None),))
    return intent


# ---- reading the input ----------------------------------------------------------------------


def _text(item: Any, *, first: bool = False) -> str:
    content = item.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [part.get("text", "") for part in content if isinstance(part, dict)]
        # `first`: the message itself, without the attachments' parts that follow it.
        return texts[0] if first and texts else "".join(texts)
    return ""


def _is_message(item: Any, role: str) -> bool:
    return (
        isinstance(item, dict)
        and item.get("role") == role
        and item.get("type", "message") == "message"
    )


def _last_request(items: list[Any]) -> int | None:
    for index in range(len(items) - 1, -1, -1):
        item = items[index]
        if _is_message(item, "user") and not _text(item).startswith(("[Context:", "[Shown")):
            return index
    return None


def _calls_since(items: list[Any], start: int) -> tuple[list[dict[str, Any]], dict[str, str]]:
    calls: list[dict[str, Any]] = []
    outputs: dict[str, str] = {}
    for item in items[start:]:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "function_call":
            calls.append(item)
        elif item.get("type") == "function_call_output":
            output = item.get("output")
            outputs[item["call_id"]] = output if isinstance(output, str) else json.dumps(output)
    return calls, outputs


def _first_answer(before: list[Any]) -> bool:
    """Whether no answer came before in this thread. Any earlier answer counts, not only one
    carrying the notice, so the notice never comes back once the first answer falls out of
    the history window (the window always holds the latest answer)."""
    return not any(_is_message(item, "assistant") for item in before)


def _conversation(items: list[Any], asked_at: int | None) -> planner.Conversation:
    """The request, and what the thread before it says (question asked, tasks talked about)."""
    if asked_at is None:
        return planner.Conversation(request="")
    request = _text(items[asked_at], first=True)
    # The user message may open with notes (a quote, attachments): the request is last.
    talk = planner.Conversation(request=request.rsplit("\n\n", 1)[-1])
    answered = False
    for item in reversed(items[:asked_at]):
        if _is_message(item, "assistant"):
            text = _text(item)
            if text.startswith("[Shown to the user:"):
                if not talk.shown and not talk.mentioned:
                    talk.shown = planner.shown(text)
                continue
            if not answered:
                answered = True
                talk.question = text.rsplit("\n\n", 1)[-1]
            if not talk.mentioned:
                talk.mentioned = planner.mentioned(text)
        elif _is_message(item, "user") and not _text(item).startswith(("[Context:", "[Shown")):
            if answered and not talk.previous_request:
                talk.previous_request = _text(item, first=True).rsplit("\n\n", 1)[-1]
            if not answered:
                break  # two user messages in a row: nothing was asked in between
        if talk.previous_request and talk.mentioned:
            break
    return talk


# ---- building provider objects --------------------------------------------------------------


def _output_items(step: _Step) -> list[ResponseOutputItem]:
    if isinstance(step, _Say):
        return [_message(step)]
    return [_function_call(call) for call in step]


def _function_call(call: _Call) -> ResponseFunctionToolCall:
    n = next(_ids)
    return ResponseFunctionToolCall(
        type="function_call",
        id=f"fc_offline_{n}",
        call_id=f"call_offline_{n}",
        name=call.name,
        arguments=json.dumps(call.arguments),
        status="completed",
    )


def _message(step: _Say) -> ResponseOutputMessage:
    n = next(_ids)
    return ResponseOutputMessage(
        type="message",
        id=f"msg_offline_{n}",
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text=step.text, annotations=[])],
    )


def _response(output: list[ResponseOutputItem]) -> Response:
    return Response(
        id=f"resp_offline_{next(_ids)}",
        object="response",
        created_at=clock_time.time(),
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
