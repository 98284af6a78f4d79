"""Reasoning as a `reasoning` workflow that streams as the model thinks.

Each summary part (`response.reasoning_summary_*`) or reasoning text part
(`response.reasoning_text.*`, from open-weight models) is a thought task: added with its first
words, updated with each delta (the protocol has no delta for a task, so the task is resent
whole), completed when its text is done. The workflow is finished, collapsed under the time it
took, when the reasoning item is done. Reasoning with no text shows nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from schemas import (
    DurationSummary,
    StatusIndicator,
    ThoughtTask,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemUpdatedEvent,
    ThreadStreamEvent,
    Workflow,
    WorkflowItem,
    WorkflowTaskAdded,
    WorkflowTaskUpdated,
    utcnow,
)

from ..responder import Turn


@dataclass
class _Reasoning:
    started: float
    item: WorkflowItem | None = None
    thoughts: dict[Any, str] = field(default_factory=dict)
    """Summary parts (by index) and reasoning text parts (by ("text", index))."""
    shown: list[Any] = field(default_factory=list)
    """The thoughts sent as workflow tasks, in task order."""


class ReasoningWorkflows:
    """The reasoning items of the current model response, by output index."""

    def __init__(self, turn: Turn) -> None:
        self.turn = turn
        self._open: dict[int, _Reasoning] = {}

    def __contains__(self, index: int) -> bool:
        return index in self._open

    def started(self, index: int) -> None:
        """A reasoning item began."""
        self._open[index] = _Reasoning(started=time.monotonic())

    def thought(self, index: int, key: Any) -> None:
        """A thought part began (shown once it has words)."""
        self._get(index).thoughts.setdefault(key, "")

    def delta(self, index: int, key: Any, delta: str) -> list[ThreadStreamEvent]:
        """More words of a thought."""
        self.thought(index, key)
        if not delta:
            return []
        self._open[index].thoughts[key] += delta
        return self._show(index, key, "loading")

    def done(self, index: int, key: Any, text: str) -> list[ThreadStreamEvent]:
        """A thought's final text."""
        self.thought(index, key)
        self._open[index].thoughts[key] = text
        return self._show(index, key, "complete")

    def finished(self, index: int) -> list[ThreadStreamEvent]:
        """The reasoning item is done: the workflow, collapsed under its duration."""
        reasoning = self._open.pop(index)
        if reasoning.item is None:
            return []  # reasoning without text: nothing to show
        tasks = [
            ThoughtTask(content=reasoning.thoughts[key], status_indicator="complete")
            for key in reasoning.shown
        ]
        seconds = round(time.monotonic() - reasoning.started)
        workflow = Workflow(
            type="reasoning", tasks=list(tasks), summary=DurationSummary(duration=seconds)
        )
        return [ThreadItemDoneEvent(item=reasoning.item.model_copy(update={"workflow": workflow}))]

    def close(self) -> list[ThreadStreamEvent]:
        """Finish every open reasoning item (the response ended)."""
        out: list[ThreadStreamEvent] = []
        for index in list(self._open):
            out.extend(self.finished(index))
        return out

    def _get(self, index: int) -> _Reasoning:
        return self._open.setdefault(index, _Reasoning(started=time.monotonic()))

    def _show(self, index: int, key: Any, status: StatusIndicator) -> list[ThreadStreamEvent]:
        """The thought as it is now: added the first time (with its first words), else updated."""
        reasoning = self._get(index)
        out: list[ThreadStreamEvent] = []
        if reasoning.item is None:
            reasoning.item = WorkflowItem(
                id=self.turn.new_id("wf"),
                thread_id=self.turn.thread.id,
                created_at=utcnow(),
                workflow=Workflow(type="reasoning", tasks=[], expanded=False),
            )
            out.append(ThreadItemAddedEvent(item=reasoning.item))
        task = ThoughtTask(content=reasoning.thoughts[key], status_indicator=status)
        if key in reasoning.shown:
            update: WorkflowTaskAdded | WorkflowTaskUpdated = WorkflowTaskUpdated(
                task_index=reasoning.shown.index(key), task=task
            )
        else:
            reasoning.shown.append(key)
            update = WorkflowTaskAdded(task_index=len(reasoning.shown) - 1, task=task)
        out.append(ThreadItemUpdatedEvent(item_id=reasoning.item.id, update=update))
        return out
