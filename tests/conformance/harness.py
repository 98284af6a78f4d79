"""The bridge-side twin of `record.py`'s reference app, built on the bridge's extension points.

`record.py` subclasses the reference SDK's server; here the same app is assembled from what
the bridge offers an integrator: an `AgentResponder` whose agent factory builds the same
agent (the scripted model, the same tools), a `Responder` around it for the app's own
answers (`/ask`, `/quota`), and an `ActionRegistry` with the same action handlers. Tool and
handler behaviour (names, arguments, return strings, the in-memory task list) follows
`record.py` line by line; only the plumbing is the bridge's:

* tools tell the page that tasks changed through their `AgentContext`
  (`client_effect("tasks.changed", once=True)`) and bring their own progress lines
  (`with_progress`), as the bridge's own todo tools do;
* the app's failure (`CustomStreamError` in the SDK) is the bridge's `TurnFailed`;
* dictation goes through the bridge's `input.transcribe` handler, which calls an
  OpenAI-compatible transcription endpoint: `FakeTranscriptionServer` is that endpoint on a
  loopback port, answering what `record.py`'s `transcribe()` returns.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from agents import Agent, RunContextWrapper, function_tool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bridge.actions import ActionContext, ActionRegistry
from bridge.agent import AgentResponder
from bridge.agent.client_tools import ClientTool
from bridge.agent.context import AgentContext
from bridge.agent.progress import with_progress
from bridge.errors import TurnFailed
from bridge.responder import Turn
from bridge.settings import Settings
from schemas import (
    Action,
    HiddenContextItem,
    StructuredInputFreeform,
    StructuredInputItem,
    StructuredInputMultipleChoice,
    StructuredInputOption,
    ThreadItemDoneEvent,
    ThreadItemReplacedEvent,
    ThreadStreamEvent,
    WidgetItem,
    utcnow,
)

from .scripted_model import ScriptedModel

INSTRUCTIONS = "You manage the user's todo list."
RESEARCH_MODE = "research_mode"
RESEARCH_INSTRUCTIONS = "You research the user's question and answer with what you found."
QUOTA_MESSAGE = "You have used all your messages for today."
TRANSCRIPT = "buy milk tomorrow"
ASK_CONFIRMATION = ClientTool(
    name="ask_confirmation",
    description="Ask the user to confirm, in the browser (a client tool).",
    params_json_schema={
        "type": "object",
        "properties": {"question": {"type": "string"}},
        "required": ["question"],
        "additionalProperties": False,
    },
)
"""record.py's client tool; the bridge ends the turn on it with a pending client_tool_call."""


@dataclass
class ScenarioApp:
    """One scenario's app state and parts: tasks, the scripted model, agent, responder, actions."""

    script: list[dict[str, Any]]
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    model: ScriptedModel = field(init=False)

    def __post_init__(self) -> None:
        self.model = ScriptedModel(self.script)

    # ---- tools (record.py: add_task, list_tasks, complete_task, ask_confirmation) ----------

    def tools(self) -> list[Any]:
        """The agent's tools, bound to this scenario's task list."""
        tasks = self.tasks

        @function_tool
        def add_task(ctx: RunContextWrapper[AgentContext[None]], title: str) -> str:
            """Add a task to the user's todo list."""
            task_id = f"t{len(tasks) + 1}"
            tasks[task_id] = {"title": title, "done": False}
            ctx.context.client_effect("tasks.changed", once=True)
            return f"Added task {task_id}: {title}"

        @function_tool
        def list_tasks() -> str:
            """List the user's tasks."""
            if not tasks:
                return "No tasks."
            return "\n".join(
                f"{tid} [{'x' if t['done'] else ' '}] {t['title']}" for tid, t in tasks.items()
            )

        @function_tool
        def complete_task(ctx: RunContextWrapper[AgentContext[None]], task_id: str) -> str:
            """Mark a task as done."""
            if task_id not in tasks:
                return f"No task {task_id}."
            tasks[task_id]["done"] = True
            ctx.context.client_effect("tasks.changed", once=True)
            return f"Completed task {task_id}: {tasks[task_id]['title']}"

        return [
            with_progress(add_task, "Adding task…"),
            with_progress(list_tasks, "Looking at your tasks…"),
            with_progress(complete_task, "Completing task…"),
        ]

    def agent(self, turn: Turn) -> Agent[AgentContext[None]]:
        """The agent factory given to `AgentResponder(agent=…)`; record.py's `_agent_for`: the
        app's own composer id picks another agent (a tool's name is forced by the responder)."""
        if turn.tool_choice == RESEARCH_MODE:
            return Agent[AgentContext[None]](name="Researcher", instructions=RESEARCH_INSTRUCTIONS)
        return Agent[AgentContext[None]](
            name="Todo assistant",
            instructions=INSTRUCTIONS,
            tools=self.tools(),
        )

    def responder(self, settings: Settings) -> ScenarioResponder:
        """The app's responder: the agent on the scripted model, behind the app's own answers."""
        agent = AgentResponder(
            settings, agent=self.agent, model=self.model, client_tools=[ASK_CONFIRMATION]
        )
        return ScenarioResponder(agent)

    # ---- widget actions (record.py: action(), sync_action()) -------------------------------

    def tasks_widget(self) -> dict[str, Any]:
        """The Card listing the tasks, as record.py's `tasks_widget()` builds it."""
        rows = []
        for tid, task in self.tasks.items():
            rows.append(
                {
                    "type": "Row",
                    "children": [
                        {"type": "Text", "value": f"{'✓ ' if task['done'] else ''}{task['title']}"},
                        {
                            "type": "Button",
                            "label": "Done",
                            "onClickAction": {
                                "type": "tasks.complete",
                                "payload": {"task_id": tid},
                            },
                        },
                    ],
                }
            )
        return {"type": "Card", "children": [{"type": "Text", "value": "Your tasks"}, *rows]}

    def actions(self) -> ActionRegistry:
        """The action registry given to `create_app(actions=…)`."""
        registry = ActionRegistry()

        @registry.stream("tasks.show")
        async def show(
            ctx: ActionContext, action: Action, sender: WidgetItem | None
        ) -> AsyncIterator[ThreadStreamEvent]:
            yield ThreadItemDoneEvent(
                item=WidgetItem(
                    id=ctx.new_id("msg"),
                    thread_id=ctx.thread.id,
                    created_at=utcnow(),
                    widget=self.tasks_widget(),
                    copy_text="Your tasks",
                )
            )

        @registry.stream("tasks.complete")
        async def complete(
            ctx: ActionContext, action: Action, sender: WidgetItem | None
        ) -> AsyncIterator[ThreadStreamEvent]:
            task_id = _payload(action).get("task_id", "")
            if task_id in self.tasks:
                self.tasks[task_id]["done"] = True
            if sender is not None:
                yield ThreadItemReplacedEvent(
                    item=sender.model_copy(update={"widget": self.tasks_widget()})
                )
            yield ThreadItemDoneEvent(
                item=HiddenContextItem(
                    id=ctx.new_id("msg"),
                    thread_id=ctx.thread.id,
                    created_at=utcnow(),
                    content=f"The user completed task {task_id} from the widget.",
                )
            )
            turn = Turn(
                user_id=ctx.user_id,
                thread=ctx.thread,
                store=ctx.store,
                settings=ctx.services.settings,
            )
            async for event in ctx.services.responder.respond(turn):
                yield event

        @registry.sync("tasks.toggle")
        async def toggle(
            ctx: ActionContext, action: Action, sender: WidgetItem | None
        ) -> WidgetItem | None:
            task_id = _payload(action).get("task_id", "")
            if task_id in self.tasks:
                self.tasks[task_id]["done"] = not self.tasks[task_id]["done"]
            if sender is None:
                return None
            return sender.model_copy(update={"widget": self.tasks_widget()})

        return registry


def _payload(action: Action) -> dict[str, Any]:
    return action.payload if isinstance(action.payload, dict) else {}


@dataclass
class ScenarioResponder:
    """record.py's `respond()`: `/quota` fails, `/ask` asks a structured input, else the agent."""

    agent: AgentResponder

    def running(self, **kwargs: Any) -> Any:
        """The agent responder's start-up and shut-down (the app's lifespan enters it)."""
        return self.agent.running(**kwargs)

    async def respond(self, turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        """Answer a turn the way the reference app does."""
        text = ""
        if turn.input is not None:
            text = "".join(p.text for p in turn.input.content if p.type == "input_text")
        if text.startswith("/quota"):
            raise TurnFailed(QUOTA_MESSAGE, allow_retry=False, code="custom")
        if text.startswith("/ask"):
            yield ThreadItemDoneEvent(
                item=StructuredInputItem(
                    id=turn.new_id("msg"),
                    thread_id=turn.thread.id,
                    created_at=utcnow(),
                    inputs=[
                        StructuredInputMultipleChoice(
                            id="priority",
                            question="Which priority?",
                            options=[
                                StructuredInputOption(value="high"),
                                StructuredInputOption(value="low"),
                            ],
                        ),
                        StructuredInputFreeform(id="note", question="Any note?"),
                    ],
                )
            )
            return
        async for event in self.agent.respond(turn):
            yield event


# ---- servers on loopback ----------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LoopbackServer:
    """An ASGI app served by uvicorn on a free loopback port, for as long as the block runs."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="critical", lifespan="off"
            )
        )
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LoopbackServer:
        self._task = asyncio.get_running_loop().create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task


class FakeTranscriptionServer(LoopbackServer):
    """An OpenAI-compatible `/v1/audio/transcriptions` that answers record.py's transcript."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

        async def transcriptions(request: Request) -> JSONResponse:
            form = await request.form()
            upload = form["file"]
            self.requests.append(
                {
                    "model": form.get("model"),
                    "audio": await upload.read(),  # type: ignore[union-attr]
                    "content_type": upload.content_type,  # type: ignore[union-attr]
                }
            )
            await form.close()
            return JSONResponse({"text": TRANSCRIPT})

        super().__init__(
            Starlette(routes=[Route("/v1/audio/transcriptions", transcriptions, methods=["POST"])])
        )
