"""Model failures end a turn with a protocol error event and the cause in the log line.

Bug: error events carried codes the protocol does not have (`model_auth`, `max_turns`,
`guardrail`…), which the official types reject and the widget cannot be relied on to show.
Fix: `custom` with a message (the widget shows it), the cause as `reason=` in the log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from agents import (
    Agent,
    GuardrailFunctionOutput,
    RunContextWrapper,
    function_tool,
    output_guardrail,
)

from bridge.agent import AgentResponder
from bridge.responder import Turn
from bridge.settings import Settings
from bridge.todo.tools import TaskContext

from ...conformance.scripted_model import ScriptedModel
from ...conftest import Connect
from ...wire import stream, user_input

MakeApp = Callable[..., Any]


@function_tool
def look() -> str:
    """Look around."""
    return "nothing here"


@output_guardrail
async def _refuse(
    ctx: RunContextWrapper[Any], agent: Agent[Any], output: Any
) -> GuardrailFunctionOutput:
    return GuardrailFunctionOutput(output_info="no", tripwire_triggered=True)


CASES = [
    pytest.param([{"provider_error": "auth"}], "model_auth", False, "API key", id="401"),
    pytest.param([{"provider_error": "permission"}], "model_auth", False, "API key", id="403"),
    pytest.param(
        [{"provider_error": "not_found"}], "model_not_found", False, "BRIDGE_MODEL", id="404"
    ),
    pytest.param(
        [{"provider_error": "bad_request"}], "model_bad_request", False, "rejected", id="400"
    ),
    pytest.param([{"provider_error": "conflict"}], "model_error", False, "answered 409", id="409"),
    pytest.param(
        [{"provider_error": "rate_limit"}], "model_rate_limited", True, "rate limiting", id="429"
    ),
    pytest.param(
        [{"provider_error": "server_error"}], "model_unavailable", True, "internal error", id="500"
    ),
    pytest.param(
        [{"provider_error": "connection"}], "model_unreachable", True, "Could not reach", id="down"
    ),
    pytest.param([{"provider_error": "timeout"}], "model_timeout", True, "too long", id="timeout"),
    pytest.param(
        [{"tool_call": {"name": "look", "arguments": {}}}] * 3,
        "max_turns",
        True,
        "too many steps",
        id="max-turns",
    ),
    pytest.param(
        [{"tool_call": {"name": "no_such_tool", "arguments": {}}}],
        "model_behavior",
        True,
        "could not use",
        id="unknown-tool",
    ),
    pytest.param([{"text": ["Nope."]}], "guardrail", False, "can't help", id="guardrail"),
]


@pytest.mark.parametrize(("script", "reason", "retry", "words"), CASES)
async def test_a_model_failure_is_a_custom_error_with_the_cause_logged(
    connect: Connect,
    make_app: MakeApp,
    caplog: pytest.LogCaptureFixture,
    script: list[dict[str, Any]],
    reason: str,
    retry: bool,
    words: str,
) -> None:
    caplog.set_level(logging.INFO, logger="bridge.request")

    def agent(turn: Turn) -> Agent[TaskContext]:
        guards = [_refuse] if reason == "guardrail" else []
        return Agent[TaskContext](
            name="Assistant", instructions="Be brief.", tools=[look], output_guardrails=guards
        )

    model = ScriptedModel(script)
    responder = AgentResponder(Settings(offline=True), model=model, agent=agent, max_turns=3)
    app = await make_app(responder=responder)
    async with connect(app) as client:
        events = await stream(client, "threads.create", input=user_input("hello"))

    error = events[-1]
    assert error["type"] == "error" and error["code"] == "custom", error
    assert words.lower() in error["message"].lower()
    assert error["allow_retry"] is retry
    [line] = [r.fields for r in caplog.records if r.name == "bridge.request"]  # type: ignore[attr-defined]
    assert line["reason"] == reason and line["outcome"] == "error"
    assert line["error"] == error["message"]
    assert model.remaining == 0
