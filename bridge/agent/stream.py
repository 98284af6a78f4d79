"""Agent stream events in, ChatKit stream events out, for one turn.

Every item id comes from `turn.new_id`: provider ids are not unique (Chat Completions models
call every item `__fake_id__`), so messages and reasoning are tracked by their output index
within the current model response. Text is always sent as updates of an item that was added
first, because the widget drops a delta for a part it has not seen, and because the turn
pipeline keeps the text of an added item when the client stops.
"""

from __future__ import annotations

import time
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
    ClientEffectEvent,
    ClientToolCallItem,
    DurationSummary,
    FileSource,
    ProgressUpdateEvent,
    ThoughtTask,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemRemovedEvent,
    ThreadItemUpdatedEvent,
    ThreadStreamEvent,
    URLSource,
    WidgetItem,
    Workflow,
    WorkflowItem,
    WorkflowTaskAdded,
    WorkflowTaskUpdated,
    utcnow,
)

from ..responder import Turn
from ..todo.task_list import task_list_text, task_list_widget
from ..todo.tools import ClientToolCalled, TaskContext, TaskListShown, TasksChanged, progress_text

TASKS_CHANGED = "tasks.changed"
"""The client effect sent after a tool changed tasks: the host page refreshes its list."""

_HOSTED_TOOLS = {
    "web_search_call": "Searching the web…",
    "file_search_call": "Searching files…",
    "code_interpreter_call": "Running code…",
    "image_generation_call": "Drawing…",
    "computer_call": "Using the computer…",
}


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


@dataclass
class _Reasoning:
    started: float
    item: WorkflowItem | None = None
    thoughts: dict[int, str] = field(default_factory=dict)


class TurnEvents:
    """Converts one run's stream into ChatKit events; feed it every event, then `finish()`."""

    def __init__(self, turn: Turn, context: TaskContext) -> None:
        self.turn = turn
        self.context = context
        self.item_ids: list[str] = []
        """Every item this turn added or finished, in order (for removal on a tripwire)."""
        self._messages: dict[int, _Message] = {}
        self._reasoning: dict[int, _Reasoning] = {}
        self._after_progress = False

    # ---- the entry points -------------------------------------------------------------------

    def convert(self, event: StreamEvent) -> list[ThreadStreamEvent]:
        """The ChatKit events for one agent stream event (often none)."""
        if isinstance(event, RawResponsesStreamEvent):
            out = self._raw(event.data)
        elif isinstance(event, RunItemStreamEvent) and event.name == "tool_output":
            out = self._effects()
        else:
            out = []
        self._track(out)
        return out

    def finish(self) -> list[ThreadStreamEvent]:
        """Close whatever the stream left open, so the turn never ends on a bare progress line."""
        out = self._effects()
        for index in list(self._messages):
            out.extend(self._message_done(index))
        for index in list(self._reasoning):
            out.extend(self._reasoning_done(index))
        self._track(out)
        if self._after_progress:
            out.extend(self._say("Done."))
        return out

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

    # ---- raw model events -------------------------------------------------------------------

    def _raw(self, data: Any) -> list[ThreadStreamEvent]:
        kind = getattr(data, "type", "")
        index = getattr(data, "output_index", 0)
        match kind:
            case "response.created":
                return self._new_response()
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
                if index in self._reasoning:
                    return self._reasoning_done(index)
                return []
            case "response.reasoning_summary_part.added":
                return self._thought_added(index, data.summary_index)
            case "response.reasoning_summary_text.delta":
                return self._thought_delta(index, data.summary_index, data.delta)
            case "response.reasoning_summary_text.done":
                return self._thought_done(index, data.summary_index, data.text)
        return []

    def _new_response(self) -> list[ThreadStreamEvent]:
        # Output indexes start again at 0 with each model call of the run.
        out: list[ThreadStreamEvent] = []
        for index in list(self._messages):
            out.extend(self._message_done(index))
        for index in list(self._reasoning):
            out.extend(self._reasoning_done(index))
        return out

    def _item_added(self, index: int, item: Any) -> list[ThreadStreamEvent]:
        kind = getattr(item, "type", "")
        if kind == "message":
            return self._start_message(index)
        if kind == "reasoning":
            self._reasoning[index] = _Reasoning(started=time.monotonic())
            return []
        if kind == "function_call" and item.name in self.context.client_tools:
            return []  # the page runs it: its pending item is all the widget needs
        if kind == "function_call":
            return [ProgressUpdateEvent(icon="check-circle", text=progress_text(item.name))]
        if kind == "mcp_call":
            return [ProgressUpdateEvent(icon="bolt", text=progress_text(item.name))]
        if kind in _HOSTED_TOOLS:
            return [ProgressUpdateEvent(icon="search", text=_HOSTED_TOOLS[kind])]
        return []

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
        annotation = _annotation(raw)
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

    # ---- reasoning --------------------------------------------------------------------------

    def _workflow(self, index: int) -> tuple[_Reasoning, WorkflowItem, list[ThreadStreamEvent]]:
        reasoning = self._reasoning.setdefault(index, _Reasoning(started=time.monotonic()))
        out: list[ThreadStreamEvent] = []
        if reasoning.item is None:
            reasoning.item = WorkflowItem(
                id=self.turn.new_id("wf"),
                thread_id=self.turn.thread.id,
                created_at=utcnow(),
                workflow=Workflow(type="reasoning", tasks=[], expanded=False),
            )
            out.append(ThreadItemAddedEvent(item=reasoning.item))
        return reasoning, reasoning.item, out

    def _thought_added(self, index: int, summary_index: int) -> list[ThreadStreamEvent]:
        reasoning, item, out = self._workflow(index)
        if summary_index in reasoning.thoughts:
            return out
        reasoning.thoughts[summary_index] = ""
        out.append(
            ThreadItemUpdatedEvent(
                item_id=item.id,
                update=WorkflowTaskAdded(
                    task_index=len(reasoning.thoughts) - 1,
                    task=ThoughtTask(content="", status_indicator="loading"),
                ),
            )
        )
        return out

    def _thought_delta(self, index: int, summary_index: int, delta: str) -> list[ThreadStreamEvent]:
        out = self._thought_added(index, summary_index)
        self._reasoning[index].thoughts[summary_index] += delta
        return out

    def _thought_done(self, index: int, summary_index: int, text: str) -> list[ThreadStreamEvent]:
        out = self._thought_added(index, summary_index)
        reasoning = self._reasoning[index]
        reasoning.thoughts[summary_index] = text
        assert reasoning.item is not None
        out.append(
            ThreadItemUpdatedEvent(
                item_id=reasoning.item.id,
                update=WorkflowTaskUpdated(
                    task_index=list(reasoning.thoughts).index(summary_index),
                    task=ThoughtTask(content=text, status_indicator="complete"),
                ),
            )
        )
        return out

    def _reasoning_done(self, index: int) -> list[ThreadStreamEvent]:
        reasoning = self._reasoning.pop(index)
        if reasoning.item is None:
            return []  # reasoning without a summary: nothing to show
        tasks = [
            ThoughtTask(content=text, status_indicator="complete")
            for text in reasoning.thoughts.values()
        ]
        seconds = round(time.monotonic() - reasoning.started)
        workflow = Workflow(
            type="reasoning", tasks=list(tasks), summary=DurationSummary(duration=seconds)
        )
        return [ThreadItemDoneEvent(item=reasoning.item.model_copy(update={"workflow": workflow}))]

    # ---- what tools did ---------------------------------------------------------------------

    def _effects(self) -> list[ThreadStreamEvent]:
        out: list[ThreadStreamEvent] = []
        last: list[ThreadStreamEvent] = []
        changed = False
        for effect in self.context.take_effects():
            match effect:
                case TaskListShown(tasks, status):
                    title = {"all": "All tasks", "open": "Open tasks", "completed": "Completed"}
                    item = WidgetItem(
                        id=self.turn.new_id("wdg"),
                        thread_id=self.turn.thread.id,
                        created_at=utcnow(),
                        widget=task_list_widget(tasks, title=title[status]),
                        copy_text=task_list_text(tasks),
                    )
                    out.append(ThreadItemDoneEvent(item=item))
                case TasksChanged():
                    changed = True
                case ClientToolCalled(call_id, name, arguments):
                    # The page runs it (onClientTool); the run ends on it (client_tools.py).
                    call = ClientToolCallItem(
                        id=self.turn.new_id("cli"),
                        thread_id=self.turn.thread.id,
                        created_at=utcnow(),
                        status="pending",
                        call_id=call_id,
                        name=name,
                        arguments=arguments,
                    )
                    last.append(ThreadItemDoneEvent(item=call))
        if changed:
            out.append(ClientEffectEvent(name=TASKS_CHANGED, data={}))
        return out + last


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
