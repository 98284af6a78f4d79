"""The offline model: a deterministic stand-in that runs without an API key.

It reads the last user message with `request_parser.parse`, plans with `planner.script`, calls the
real todo tools through the Runner one step at a time, and answers from their output. It is a
`StepModel`: this module only decides each step; `bridge.agent.step_model` streams it exactly
like a provider would (see agents-facts.md: the Runner needs the full event sequence ending
with `response.completed`).

Everything it knows comes from its input, that is from the thread: the question it asked
last, the request that question answers, the tasks its answers named. So a "yes" or a "7"
works after a restart or on another worker. The first answer of a thread says plainly that
this is the offline model: "first" means no answer before it, and the history window always
holds the latest answer, so the notice never comes back mid-thread.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime, time
from typing import Any

from agents import ModelSettings

from ..agent.step_model import (
    OFFLINE_NOTICE,
    Say,
    Step,
    StepModel,
    is_message,
    is_request,
    message_text,
)
from . import intents
from . import offline_planner as planner
from .due_dates import Clock
from .request_parser import parse

NOTICE = OFFLINE_NOTICE

HELP = planner.HELP
FALLBACK = planner.FALLBACK


class OfflineModel(StepModel):
    """A local rule-based model that understands everyday todo requests."""

    id_prefix = "offline"

    def __init__(
        self,
        *,
        delay: float = 0.0,
        today: date | None = None,
        timezone: str | None = None,
        locale: str | None = None,
    ) -> None:
        super().__init__(delay=delay)
        now = datetime.combine(today, time(12)) if today is not None else None
        self.clock = Clock(timezone=timezone, locale=locale, now=now)
        """Where "today" is, and how the user writes dates (`en-GB`: 5/12 is 5 December)."""

    # ---- deciding what to do ----------------------------------------------------------------

    def next_step(self, items: list[Any], tools: set[str], settings: ModelSettings) -> Step:
        clock = self.clock
        # The user's locale, as the agent's instructions tell any model (todo_agent).
        if m := re.search(r"The user's locale is ([\w-]+)\.", self.instructions or ""):
            clock = replace(clock, locale=m[1])
        step = self._plan(items, tools, settings, clock)
        asked_at = _last_request(items)
        if isinstance(step, Say) and _first_answer(items[: asked_at or 0]):
            step = Say(f"{NOTICE}\n\n{step.text}")
        return step

    def _plan(
        self, items: list[Any], tools: set[str], settings: ModelSettings, clock: Clock
    ) -> Step:
        asked_at = _last_request(items)
        talk = _conversation(items, asked_at)
        intent = parse(talk.request, clock)
        calls, outputs = _calls_since(items, (asked_at if asked_at is not None else -1) + 1)
        forced = settings.tool_choice if isinstance(settings.tool_choice, str) else None
        if not calls and forced in tools:
            intent = _forced(intent, forced, talk.request)
        # Replay the script with the outputs of the calls made so far, step by step.
        run = planner.script(intent, talk, clock)
        try:
            step = next(run)
            while calls:
                made, calls = calls[: len(step)], calls[len(step) :]
                step = run.send([outputs.get(call["call_id"], "") for call in made])
        except StopIteration as done:
            return Say(str(done.value or "Done."))
        if any(call.name not in tools for call in step):
            return Say("I can't manage tasks in this conversation.")
        return step


def _forced(intent: intents.Intent, forced: str | None, request: str) -> intents.Intent:
    """The composer's tool menu picked a tool: use it even if the words say otherwise."""
    if forced == "list_tasks" and not isinstance(intent, intents.ListTasks):
        return intents.ListTasks("open")
    if forced == "add_task" and not isinstance(intent, intents.AddTasks) and request.strip():
        return intents.AddTasks(((request.strip(), None),))
    return intent


# ---- reading the input ----------------------------------------------------------------------


def _last_request(items: list[Any]) -> int | None:
    for index in range(len(items) - 1, -1, -1):
        item = items[index]
        if is_request(item):
            return index
    return None


def _calls_since(items: list[Any], start: int) -> tuple[list[dict[str, Any]], dict[str, str]]:
    calls: list[dict[str, Any]] = []
    outputs: dict[str, str] = {}
    for item in items[start:]:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "function_call":
            calls.append(item)
        elif item.get("type") == "function_call_output":
            output = item.get("output")
            outputs[item["call_id"]] = output if isinstance(output, str) else json.dumps(output)
    return calls, outputs


def _first_answer(before: list[Any]) -> bool:
    """Whether no answer came before in this thread. Any earlier answer counts, not only one
    carrying the notice, so the notice never comes back once the first answer falls out of
    the history window (the window always holds the latest answer)."""
    return not any(is_message(item, "assistant") for item in before)


def _conversation(items: list[Any], asked_at: int | None) -> planner.Conversation:
    """The request, and what the thread before it says (question asked, tasks talked about)."""
    if asked_at is None:
        return planner.Conversation(request="")
    request = message_text(items[asked_at], first=True)
    # The user message may open with notes (a quote, attachments): the request is last.
    talk = planner.Conversation(request=request.rsplit("\n\n", 1)[-1])
    answered = False
    for item in reversed(items[:asked_at]):
        if is_message(item, "assistant"):
            text = message_text(item)
            if text.startswith("[Shown to the user:"):
                if not talk.shown and not talk.mentioned:
                    talk.shown = planner.shown(text)
                continue
            if not answered:
                answered = True
                talk.question = text.rsplit("\n\n", 1)[-1]
            if not talk.mentioned:
                talk.mentioned = planner.mentioned(text)
        elif is_request(item):
            if answered and not talk.previous_request:
                talk.previous_request = message_text(item, first=True).rsplit("\n\n", 1)[-1]
            if not answered:
                break  # two user messages in a row: nothing was asked in between
        if talk.previous_request and talk.mentioned:
            break
    return talk
