"""AgentResponder: answers a turn by running an openai-agents Agent and streaming ChatKit events."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date
from typing import Any, cast

from agents import (
    Agent,
    InputGuardrailTripwireTriggered,
    ModelSettings,
    OutputGuardrailTripwireTriggered,
    RunConfig,
    Runner,
    StreamEvent,
)
from agents.mcp import MCPServer, MCPServerManager, MCPServerStreamableHttp
from agents.models.interface import Model
from openai import AsyncOpenAI

from schemas import ThreadStreamEvent

from ..attachment_files import AttachmentFiles
from ..errors import TurnFailed
from ..responder import Turn
from ..settings import MCPServerConfig, Settings
from ..todo.due_dates import user_locale
from ..todo.tools import TODO_TOOLS, TaskContext
from .attachment_input import attachment_reader
from .client_tools import ClientTool, stop_at_client_tools
from .history import AttachmentReader, build_input
from .models import ModelCatalog, model_failure
from .stream import TurnEvents
from .titles import write_title

log = logging.getLogger("bridge.agent")

AgentFactory = Callable[[Turn], Agent[TaskContext]]
"""Builds the agent for a turn; its model and tool choice are set by the responder."""

INSTRUCTIONS = """\
You are a helpful assistant inside a chat widget. You keep the user's todo list with your
tools: add, list, find, complete, update and delete tasks. Tasks are known by their number.
When the user names a task by its words, call find_tasks to learn its number first. When the
user asks what is on the list, call list_tasks: the user sees the tasks as a list with
buttons, so do not repeat every task in your answer. Answer briefly. Today is {today}.{locale}"""


def todo_agent(turn: Turn) -> Agent[TaskContext]:
    """The default agent: a todo assistant with the task tools."""
    locale = user_locale(turn.locale)
    # The offline model reads this line too: it decides how "5/12" is read.
    said = f"\nThe user's locale is {locale}." if locale else ""
    return Agent[TaskContext](
        name="Assistant",
        instructions=INSTRUCTIONS.format(today=date.today().isoformat(), locale=said),
        tools=list(TODO_TOOLS),
    )


class AgentResponder:
    """A Responder that runs an Agent with `Runner.run_streamed` for every turn."""

    def __init__(
        self,
        settings: Settings,
        *,
        agent: AgentFactory = todo_agent,
        model: Model | None = None,
        client: AsyncOpenAI | None = None,
        read_attachment: AttachmentReader | None = None,
        files: AttachmentFiles | None = None,
        client_tools: Sequence[ClientTool] = (),
        mcp_servers: Sequence[MCPServer] = (),
        max_turns: int = 10,
    ) -> None:
        self.settings = settings
        self.catalog = ModelCatalog(settings, client=client)
        self.agent = agent
        self.model = model
        """A fixed model for every turn (tests, custom setups); None picks from the catalog."""
        self.read_attachment = read_attachment
        """A fixed attachment reader; None reads attachment bytes from `files`."""
        self.files = files
        """The app's attachment bytes; `running()` sets them from the app."""
        self.client_tools = list(client_tools)
        """Tools the page runs (`onClientTool`): a call ends the turn (client_tools.py)."""
        self._mcp_given = list(mcp_servers)
        self.mcp_servers: list[MCPServer] = []
        """The MCP servers connected by `running()`, given to every turn's agent."""
        self.max_turns = max_turns

    @asynccontextmanager
    async def running(self, *, files: AttachmentFiles | None = None) -> AsyncIterator[None]:
        """For the app's lifespan: take the app's attachment files, and connect the MCP
        servers (given ones and `BRIDGE_MCP_SERVERS`) once; one that fails is skipped."""
        if files is not None and self.files is None:
            self.files = files
        servers = [*self._mcp_given, *map(_mcp_server, self.settings.mcp_servers)]
        if not servers:
            yield
            return
        async with MCPServerManager(servers, connect_timeout_seconds=10.0) as manager:
            for server, error in manager.errors.items():
                log.warning(
                    "MCP server %r could not connect and is skipped; the agent runs without "
                    "its tools (%s: %s)",
                    server.name,
                    type(error).__name__,
                    error,
                )
            self.mcp_servers = list(manager.active_servers)
            try:
                yield
            finally:
                self.mcp_servers = []

    def _model(self, turn: Turn) -> Model:
        if self.model is not None:
            self.catalog.name_for(turn.inference_options.model)
            return self.model
        return self.catalog.get(turn.inference_options.model)

    def _agent(self, turn: Turn) -> Agent[TaskContext]:
        agent = self.agent(turn)
        changes: dict[str, Any] = {"model": self._model(turn)}
        if self.client_tools:
            names = [tool.name for tool in self.client_tools]
            changes["tools"] = [*agent.tools, *(tool.function_tool() for tool in self.client_tools)]
            changes["tool_use_behavior"] = stop_at_client_tools(names, agent.tool_use_behavior)
        if self.mcp_servers:
            changes["mcp_servers"] = [*agent.mcp_servers, *self.mcp_servers]
        # A composer tool id is the app's to interpret (the agent factory sees it on the
        # turn); only an id that names one of the agent's tools forces the model to call it.
        choice = turn.tool_choice
        if choice is not None and choice in {
            tool.name for tool in changes.get("tools", agent.tools)
        }:
            changes["model_settings"] = agent.model_settings.resolve(
                ModelSettings(tool_choice=choice)
            )
        return agent.clone(**changes)

    def _reader(self, turn: Turn) -> AttachmentReader | None:
        if self.read_attachment is not None or self.files is None:
            return self.read_attachment
        return attachment_reader(
            self.files, turn.user_id, max_text_bytes=turn.settings.max_attachment_text_bytes
        )

    def _tracing_disabled(self) -> bool:
        # Traces go to OpenAI: never from the offline model or another provider's server.
        return self.model is not None or self.catalog.offline or bool(self.settings.openai_base_url)

    async def title(self, turn: Turn) -> str | None:
        """A short title for the thread, written by the configured model (None offline, or
        with a fixed `model`: the turn pipeline then uses the message's first words)."""
        if self.model is not None:
            return None
        return await write_title(self.catalog, turn, tracing_disabled=self._tracing_disabled())

    async def respond(self, turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        """Run the agent on the thread's history and yield the answer as ChatKit events."""
        agent = self._agent(turn)
        history = await turn.history(last=turn.settings.history_items)
        agent_input = await build_input(history, read_attachment=self._reader(turn))
        context = TaskContext(
            store=turn.store,
            user_id=turn.user_id,
            client_tools=frozenset(tool.name for tool in self.client_tools),
        )
        result = Runner.run_streamed(
            agent,
            agent_input,
            context=context,
            max_turns=self.max_turns,
            run_config=RunConfig(
                tracing_disabled=self._tracing_disabled(),
                workflow_name="ChatKit turn",
                group_id=turn.thread.id,
            ),
        )
        events = TurnEvents(turn, context)
        stream = aiter(result.stream_events())
        try:
            async for event in stream:
                for out in events.convert(event):
                    yield out
            for out in events.finish():
                yield out
        except (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered) as exc:
            for out in events.removals():
                yield out
            raise TurnFailed(
                "The assistant can't help with that request.", reason="guardrail"
            ) from exc
        except TurnFailed:
            raise
        except Exception as exc:
            failure = model_failure(exc)
            if failure is None:
                raise
            raise failure from exc
        finally:
            # The client went away (CancelledError, GeneratorExit) or the run failed: stop the
            # model stream and pending tools now, or they go on without anyone listening.
            if not result.is_complete:
                result.cancel()
            await cast(AsyncGenerator[StreamEvent, None], stream).aclose()


def _mcp_server(config: MCPServerConfig) -> MCPServer:
    return MCPServerStreamableHttp(
        {"url": config.url, "headers": dict(config.headers)},
        name=config.name,
        cache_tools_list=True,  # listed once, not on every turn
    )


def make_responder(settings: Settings, **options: Any) -> AgentResponder:
    """The responder the app uses: the todo agent on the configured (or offline) model.

    `options` go to `AgentResponder` (files, client_tools, mcp_servers, agent, …)."""
    return AgentResponder(settings, **options)
