"""AgentContext: what a tool may do while it runs (`ctx.context` in every tool).

The context is generic over the app's own state (`state`, built per turn by the app), and
carries the turn (store, user, thread, settings). Everything a tool emits goes into the
turn's stream in order with the model's own events: the responder merges the two, so a
progress line, a widget or a workflow appears where the tool was when it emitted it.

Emitting is synchronous (it only enqueues), so sync tools, which the Agents SDK runs in a
worker thread, may emit too; only `stream_widget` awaits (it reads an async iterable).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from schemas import (
    Annotation,
    ClientEffectEvent,
    CustomSummary,
    DurationSummary,
    ProgressUpdateEvent,
    Source,
    Task,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemUpdatedEvent,
    ThreadMetadata,
    ThreadStreamEvent,
    WidgetItem,
    Workflow,
    WorkflowItem,
    WorkflowTaskAdded,
    WorkflowTaskUpdated,
    utcnow,
)

from ..responder import Turn
from ..settings import Settings
from ..storage import Store
from ..widget_diff import diff_widget

TState = TypeVar("TState")

Sink = Callable[[ThreadStreamEvent], None]


@dataclass(frozen=True)
class PendingClientCall:
    """A tool call the page is asked to run; the turn ends on it."""

    call_id: str
    name: str
    arguments: dict[str, Any]


class AgentContext(Generic[TState]):
    """The run context of one turn: the app's state, the turn, and the events tools emit."""

    def __init__(self, turn: Turn, state: TState, *, client_tools: Iterable[str] = ()) -> None:
        self.turn = turn
        self.state = state
        """The app's own context for this turn (whatever its context factory built)."""
        self.client_tools = frozenset(client_tools)
        """Names of the tools the page runs (`onClientTool`)."""
        self.client_call: PendingClientCall | None = None
        """The client tool call this turn ends on (the widget runs one per stream)."""
        self.citations: list[Annotation] = []
        """Sources cited by tools, attached to the next assistant text that is finished."""
        self.workflow: WorkflowItem | None = None
        """The workflow a tool started and has not ended yet."""
        self._sink: Sink | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._unsent: list[ThreadStreamEvent] = []
        self._once: set[tuple[str, str]] = set()

    # ---- what a tool can reach --------------------------------------------------------------

    @property
    def store(self) -> Store:
        """The bridge's store (threads, items, attachments)."""
        return self.turn.store

    @property
    def user_id(self) -> str:
        """The signed-in user the turn answers."""
        return self.turn.user_id

    @property
    def thread(self) -> ThreadMetadata:
        """The thread being answered."""
        return self.turn.thread

    @property
    def settings(self) -> Settings:
        """The bridge's settings."""
        return self.turn.settings

    def new_id(self, prefix: str) -> str:
        """A fresh item id."""
        return self.turn.new_id(prefix)

    # ---- the event stream -------------------------------------------------------------------

    def bind(self, sink: Sink) -> None:
        """Where emitted events go (the responder's merged stream); sends what was waiting."""
        self._sink = sink
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        waiting, self._unsent = self._unsent, []
        for event in waiting:
            sink(event)

    def emit(self, event: ThreadStreamEvent) -> None:
        """Send any ChatKit event now, in order with the answer."""
        if self._sink is None or self._loop is None:
            self._unsent.append(event)
        elif threading.get_ident() == self._thread:
            self._sink(event)
        else:  # a sync tool, run by the SDK in a worker thread
            self._loop.call_soon_threadsafe(self._sink, event)

    def new_step(self) -> None:
        """A new model response began: `once` effects may be sent again."""
        self._once.clear()

    def progress(self, text: str, *, icon: str | None = None) -> None:
        """A transient status line ("Searching flights…"), replaced by what comes next."""
        self.emit(ProgressUpdateEvent(text=text, icon=icon))

    def client_effect(
        self, name: str, data: dict[str, Any] | None = None, *, once: bool = False
    ) -> None:
        """Ask the host page to do something (`onEffect`), such as refreshing a list.

        With `once`, the same effect is sent at most once per model step, however many tools
        of that step ask for it (two tools that change tasks refresh the page once).
        """
        if once:
            key = (name, repr(sorted((data or {}).items())))
            if key in self._once:
                return
            self._once.add(key)
        self.emit(ClientEffectEvent(name=name, data=data or {}))

    # ---- widgets ----------------------------------------------------------------------------

    def show_widget(self, widget: dict[str, Any], *, copy_text: str | None = None) -> WidgetItem:
        """Show a finished widget as its own item."""
        item = WidgetItem(
            id=self.new_id("wdg"),
            thread_id=self.thread.id,
            created_at=utcnow(),
            widget=widget,
            copy_text=copy_text,
        )
        self.emit(ThreadItemDoneEvent(item=item))
        return item

    def start_widget(self, widget: dict[str, Any]) -> LiveWidget:
        """Show a widget that will change: update it in place, then call `done()`."""
        item = WidgetItem(
            id=self.new_id("wdg"), thread_id=self.thread.id, created_at=utcnow(), widget=widget
        )
        self.emit(ThreadItemAddedEvent(item=item))
        return LiveWidget(self, item)

    async def stream_widget(
        self, widgets: AsyncIterable[dict[str, Any]], *, copy_text: str | None = None
    ) -> WidgetItem | None:
        """Show each widget the iterable yields in the same item, sending only what changed
        (streamed text as deltas, changed components, or the whole root); None if it yields
        nothing."""
        live: LiveWidget | None = None
        async for widget in widgets:
            if live is None:
                live = self.start_widget(widget)
            else:
                live.update(widget)
        return live.done(copy_text=copy_text) if live is not None else None

    # ---- workflows --------------------------------------------------------------------------

    def start_workflow(
        self, tasks: Iterable[Task] = (), *, expanded: bool = True, summary: str | None = None
    ) -> WorkflowItem:
        """Start a workflow (a list of tasks shown while the tool works); ends any open one."""
        if self.workflow is not None:
            self.end_workflow()
        workflow = Workflow(
            type="custom",
            tasks=list(tasks),
            expanded=expanded,
            summary=CustomSummary(title=summary) if summary else None,
        )
        self.workflow = WorkflowItem(
            id=self.new_id("wf"), thread_id=self.thread.id, created_at=utcnow(), workflow=workflow
        )
        self.emit(ThreadItemAddedEvent(item=self.workflow.model_copy(deep=True)))
        return self.workflow

    def add_workflow_task(self, task: Task) -> int:
        """Append a task to the open workflow (starting one if needed); returns its index."""
        if self.workflow is None:
            self.start_workflow()
        assert self.workflow is not None
        self.workflow.workflow.tasks.append(task)
        index = len(self.workflow.workflow.tasks) - 1
        self.emit(
            ThreadItemUpdatedEvent(
                item_id=self.workflow.id, update=WorkflowTaskAdded(task_index=index, task=task)
            )
        )
        return index

    def update_workflow_task(self, task: Task, index: int) -> None:
        """Replace a task of the open workflow (its status, its text)."""
        if self.workflow is None or not 0 <= index < len(self.workflow.workflow.tasks):
            raise IndexError(f"no workflow task {index}")
        self.workflow.workflow.tasks[index] = task
        self.emit(
            ThreadItemUpdatedEvent(
                item_id=self.workflow.id, update=WorkflowTaskUpdated(task_index=index, task=task)
            )
        )

    def end_workflow(
        self, *, summary: str | int | None = None, expanded: bool = False
    ) -> WorkflowItem | None:
        """Finish the open workflow, collapsed under a summary (a title, or seconds taken)."""
        if self.workflow is None:
            return None
        item, self.workflow = self.workflow, None
        workflow = item.workflow
        if isinstance(summary, str):
            workflow.summary = CustomSummary(title=summary)
        elif isinstance(summary, int):
            workflow.summary = DurationSummary(duration=summary)
        elif workflow.summary is None:
            seconds = int((utcnow() - item.created_at).total_seconds())
            workflow.summary = DurationSummary(duration=seconds)
        workflow.expanded = expanded
        self.emit(ThreadItemDoneEvent(item=item))
        return item

    # ---- citations and client tools ---------------------------------------------------------

    def cite(self, source: Source, *, index: int | None = None) -> None:
        """Cite a source (an entity of the app, a page, a file) in the answer that follows."""
        self.citations.append(Annotation(source=source, index=index))

    def take_citations(self) -> list[Annotation]:
        """The citations not attached yet (the stream attaches them to the next text)."""
        taken, self.citations = self.citations, []
        return taken

    def call_client_tool(
        self, name: str, arguments: dict[str, Any], *, call_id: str | None = None
    ) -> bool:
        """Ask the page to run a tool; the turn ends after this step. Only the first call of
        a turn is sent (the widget runs one client tool per stream); returns whether it was.

        `call_id` pairs the call with the page's output in later model input: a fresh one by
        default (never the calling tool's own id, which its own output already uses)."""
        if self.client_call is not None:
            return False
        self.client_call = PendingClientCall(
            call_id=call_id or f"call_{uuid.uuid4().hex}", name=name, arguments=arguments
        )
        return True


class LiveWidget:
    """A widget item being shown: each `update` sends the difference, `done` finishes it."""

    def __init__(self, context: AgentContext[Any], item: WidgetItem) -> None:
        self._context = context
        self.item = item
        self._finished = False

    def update(self, widget: dict[str, Any]) -> None:
        """Show `widget` in place of the current one (only the difference is sent)."""
        if self._finished:
            raise RuntimeError("the widget is done")
        for update in diff_widget(self.item.widget, widget):
            self._context.emit(ThreadItemUpdatedEvent(item_id=self.item.id, update=update))
        self.item = self.item.model_copy(update={"widget": widget})

    def done(self, *, copy_text: str | None = None) -> WidgetItem:
        """Finish the item (stored as it is now)."""
        if not self._finished:
            self._finished = True
            if copy_text is not None:
                self.item = self.item.model_copy(update={"copy_text": copy_text})
            self._context.emit(ThreadItemDoneEvent(item=self.item))
        return self.item
