"""The offline model: a deterministic stand-in that runs without an API key.

It reads the last user message with `intents.parse`, calls the real todo tools, and answers
from their output, streamed in several deltas exactly like a provider would (see
agents-facts.md: the Runner needs the full event sequence ending with `response.completed`).
The first answer of a thread says plainly that this is the offline model; "first" is read
from the history the model is given: no earlier assistant message carries the notice.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
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

NOTICE = "(Offline model: set OPENAI_API_KEY for a real one.)"

HELP = (
    "I can keep your todo list. Try “add buy milk”, “add a task to call mom tomorrow”, "
    "“what's on my list”, “show completed tasks”, “mark 2 done”, “complete the milk task”, "
    "“rename 3 to call mom” or “delete task 2”."
)
FALLBACK = "I only understand todo requests while offline. " + HELP


@dataclass(frozen=True)
class _Say:
    text: str


@dataclass(frozen=True)
class _Call:
    name: str
    arguments: dict[str, Any]


_Step = _Say | _Call
_ids = itertools.count(1)


class OfflineModel(Model):
    """A local rule-based model that understands everyday todo requests."""

    def __init__(self, *, delay: float = 0.0, today: date | None = None) -> None:
        self.delay = delay
        """Seconds between streamed deltas (0 still yields to the event loop)."""
        self._today = today

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
        step = self._plan(input, tools, model_settings)
        return ModelResponse(output=[_output_item(step)], usage=Usage(), response_id=None)

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
        step = self._plan(input, tools, model_settings)
        seq = itertools.count()
        response = _response([])
        yield ResponseCreatedEvent(
            type="response.created", response=response, sequence_number=next(seq)
        )
        item = _output_item(step)
        if isinstance(item, ResponseFunctionToolCall):
            async for event in self._stream_call(item, seq):
                yield event
        else:
            assert isinstance(item, ResponseOutputMessage)
            async for event in self._stream_message(item, seq):
                yield event
        yield ResponseCompletedEvent(
            type="response.completed", response=_response([item]), sequence_number=next(seq)
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
        self, item: ResponseFunctionToolCall, seq: itertools.count[int]
    ) -> AsyncIterator[ResponseStreamEvent]:
        yield ResponseOutputItemAddedEvent(
            type="response.output_item.added",
            item=item.model_copy(update={"arguments": "", "status": "in_progress"}),
            output_index=0,
            sequence_number=next(seq),
        )
        await asyncio.sleep(self.delay)
        yield ResponseFunctionCallArgumentsDeltaEvent(
            type="response.function_call_arguments.delta",
            item_id=item.id or "",
            output_index=0,
            delta=item.arguments,
            sequence_number=next(seq),
        )
        yield ResponseFunctionCallArgumentsDoneEvent(
            type="response.function_call_arguments.done",
            item_id=item.id or "",
            output_index=0,
            arguments=item.arguments,
            sequence_number=next(seq),
        )
        yield ResponseOutputItemDoneEvent(
            type="response.output_item.done",
            item=item,
            output_index=0,
            sequence_number=next(seq),
        )

    # ---- deciding what to do ----------------------------------------------------------------

    def _plan(self, input: str | list[Any], tools: list[Any], settings: ModelSettings) -> _Step:
        items: list[Any] = [{"role": "user", "content": input}] if isinstance(input, str) else input
        step = self._next_step(items, {tool.name for tool in tools}, settings)
        if isinstance(step, _Say) and not _notice_given(items):
            step = _Say(f"{NOTICE}\n\n{step.text}")
        return step

    def _next_step(self, items: list[Any], tools: set[str], settings: ModelSettings) -> _Step:
        asked_at = _last_request(items)
        request = _text(items[asked_at], first=True) if asked_at is not None else ""
        # The user message may open with notes (a quote, attachments): the request is last.
        request = request.rsplit("\n\n", 1)[-1]
        intent = intents.parse(request, self._today or date.today())
        calls, outputs = _calls_since(items, (asked_at or -1) + 1)
        if not calls:
            forced = settings.tool_choice if isinstance(settings.tool_choice, str) else None
            return _first_step(intent, request, tools, forced if forced in tools else None)
        last = calls[-1]
        output = outputs.get(last["call_id"], "")
        if last["name"] == "find_tasks" and not isinstance(intent, intents.AddTask | None):
            return _after_find(intent, json.loads(last.get("arguments") or "{}"), output, tools)
        if last["name"] == "list_tasks":
            first = output.split("\n", 1)[0].rstrip(":.")
            return _Say(first.replace("The user has", "You have") + ".")
        return _Say(output or "Done.")


def _first_step(
    intent: intents.Intent | None, request: str, tools: set[str], forced: str | None
) -> _Step:
    step: _Step
    match intent:
        case intents.AddTask(title, due):
            args: dict[str, Any] = {"title": title}
            if due:
                args["due_date"] = due.isoformat()
            step = _Call("add_task", args)
        case intents.ListTasks(status):
            step = _Call("list_tasks", {"status": status})
        case intents.Help():
            step = _Say(HELP)
        case None:
            step = _Say(FALLBACK)
        case _:
            target = intent.target
            step = (
                _Call("find_tasks", {"text": target})
                if isinstance(target, str)
                else _act(intent, target)
            )
    if forced and (not isinstance(step, _Call) or step.name != forced):
        if forced == "list_tasks":
            step = _Call("list_tasks", {"status": "open"})
        elif forced == "add_task" and request.strip():
            step = _Call("add_task", {"title": request.strip()})
    if isinstance(step, _Call) and step.name not in tools:
        return _Say("I can't manage tasks in this conversation.")
    return step


def _act(intent: intents.Intent, task_id: int) -> _Call:
    match intent:
        case intents.CompleteTask():
            return _Call("complete_task", {"task_id": task_id})
        case intents.ReopenTask():
            return _Call("update_task", {"task_id": task_id, "completed": False})
        case intents.RenameTask(_, title):
            return _Call("update_task", {"task_id": task_id, "title": title})
        case intents.RescheduleTask(_, due):
            return _Call("update_task", {"task_id": task_id, "due_date": due.isoformat()})
        case intents.DeleteTask():
            return _Call("delete_task", {"task_id": task_id})
    raise ValueError(f"{intent!r} does not act on one task")


def _after_find(
    intent: intents.Intent, arguments: dict[str, Any], output: str, tools: set[str]
) -> _Step:
    words = arguments.get("text", "")
    try:
        found: list[dict[str, Any]] = json.loads(output)
    except ValueError:
        return _Say(output)
    if isinstance(intent, intents.CompleteTask) and len(found) > 1:
        found = [task for task in found if not task["completed"]] or found
    if not found:
        return _Say(f"I couldn't find a task matching “{words}”.")
    if len(found) > 1:
        listed = ", ".join(f"{task['id']}. {task['title']}" for task in found)
        return _Say(f"Several tasks match “{words}”: {listed}. Which one? Tell me its number.")
    step = _act(intent, found[0]["id"])
    return step if step.name in tools else _Say("I can't change tasks in this conversation.")


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


def _notice_given(items: list[Any]) -> bool:
    return any(_is_message(item, "assistant") and NOTICE in _text(item) for item in items)


# ---- building provider objects --------------------------------------------------------------


def _output_item(step: _Step) -> ResponseOutputItem:
    n = next(_ids)
    if isinstance(step, _Call):
        return ResponseFunctionToolCall(
            type="function_call",
            id=f"fc_offline_{n}",
            call_id=f"call_offline_{n}",
            name=step.name,
            arguments=json.dumps(step.arguments),
            status="completed",
        )
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
