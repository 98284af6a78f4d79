"""Client tools: tools the page runs (the widget's `onClientTool`), never the bridge.

Declare them on the responder, `AgentResponder(settings, client_tools=[ClientTool(...)])`.
The model sees them like any tool. When it calls one, the turn sends one pending
`client_tool_call` item and ends: the run stops before another model request. The page
answers with `threads.add_client_tool_output`; the bridge completes the item and runs a new
turn, whose input carries the call and its output (`history.py`), so the model goes on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from agents import (
    FunctionTool,
    FunctionToolResult,
    RunContextWrapper,
    ToolsToFinalOutputFunction,
    ToolsToFinalOutputResult,
)
from agents.agent import StopAtTools
from agents.tool_context import ToolContext

from .context import AgentContext

ToolUseBehavior = Any  # the Agent's tool_use_behavior: a literal, a StopAtTools or a function

_NOT_SENT = "Waiting for the page to run the tool."


def _empty_object() -> dict[str, Any]:
    return {"type": "object", "properties": {}, "additionalProperties": False}


@dataclass(frozen=True)
class ClientTool:
    """A tool the page runs: its name, what it does, and its arguments' JSON schema."""

    name: str
    description: str
    params_json_schema: dict[str, Any] = field(default_factory=_empty_object)
    strict: bool = False
    """Strict schemas need every property required and no extra ones (OpenAI's rule)."""

    def function_tool(self) -> FunctionTool:
        """The tool as the model sees it; calling it only records the call for the stream."""

        async def record(ctx: ToolContext[AgentContext[Any]], arguments: str) -> str:
            # The widget runs one client tool per stream: a second call in the same response
            # is dropped (the model is asked again once the first has its output).
            ctx.context.call_client_tool(self.name, _arguments(arguments), call_id=ctx.tool_call_id)
            return _NOT_SENT

        return FunctionTool(
            name=self.name,
            description=self.description,
            params_json_schema=self.params_json_schema,
            on_invoke_tool=record,
            strict_json_schema=self.strict,
        )


def _arguments(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {"arguments": raw}
    return value if isinstance(value, dict) else {"value": value}


def stop_at_client_tools(
    behavior: ToolUseBehavior,
) -> ToolsToFinalOutputFunction[AgentContext[Any]]:
    """A tool_use_behavior that ends the run once a tool asked the page to run a tool (a
    client tool, or `AgentContext.call_client_tool`), else acts as `behavior`."""

    async def decide(
        ctx: RunContextWrapper[AgentContext[Any]], results: list[FunctionToolResult]
    ) -> ToolsToFinalOutputResult:
        if ctx.context.client_call is not None:
            return ToolsToFinalOutputResult(is_final_output=True, final_output=None)
        return await _as_before(behavior, ctx, results)

    return decide


async def _as_before(
    behavior: ToolUseBehavior,
    ctx: RunContextWrapper[AgentContext[Any]],
    results: list[FunctionToolResult],
) -> ToolsToFinalOutputResult:
    # The SDK's own rules for the agent's behavior (agents/run_internal/turn_resolution.py).
    if behavior == "stop_on_first_tool":
        return ToolsToFinalOutputResult(is_final_output=True, final_output=results[0].output)
    if isinstance(behavior, dict):
        stop: StopAtTools = behavior  # type: ignore[assignment]
        for result in results:
            if result.tool.name in stop.get("stop_at_tool_names", []):
                return ToolsToFinalOutputResult(is_final_output=True, final_output=result.output)
        return ToolsToFinalOutputResult(is_final_output=False)
    if callable(behavior):
        decided = behavior(ctx, results)
        if hasattr(decided, "__await__"):
            decided = await decided
        assert isinstance(decided, ToolsToFinalOutputResult)
        return decided
    return ToolsToFinalOutputResult(is_final_output=False)
