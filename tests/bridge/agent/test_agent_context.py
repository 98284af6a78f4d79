"""What a tool can do through its AgentContext, end to end through AgentResponder with a
scripted offline model: the app's own state, events in order, sync tools, workflows closed
by the bridge, client tool calls from a server tool, progress labels, and memory."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from agents import (
    Agent,
    GuardrailFunctionOutput,
    RunContextWrapper,
    function_tool,
    output_guardrail,
)

from bridge import (
    AgentContext,
    AgentResponder,
    Call,
    CustomTask,
    EchoModel,
    Say,
    Settings,
    Text,
    Turn,
    TurnFailed,
    with_progress,
)
from schemas import ClientToolCallItem, HiddenContextItem, WidgetItem

from .conftest import USER, MakeTurn, answer_text, assert_well_formed, collect, types


class Shop:
    """An app's own state."""

    def __init__(self, owner: str) -> None:
        self.owner = owner


@function_tool
async def greet(ctx: RunContextWrapper[AgentContext[Shop]]) -> str:
    """Greet."""
    ctx.context.progress(f"Greeting for {ctx.context.state.owner}…")
    ctx.context.show_widget(Text(f"Hello {ctx.context.user_id}"), copy_text="hello")
    return "greeted"


@function_tool
def sync_note(ctx: RunContextWrapper[AgentContext[Shop]]) -> str:
    """A sync tool: the SDK runs it in a worker thread."""
    ctx.context.client_effect("noted", {"n": 1})
    ctx.context.show_widget(Text("from a thread"))
    return "noted"


@function_tool
async def open_flow(ctx: RunContextWrapper[AgentContext[Shop]]) -> str:
    """Starts a workflow and never ends it."""
    ctx.context.start_workflow([CustomTask(title="step", status_indicator="loading")])
    await asyncio.sleep(0)
    return "started"


@function_tool
async def ask_page(ctx: RunContextWrapper[AgentContext[Shop]]) -> str:
    """A server tool that asks the page to run a tool."""
    ctx.context.call_client_tool("pick_seat", {"row": 3})
    return "asked"


@function_tool
async def secret(ctx: RunContextWrapper[AgentContext[Shop]]) -> str:
    """Returns a number the answer never repeats."""
    return "booking number 4711"


def _responder(model: EchoModel, *tools: Any, **options: Any) -> AgentResponder[Shop]:
    async def shop(turn: Turn) -> Shop:  # an async context factory
        return Shop(owner="Ada")

    def agent(turn: Turn) -> Agent[AgentContext[Shop]]:
        return Agent[AgentContext[Shop]](name="Shop", instructions="Help.", tools=list(tools))

    return AgentResponder[Shop](
        Settings(offline=True), agent=agent, context=shop, model=model, **options
    )


async def test_a_tool_reaches_the_app_state_and_emits_in_order(make_turn: MakeTurn) -> None:
    model = EchoModel([Call("greet"), Say("Done greeting.")])
    responder = _responder(model, with_progress(greet, "Greeting…"))

    events = await collect(responder, await make_turn("hi"))

    assert_well_formed(events)
    assert types(events)[:3] == ["progress_update", "progress_update", "thread.item.done:widget"]
    assert [e.text for e in events[:2]] == ["Greeting…", "Greeting for Ada…"]
    widget = events[2].item
    assert isinstance(widget, WidgetItem) and widget.widget["value"] == f"Hello {USER}"
    assert types(events)[3] == "thread.item.added:assistant_message"


async def test_a_sync_tool_emits_from_its_worker_thread(make_turn: MakeTurn) -> None:
    model = EchoModel([Call("sync_note"), Say("ok")])
    events = await collect(_responder(model, sync_note), await make_turn("note"))

    assert_well_formed(events)
    assert types(events)[:2] == ["client_effect", "thread.item.done:widget"]
    assert (events[0].name, events[0].data) == ("noted", {"n": 1})


async def test_an_open_workflow_is_ended_by_the_bridge(make_turn: MakeTurn) -> None:
    model = EchoModel([Call("open_flow"), Say("ok")])
    events = await collect(_responder(model, open_flow), await make_turn("go"))

    assert_well_formed(events)  # every added item is done
    [done] = [e.item for e in events if e.type == "thread.item.done" and e.item.type == "workflow"]
    assert done.workflow.summary is not None and not done.workflow.expanded


async def test_a_server_tool_can_ask_the_page_and_the_run_ends(make_turn: MakeTurn) -> None:
    model = EchoModel([Call("ask_page"), Say("never said")])
    events = await collect(_responder(model, ask_page), await make_turn("seat?"))

    assert_well_formed(events)
    last = events[-1]
    assert last.type == "thread.item.done" and isinstance(last.item, ClientToolCallItem)
    assert (last.item.name, last.item.arguments, last.item.status) == (
        "pick_seat",
        {"row": 3},
        "pending",
    )
    assert len(model.inputs) == 1  # not asked again

    # The page answers; the next model input has both calls, each with its own id, in order.
    turn = await make_turn("and?")
    done = last.item.model_copy(update={"status": "completed", "output": {"seat": "3A"}})
    await turn.store.save_item(USER, done)
    model.load([Say("Seat 3A.")])
    await collect(_responder(model, ask_page), turn)
    told = [
        i for i in model.inputs[-1] if i.get("type") in ("function_call", "function_call_output")
    ]
    assert [(i["type"], i.get("name")) for i in told] == [
        ("function_call", "ask_page"),
        ("function_call_output", None),
        ("function_call", "pick_seat"),
        ("function_call_output", None),
    ]
    assert told[0]["call_id"] == told[1]["call_id"] != told[2]["call_id"] == told[3]["call_id"]


async def test_progress_comes_from_the_tool_or_the_app_never_a_default(
    make_turn: MakeTurn,
) -> None:
    unlabelled = _responder(EchoModel([Call("secret"), Say("ok")]), secret)
    events = await collect(unlabelled, await make_turn("a"))
    assert "progress_update" not in types(events)

    by_app = _responder(EchoModel([Call("secret"), Say("ok")]), secret, progress={"secret": "S…"})
    events = await collect(by_app, await make_turn("b"))
    assert [e.text for e in events if e.type == "progress_update"] == ["S…"]

    by_function = _responder(
        EchoModel([Call("secret"), Say("ok")]), secret, progress=lambda name: name.upper()
    )
    events = await collect(by_function, await make_turn("c"))
    assert [e.text for e in events if e.type == "progress_update"] == ["SECRET"]


async def test_the_next_turn_remembers_tool_calls_and_their_output(make_turn: MakeTurn) -> None:
    model = EchoModel([Call("secret"), Say("Booked."), Say("It was 4711.")])
    responder = _responder(model, secret)
    first = await make_turn("book")
    await collect(responder, first)

    stored = await first.store.load_items(USER, first.thread.id)
    memory = [item for item in stored if isinstance(item, HiddenContextItem)]
    assert len(memory) == 1 and memory[0].content["name"] == "secret"

    await collect(responder, await make_turn("what was the number?"))
    told = model.inputs[-1]
    call = next(i for i in told if i.get("type") == "function_call")
    output = next(i for i in told if i.get("type") == "function_call_output")
    assert call["name"] == "secret" and output["call_id"] == call["call_id"]
    assert output["output"] == "booking number 4711"
    assert told.index(call) < told.index(output) < len(told) - 1


async def test_item_to_input_conversion_is_pluggable(make_turn: MakeTurn) -> None:
    model = EchoModel([Call("greet"), Say("ok"), Say("again")])

    def widget_input(item: WidgetItem) -> list[Any]:
        return [{"role": "assistant", "content": f"[card {item.copy_text}]"}]

    responder = _responder(model, greet, convert={"widget": widget_input})
    await collect(responder, await make_turn("hi"))
    await collect(responder, await make_turn("and?"))

    said = [i.get("content") for i in model.inputs[-1] if i.get("role") == "assistant"]
    assert "[card hello]" in said


async def test_once_effects_are_sent_once_per_model_step(make_turn: MakeTurn) -> None:
    sent: list[Any] = []
    context = AgentContext[None](await make_turn("x"), None)
    context.client_effect("changed", once=True)  # before the stream: kept until bound
    context.bind(sent.append)
    context.client_effect("changed", once=True)
    context.client_effect("changed", {"other": 1}, once=True)
    context.new_step()
    context.client_effect("changed", once=True)
    assert [(e.name, e.data) for e in sent] == [
        ("changed", {}),
        ("changed", {"other": 1}),
        ("changed", {}),
    ]


async def test_offline_without_a_script_says_so_and_echoes(make_turn: MakeTurn) -> None:
    responder = AgentResponder(Settings(offline=True))
    events = await collect(responder, await make_turn("hello there"))

    assert_well_formed(events)
    text = answer_text(events)
    assert "Offline model" in text and "hello there" in text


async def test_a_tripped_guardrail_forgets_the_turns_tool_calls(make_turn: MakeTurn) -> None:
    @output_guardrail
    async def block(ctx: RunContextWrapper[Any], agent: Agent[Any], output: Any) -> Any:
        return GuardrailFunctionOutput(output_info="no", tripwire_triggered=True)

    def agent(turn: Turn) -> Agent[AgentContext[None]]:
        return Agent[AgentContext[None]](
            name="A", instructions="x", tools=[secret], output_guardrails=[block]
        )

    model = EchoModel([Call("secret"), Say("4711")])
    responder = AgentResponder(Settings(offline=True), agent=agent, model=model)
    turn = await make_turn("number?")
    with pytest.raises(TurnFailed):
        await collect(responder, turn)

    stored = await turn.store.load_items(USER, turn.thread.id)
    assert [item.type for item in stored] == ["user_message"]


@function_tool
async def mark(ctx: RunContextWrapper[AgentContext[Shop]]) -> str:
    """Tells the page something changed."""
    ctx.context.client_effect("marked")
    return "marked"


async def test_tool_events_keep_their_place_when_the_consumer_lags(make_turn: MakeTurn) -> None:
    # The pipeline awaits a database write per finished item, so the reader lags behind the
    # run; a tool's event still comes after the model events of the step that called it.
    model = EchoModel([Call("secret"), Call("mark"), Say("ok")])
    responder = _responder(model, secret, mark, progress={"secret": "A…", "mark": "B…"})
    events = []
    async for event in responder.respond(await make_turn("go")):
        events.append(event)
        await asyncio.sleep(0.005)

    kinds = [e.text if e.type == "progress_update" else e.type for e in events]
    assert kinds[:4] == ["A…", "thread.item.done", "B…", "client_effect"]
    assert events[1].item.type == "hidden_context_item"  # secret's call, remembered
