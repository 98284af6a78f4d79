"""Agent stream events in, ChatKit stream events out, for one turn.

Every item id comes from `turn.new_id`: provider ids are not unique (Chat Completions models
call every item `__fake_id__`), so messages and reasoning are tracked by their output index
within the current model response. Text is always sent as updates of an item that was added
first, because the widget drops a delta for a part it has not seen, and because the turn
pipeline keeps the text of an added item when the client stops.

The converter knows no app: tools reach the page through their `AgentContext` (context.py),
whose events arrive here in order (`emitted`); a tool's progress line comes from the tool or
the app (progress.py); reasoning and hosted tools have modules of their own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from agents import RawResponsesStreamEvent, RunItemStreamEvent, StreamEvent

from schemas import (
    Annotation,
    AssistantMessageContent,
    AssistantMessageContentPartAdded,
    AssistantMessageContentPartAnnotationAdded,
    AssistantMessageContentPartDone,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    ClientToolCallItem,
    FileSource,
    HiddenContextItem,
    ProgressUpdateEvent,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemRemovedEvent,
    ThreadItemUpdatedEvent,
    ThreadStreamEvent,
    URLSource,
    utcnow,
)

from ..responder import Turn
from .context import AgentContext
from .history import TOOL_MEMORY
from .hosted import HostedCalls
from .hosted_memory import record
from .progress import ProgressLabel
from .reasoning import ReasoningWorkflows


@dataclass
class _Part:
    text: str = ""
    annotations: list[Annotation] = field(default_factory=list)
    done: bool = False

    def content(self) -> AssistantMessageContent:
        return AssistantMessageContent(text=self.text, annotations=list(self.annotations))


@dataclass
class _Message:
    item: AssistantMessageItem
    parts: dict[int, _Part] = field(default_factory=dict)
    """Our content index for each provider content index, in order of arrival."""
    order: list[int] = field(default_factory=list)


class TurnEvents:
    """Converts one run's stream into ChatKit events; feed it every event, then `finish()`.

    Events a tool emits through its `AgentContext` are fed in with `emitted()`, in the order
    they happened, so the same bookkeeping (open items, the last progress line) covers them.
    """

    def __init__(
        self, turn: Turn, context: AgentContext[Any], *, progress: ProgressLabel | None = None
    ) -> None:
        self.turn = turn
        self.context = context
        self.progress: ProgressLabel = progress or (lambda name: None)
        self.item_ids: list[str] = []
        """Every item this turn added or finished, in order (for removal on a tripwire)."""
        self.memory: list[HiddenContextItem] = []
        """Server and hosted tool calls with their outputs, to store as hidden items (taken by
        the responder): the next turn's model input replays them (history.py)."""
        self._reasoning_item: Any = None
        """The last reasoning output item of this model response, kept with a hosted call."""
        self._messages: dict[int, _Message] = {}
        self._reasoning = ReasoningWorkflows(turn)
        self._hosted = HostedCalls(turn)
        self._calls: dict[str, tuple[str, str]] = {}
        self._client_call_sent = False
        self._after_progress = False

    # ---- the entry points -------------------------------------------------------------------

    def convert(self, event: StreamEvent) -> list[ThreadStreamEvent]:
        """The ChatKit events for one agent stream event (often none)."""
        if isinstance(event, RawResponsesStreamEvent):
            out = self._raw(event.data)
        elif isinstance(event, RunItemStreamEvent) and event.name == "tool_called":
            self._tool_called(event.item.raw_item)
            out = []
        elif isinstance(event, RunItemStreamEvent) and event.name == "tool_output":
            out = self._tool_output(event.item.raw_item)
        else:
            out = []
        self._track(out)
        return out

    def emitted(self, event: ThreadStreamEvent) -> list[ThreadStreamEvent]:
        """An event a tool emitted, passed on in its place in the stream."""
        out = [event]
        self._track(out)
        return out

    def finish(self) -> list[ThreadStreamEvent]:
        """Close whatever the stream left open, so the turn never ends on a bare progress line."""
        out = self._client_call()
        out.extend(self._close_all())
        if self.context.workflow is not None:
            ended: list[ThreadStreamEvent] = []
            self.context.bind(ended.append)
            self.context.end_workflow()
            out.extend(ended)
        self._track(out)
        if self._after_progress:
            out.extend(self._say("Done."))
        return out

    def take_memory(self) -> list[HiddenContextItem]:
        """The tool calls to remember since the last call."""
        taken, self.memory = self.memory, []
        return taken

    def removals(self) -> list[ThreadStreamEvent]:
        """Removal events for every item of this turn."""
        return [ThreadItemRemovedEvent(item_id=item_id) for item_id in dict.fromkeys(self.item_ids)]

    def _track(self, out: list[ThreadStreamEvent]) -> None:
        for event in out:
            if isinstance(event, ThreadItemAddedEvent | ThreadItemDoneEvent):
                self.item_ids.append(event.item.id)
                self._after_progress = False
            elif isinstance(event, ProgressUpdateEvent):
                self._after_progress = True

    def _close_all(self) -> list[ThreadStreamEvent]:
        out: list[ThreadStreamEvent] = []
        for index in list(self._messages):
            out.extend(self._message_done(index))
        out.extend(self._reasoning.close())
        out.extend(self._hosted.close())
        return out

    # ---- raw model events -------------------------------------------------------------------

    def _raw(self, data: Any) -> list[ThreadStreamEvent]:
        kind = getattr(data, "type", "")
        index = getattr(data, "output_index", 0)
        match kind:
            case "response.created":
                # Output indexes start again at 0 with each model call of the run.
                self.context.new_step()
                self._reasoning_item = None
                return self._close_all()
            case "response.output_item.added":
                return self._item_added(index, data.item)
            case "response.content_part.added":
                return self._part_added(index, data.content_index)
            case "response.output_text.delta" | "response.refusal.delta":
                return self._delta(index, data.content_index, data.delta)
            case "response.output_text.annotation.added":
                return self._annotation(index, data.content_index, data.annotation)
            case "response.content_part.done":
                return self._part_done(index, data.content_index, data.part)
            case "response.output_item.done":
                if index in self._messages:
                    return self._message_done(index)
                if getattr(data.item, "type", "") == "reasoning":
                    self._reasoning_item = data.item
                if index in self._reasoning:
                    return self._reasoning.finished(index)
                self._remember_hosted(data.item)
                return self._hosted.finished(index, data.item)
            case "response.image_generation_call.partial_image":
                return self._hosted.partial_image(index, data)
            case "response.reasoning_summary_part.added":
                self._reasoning.thought(index, data.summary_index)
                return []
            case "response.reasoning_summary_text.delta":
                return self._reasoning.delta(index, data.summary_index, data.delta)
            case "response.reasoning_summary_text.done":
                return self._reasoning.done(index, data.summary_index, data.text)
            case "response.reasoning_text.delta":
                return self._reasoning.delta(index, ("text", data.content_index), data.delta)
            case "response.reasoning_text.done":
                return self._reasoning.done(index, ("text", data.content_index), data.text)
        return []

    def _item_added(self, index: int, item: Any) -> list[ThreadStreamEvent]:
        kind = getattr(item, "type", "")
        if kind == "message":
            return self._start_message(index)
        if kind == "reasoning":
            self._reasoning.started(index)
            return []
        if kind == "function_call" and item.name in self.context.client_tools:
            return []  # the page runs it: its pending item is all the widget needs
        if kind == "function_call":
            label = self.progress(item.name)
            return [ProgressUpdateEvent(icon="check-circle", text=label)] if label else []
        return self._hosted.started(index, item)

    # ---- assistant messages -----------------------------------------------------------------

    def _start_message(self, index: int) -> list[ThreadStreamEvent]:
        out = self._message_done(index) if index in self._messages else []
        item = AssistantMessageItem(
            id=self.turn.new_id("msg"), thread_id=self.turn.thread.id, created_at=utcnow()
        )
        self._messages[index] = _Message(item=item)
        out.append(ThreadItemAddedEvent(item=item))
        return out

    def _part(
        self, index: int, provider_index: int
    ) -> tuple[_Message, int, list[ThreadStreamEvent]]:
        out: list[ThreadStreamEvent] = []
        if index not in self._messages:
            out.extend(self._start_message(index))
        message = self._messages[index]
        if provider_index not in message.parts:
            message.parts[provider_index] = _Part()
            message.order.append(provider_index)
            out.append(
                ThreadItemUpdatedEvent(
                    item_id=message.item.id,
                    update=AssistantMessageContentPartAdded(
                        content_index=message.order.index(provider_index),
                        content=AssistantMessageContent(text=""),
                    ),
                )
            )
        return message, message.order.index(provider_index), out

    def _part_added(self, index: int, provider_index: int) -> list[ThreadStreamEvent]:
        return self._part(index, provider_index)[2]

    def _delta(self, index: int, provider_index: int, delta: str) -> list[ThreadStreamEvent]:
        message, ours, out = self._part(index, provider_index)
        if not delta:
            return out
        message.parts[provider_index].text += delta
        out.append(
            ThreadItemUpdatedEvent(
                item_id=message.item.id,
                update=AssistantMessageContentPartTextDelta(content_index=ours, delta=delta),
            )
        )
        return out

    def _annotation(self, index: int, provider_index: int, raw: Any) -> list[ThreadStreamEvent]:
        annotation = raw if isinstance(raw, Annotation) else _annotation(raw)
        if annotation is None:
            return []
        message, ours, out = self._part(index, provider_index)
        part = message.parts[provider_index]
        part.annotations.append(annotation)
        out.append(
            ThreadItemUpdatedEvent(
                item_id=message.item.id,
                update=AssistantMessageContentPartAnnotationAdded(
                    content_index=ours,
                    annotation_index=len(part.annotations) - 1,
                    annotation=annotation,
                ),
            )
        )
        return out

    def _part_done(self, index: int, provider_index: int, raw: Any) -> list[ThreadStreamEvent]:
        message, ours, out = self._part(index, provider_index)
        part = message.parts[provider_index]
        final = getattr(raw, "text", None) or getattr(raw, "refusal", None)
        if isinstance(final, str) and final.startswith(part.text) and final != part.text:
            # Some servers send the last words only in the done event.
            out.extend(self._delta(index, provider_index, final[len(part.text) :]))
        if not part.annotations:
            # Some servers send citations only with the finished part.
            for raw_annotation in getattr(raw, "annotations", None) or []:
                out.extend(self._annotation(index, provider_index, raw_annotation))
        for annotation in self.context.take_citations():  # sources the tools cited
            out.extend(self._annotation(index, provider_index, annotation))
        part.done = True
        out.append(
            ThreadItemUpdatedEvent(
                item_id=message.item.id,
                update=AssistantMessageContentPartDone(content_index=ours, content=part.content()),
            )
        )
        return out

    def _message_done(self, index: int) -> list[ThreadStreamEvent]:
        message = self._messages[index]
        out: list[ThreadStreamEvent] = []
        for provider_index in message.order:
            if not message.parts[provider_index].done:
                out.extend(self._part_done(index, provider_index, None))
        del self._messages[index]
        content = [message.parts[i].content() for i in message.order]
        final = message.item.model_copy(update={"content": content})
        out.append(ThreadItemDoneEvent(item=final))
        return out

    def _say(self, text: str) -> list[ThreadStreamEvent]:
        index = -1
        out = self._start_message(index)
        out.extend(self._delta(index, 0, text))
        out.extend(self._message_done(index))
        self._track(out)
        return out

    # ---- what tools did ---------------------------------------------------------------------

    def _tool_called(self, raw: Any) -> None:
        if getattr(raw, "type", None) == "function_call":
            self._calls[raw.call_id] = (raw.name, raw.arguments or "{}")

    def _tool_output(self, raw: Any) -> list[ThreadStreamEvent]:
        call_id = raw.get("call_id") if isinstance(raw, dict) else getattr(raw, "call_id", None)
        call = self._calls.pop(call_id, None) if isinstance(call_id, str) else None
        if call is not None and call[0] not in self.context.client_tools:
            output = raw.get("output") if isinstance(raw, dict) else getattr(raw, "output", "")
            self.memory.append(
                HiddenContextItem(
                    id=self.turn.new_id("mem"),
                    thread_id=self.turn.thread.id,
                    created_at=utcnow(),
                    content={
                        "kind": TOOL_MEMORY,
                        "call_id": call_id,
                        "name": call[0],
                        "arguments": call[1],
                        "output": output if isinstance(output, str) else json.dumps(output),
                    },
                )
            )
        return self._client_call()

    def _remember_hosted(self, raw: Any) -> None:
        # With the reasoning it followed: a reasoning model's call is refused without it.
        remembered = record(self.turn, raw, self._reasoning_item)
        if remembered is not None:
            self.memory.append(remembered)

    def _client_call(self) -> list[ThreadStreamEvent]:
        call = self.context.client_call
        if call is None or self._client_call_sent:
            return []
        # The page runs it (onClientTool); the run ends on it (client_tools.py).
        self._client_call_sent = True
        item = ClientToolCallItem(
            id=self.turn.new_id("cli"),
            thread_id=self.turn.thread.id,
            created_at=utcnow(),
            status="pending",
            call_id=call.call_id,
            name=call.name,
            arguments=call.arguments,
        )
        return [ThreadItemDoneEvent(item=item)]


def _annotation(raw: Any) -> Annotation | None:
    value = raw if isinstance(raw, dict) else getattr(raw, "model_dump", lambda: {})()
    kind = value.get("type")
    if kind == "url_citation" and value.get("url"):
        source: URLSource | FileSource = URLSource(
            title=value.get("title") or value["url"], url=value["url"]
        )
        return Annotation(source=source, index=value.get("end_index"))
    if kind in ("file_citation", "container_file_citation"):
        name = value.get("filename") or value.get("file_id") or "file"
        return Annotation(source=FileSource(title=name, filename=name), index=value.get("index"))
    return None
