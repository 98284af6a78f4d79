"""A scripted model that streams raw Responses events given as plain dicts.

Each model call plays the next list of events (validated into the openai pydantic event
types, as a provider's stream would arrive); `response.completed` is added with the output
items of the `response.output_item.done` events, so the Runner sees a full response. For the
parts of the stream the text-and-tool-call scripts cannot express: reasoning text, hosted
tool calls, image generation, citations.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from agents import ModelResponse, ModelSettings
from agents.models.interface import Model, ModelTracing
from openai.types.responses import ResponseStreamEvent
from pydantic import TypeAdapter

_EVENT = TypeAdapter(ResponseStreamEvent)


def _response(status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "resp_raw",
        "object": "response",
        "created_at": time.time(),
        "model": "raw",
        "status": status,
        "output": output,
        "parallel_tool_calls": False,
        "tool_choice": "auto",
        "tools": [],
    }


class RawModel(Model):
    """Plays `turns`, one list of raw event dicts per model call."""

    def __init__(self, turns: list[list[dict[str, Any]]]) -> None:
        self.turns = list(turns)
        self.inputs: list[Any] = []

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        raise NotImplementedError

    async def stream_response(
        self,
        system_instructions: str | None,
        input: Any,
        model_settings: ModelSettings,
        tools: list[Any],
        output_schema: Any,
        handoffs: list[Any],
        tracing: ModelTracing,
        **_: Any,
    ) -> AsyncIterator[ResponseStreamEvent]:
        self.inputs.append(input)
        events = self.turns.pop(0)
        seq = 0
        output = []
        for raw in [
            {"type": "response.created", "response": _response("in_progress", [])},
            *events,
        ]:
            if raw["type"] == "response.output_item.done":
                output.append(raw["item"])
            yield _EVENT.validate_python({"sequence_number": seq, **raw})
            seq += 1
        yield _EVENT.validate_python(
            {
                "type": "response.completed",
                "sequence_number": seq,
                "response": _response("completed", output),
            }
        )


def message(
    text: str,
    *,
    index: int = 0,
    annotations: list[Any] | None = None,
    stream_annotations: bool = True,
) -> list[dict[str, Any]]:
    """A message streamed as two deltas; its citations as annotation events or only in the
    finished part."""
    item = {
        "type": "message",
        "id": f"msg_{index}",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": annotations or []}],
    }
    at = {"item_id": f"msg_{index}", "output_index": index, "content_index": 0}
    half = len(text) // 2
    events: list[dict[str, Any]] = [
        {
            "type": "response.output_item.added",
            "output_index": index,
            "item": {**item, "status": "in_progress", "content": []},
        },
        {
            "type": "response.content_part.added",
            **at,
            "part": {"type": "output_text", "text": "", "annotations": []},
        },
        {"type": "response.output_text.delta", **at, "delta": text[:half], "logprobs": []},
        {"type": "response.output_text.delta", **at, "delta": text[half:], "logprobs": []},
    ]
    if stream_annotations:
        for n, annotation in enumerate(annotations or []):
            events.append(
                {
                    "type": "response.output_text.annotation.added",
                    **at,
                    "annotation_index": n,
                    "annotation": annotation,
                }
            )
    events += [
        {"type": "response.output_text.done", **at, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **at, "part": item["content"][0]},
        {"type": "response.output_item.done", "output_index": index, "item": item},
    ]
    return events
