"""A guardrail tripwire removes what the turn showed, then fails the turn."""

from __future__ import annotations

from typing import Any

import pytest
from agents import Agent, GuardrailFunctionOutput, RunContextWrapper, output_guardrail

from bridge.agent import AgentResponder
from bridge.errors import TurnFailed
from bridge.responder import Turn
from bridge.settings import Settings
from bridge.todo.tools import TaskContext, todo_agent

from .conftest import MakeTurn


@output_guardrail
async def _block_everything(
    ctx: RunContextWrapper[Any], agent: Agent[Any], output: Any
) -> GuardrailFunctionOutput:
    return GuardrailFunctionOutput(output_info="blocked", tripwire_triggered=True)


def _guarded(turn: Turn) -> Agent[TaskContext]:
    return todo_agent(turn).clone(output_guardrails=[_block_everything])


async def test_output_tripwire_removes_the_answer(make_turn: MakeTurn) -> None:
    responder = AgentResponder(Settings(offline=True), agent=_guarded)
    events = []

    with pytest.raises(TurnFailed) as failed:
        async for event in responder.respond(await make_turn("hello")):
            events.append(event)

    shown = [e.item.id for e in events if e.type == "thread.item.added"]
    removed = [e.item_id for e in events if e.type == "thread.item.removed"]
    assert shown and removed == shown
    assert events[-1].type == "thread.item.removed"
    assert failed.value.code == "custom"  # the protocol's code: the widget shows the message
    assert failed.value.reason == "guardrail"  # the cause, for the log line
    assert failed.value.allow_retry is False
