"""AgentResponder: answers a turn by running an openai-agents Agent and streaming ChatKit events."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar, cast

from agents import (
    Agent,
    InputGuardrailTripwireTriggered,
    ModelSettings,
    OutputGuardrailTripwireTriggered,
    RunConfig,
    Runner,
)
from agents.mcp import MCPServer, MCPServerManager, MCPServerStreamableHttp
from agents.models.interface import Model
from openai import AsyncOpenAI

from schemas import ThreadItem, ThreadItemDoneEvent, ThreadMetadata, ThreadStreamEvent, WireBase

from ..attachment_files import AttachmentFiles
from ..errors import TurnFailed
from ..responder import Turn
from ..settings import MCPServerConfig, Settings
from ..turn import StopHook, stopped_note
from .attachment_input import attachment_reader
from .client_tools import ClientTool, stop_at_client_tools
from .context import AgentContext
from .history import AttachmentReader, ItemConverter, build_input
from .hosted_memory import replay_for
from .merge import MergedStream
from .models import ModelCatalog, model_failure
from .progress import ProgressLabel, tool_progress
from .stream import TurnEvents
from .titles import write_title

log = logging.getLogger("bridge.agent")

TState = TypeVar("TState")

AgentFactory = Callable[[Turn], Agent[AgentContext[TState]]]
"""Builds the agent for a turn; its model and tool choice are set by the responder."""

ContextFactory = Callable[[Turn], TState | Awaitable[TState]]
"""Builds the app's own state for a turn (`AgentContext.state`); may be async."""

INSTRUCTIONS = "You are a helpful assistant inside a chat widget. Answer briefly."


def plain_agent(turn: Turn) -> Agent[AgentContext[Any]]:
    """The agent when an app gives none: a helpful assistant without tools."""
    return Agent[AgentContext[Any]](name="Assistant", instructions=INSTRUCTIONS)


def _no_state(turn: Turn) -> Any:
    return None


class AgentResponder(Generic[TState]):
    """A Responder that runs an Agent with `Runner.run_streamed` for every turn.

    Generic over the app's own state: `context` builds it per turn, and every tool reaches
    it as `ctx.context.state` next to what `AgentContext` offers (emitting events, widgets,
    workflows, the store and the user).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        agent: Callable[[Turn], Agent[AgentContext[TState]]] = plain_agent,
        context: ContextFactory[TState] = _no_state,
        progress: Mapping[str, str] | ProgressLabel | None = None,
        convert: Mapping[str, ItemConverter] | None = None,
        model: Model | None = None,
        offline_model: Model | None = None,
        client: AsyncOpenAI | None = None,
        read_attachment: AttachmentReader | None = None,
        files: AttachmentFiles | None = None,
        client_tools: Sequence[ClientTool] = (),
        mcp_servers: Sequence[MCPServer] = (),
        max_turns: int = 10,
        on_stop: StopHook | None = None,
    ) -> None:
        self.settings = settings
        self.catalog = ModelCatalog(settings, client=client, offline=offline_model)
        self.agent = agent
        self.context = context
        self.progress = progress
        """Status lines for tools, by name (or a function of the name); a tool labelled with
        `with_progress` brings its own. A tool nobody labelled shows no line."""
        self.convert = dict(convert or {})
        """Item type → how that item becomes model input (history.py), replacing the default."""
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
        self.on_stop = on_stop
        """What to store after the user stopped an answer (`stopped`); None: the bridge's
        hidden "the user stopped" note."""

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

    async def stopped(self, thread: ThreadMetadata, kept: list[ThreadItem]) -> Sequence[ThreadItem]:
        """The items to store after the user stopped an answer (the partial ones are `kept`
        already); override it, or pass `on_stop=`, to keep something else."""
        return await (self.on_stop or stopped_note)(thread, kept)

    def _model(self, turn: Turn) -> Model:
        if self.model is not None:
            self.catalog.name_for(turn.inference_options.model)
            return self.model
        return self.catalog.get(turn.inference_options.model)

    def _agent(self, turn: Turn) -> Agent[AgentContext[TState]]:
        agent = self.agent(turn)
        changes: dict[str, Any] = {
            "model": self._model(turn),
            # A tool may ask the page to run a tool: the run ends there (client_tools.py).
            "tool_use_behavior": stop_at_client_tools(agent.tool_use_behavior),
        }
        if self.client_tools:
            changes["tools"] = [*agent.tools, *(tool.function_tool() for tool in self.client_tools)]
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

    def _labels(self, agent: Agent[Any]) -> ProgressLabel:
        own = {tool.name: label for tool in agent.tools if (label := tool_progress(tool))}
        app = self.progress
        if app is None:
            return own.get
        fallback = app if callable(app) else app.get
        return lambda name: own.get(name) or fallback(name)

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
        agent_input = await build_input(
            history,
            read_attachment=self._reader(turn),
            convert=self.convert,
            hosted=replay_for(agent.model),
        )
        state = self.context(turn)
        if inspect.isawaitable(state):
            state = await state
        context = AgentContext[TState](
            turn, cast(TState, state), client_tools=(tool.name for tool in self.client_tools)
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
        events = TurnEvents(turn, context, progress=self._labels(agent))
        merged = MergedStream(result, context)
        remembered: list[str] = []
        try:
            async for got in merged:
                out = events.emitted(got) if isinstance(got, WireBase) else events.convert(got)
                for item in events.take_memory():  # hidden: stored (fenced), never sent
                    remembered.append(item.id)
                    yield ThreadItemDoneEvent(item=item)
                for event in out:
                    yield event
            for event in events.finish():
                yield event
        except (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered) as exc:
            for event in events.removals():
                yield event
            for item_id in remembered:
                await turn.store.delete_item(turn.user_id, turn.thread.id, item_id)
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
            await merged.close()


def _mcp_server(config: MCPServerConfig) -> MCPServer:
    return MCPServerStreamableHttp(
        {"url": config.url, "headers": dict(config.headers)},
        name=config.name,
        cache_tools_list=True,  # listed once, not on every turn
    )
