"""Every everyday todo request, end to end through the offline model, the tools and the store."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from agents import Agent

from bridge.agent import AgentResponder
from bridge.errors import TurnFailed
from bridge.responder import Turn
from bridge.settings import Settings
from bridge.todo.offline_model import NOTICE
from bridge.todo.task_store import TaskStore
from bridge.todo.tools import TaskContext, make_responder, todo_agent
from db import Store
from schemas import InferenceOptions, ThreadMetadata, ToolChoice, WidgetItem

from ..agent.conftest import (
    USER,
    MakeTurn,
    answer_text,
    assert_well_formed,
    assistant,
    collect,
    types,
)

TEXT_ANSWER = [
    "thread.item.added:assistant_message",
    "assistant_message.content_part.added",
]


@pytest.fixture
def responder(settings: Settings) -> AgentResponder:
    return make_responder(settings)


def _text_tail(sequence: list[str]) -> list[str]:
    """The text answer at the end of a turn, with its deltas collapsed to one entry."""
    out: list[str] = []
    for kind in sequence:
        if kind == "assistant_message.content_part.text_delta" and out and out[-1] == kind:
            continue
        out.append(kind)
    return out


def _widgets(events: list) -> list[WidgetItem]:
    return [
        e.item for e in events if e.type == "thread.item.done" and isinstance(e.item, WidgetItem)
    ]


async def test_add_streams_the_full_event_sequence(
    responder: AgentResponder, make_turn: MakeTurn, store: Store
) -> None:
    events = await collect(responder, await make_turn("add buy milk"))

    assert_well_formed(events)
    sequence = types(events)
    assert _text_tail(sequence) == [
        "progress_update",
        "client_effect",
        "thread.item.added:assistant_message",
        "assistant_message.content_part.added",
        "assistant_message.content_part.text_delta",
        "assistant_message.content_part.done",
        "thread.item.done:assistant_message",
    ]
    assert sequence.count("assistant_message.content_part.text_delta") >= 3
    assert events[0].text == "Adding task…"
    assert events[1].name == "tasks.changed" and events[1].data == {}
    added = events[2].item
    assert added.content == []
    deltas = "".join(
        e.update.delta
        for e in events
        if e.type == "thread.item.updated" and e.update.type.endswith("text_delta")
    )
    assert events[-1].item.id == added.id
    assert answer_text(events) == deltas
    assert deltas.startswith(NOTICE + "\n")
    assert "buy milk" in deltas
    tasks = await TaskStore.of(store).list_tasks(USER)
    assert [(t["id"], t["title"], t["completed"], t["due_date"]) for t in tasks] == [
        (1, "buy milk", False, None)
    ]


async def test_offline_notice_is_given_once_per_thread(
    responder: AgentResponder, make_turn: MakeTurn
) -> None:
    first = await collect(responder, await make_turn("add buy milk"))
    second = await collect(responder, await make_turn("add call mom"))
    third = await collect(responder, await make_turn("how is the weather?"))

    assert answer_text(first).startswith(NOTICE)
    assert NOTICE not in answer_text(second)
    assert NOTICE not in answer_text(third)
    assert "todo" in answer_text(third)


async def test_add_with_a_due_date(
    responder: AgentResponder, make_turn: MakeTurn, store: Store
) -> None:
    events = await collect(responder, await make_turn("add a task to call mom tomorrow"))

    assert_well_formed(events)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    [task] = await TaskStore.of(store).list_tasks(USER)
    assert (task["title"], task["due_date"]) == ("call mom", tomorrow)
    assert tomorrow in answer_text(events)


async def _seed(store: Store, *titles: str, done: tuple[int, ...] = ()) -> None:
    for title in titles:
        await TaskStore.of(store).add_task(USER, title)
    for number in done:
        await TaskStore.of(store).update_task(USER, number, completed=True)


async def test_whats_on_my_list_shows_open_tasks_as_a_widget(
    responder: AgentResponder, make_turn: MakeTurn, store: Store
) -> None:
    await _seed(store, "buy milk", "call mom", "pay rent", done=(2,))

    events = await collect(responder, await make_turn("what's on my list?"))

    assert_well_formed(events)
    assert types(events)[:2] == ["progress_update", "thread.item.done:widget"]
    assert "client_effect" not in types(events)
    [widget] = _widgets(events)
    assert widget.widget["type"] == "ListView"
    rows = widget.widget["children"]
    assert [row["key"] for row in rows] == ["task-1", "task-3"]
    buttons = [row["children"][0]["children"][1] for row in rows]
    assert [b["onClickAction"] for b in buttons] == [
        {"type": "tasks.complete", "payload": {"task_id": 1}},
        {"type": "tasks.complete", "payload": {"task_id": 3}},
    ]
    assert "2 open tasks" in answer_text(events)
    # The widget is stored by the pipeline; the store still has three tasks, unchanged.
    assert [t["completed"] for t in await TaskStore.of(store).list_tasks(USER)] == [
        False,
        True,
        False,
    ]


async def test_show_completed_tasks(
    responder: AgentResponder, make_turn: MakeTurn, store: Store
) -> None:
    await _seed(store, "buy milk", "call mom", done=(2,))

    events = await collect(responder, await make_turn("show completed tasks"))

    assert_well_formed(events)
    [widget] = _widgets(events)
    [row] = widget.widget["children"]
    assert row["key"] == "task-2"
    assert row["children"][0]["children"][1] == {
        "type": "Badge",
        "label": "Done",
        "color": "success",
    }
    assert "1 completed task" in answer_text(events)


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        pytest.param("mark 2 done", [False, True, False], id="by-number"),
        pytest.param("complete the milk task", [True, False, False], id="by-words"),
    ],
)
async def test_complete(
    responder: AgentResponder,
    make_turn: MakeTurn,
    store: Store,
    request_text: str,
    expected: list[bool],
) -> None:
    await _seed(store, "buy milk", "call mom", "pay rent")

    events = await collect(responder, await make_turn(request_text))

    assert_well_formed(events)
    assert types(events).count("client_effect") == 1
    assert [t["completed"] for t in await TaskStore.of(store).list_tasks(USER)] == expected
    assert "as done" in answer_text(events)


async def test_complete_by_words_looks_the_task_up_first(
    responder: AgentResponder, make_turn: MakeTurn, store: Store
) -> None:
    await _seed(store, "buy milk")

    events = await collect(responder, await make_turn("complete the milk task"))

    progress = [e.text for e in events if e.type == "progress_update"]
    assert progress == ["Looking for the task…", "Completing task…"]
    # Finding a task changes nothing, so the page is told to refresh once, after completing.
    first_effect = types(events).index("client_effect")
    assert first_effect > types(events).index("progress_update", 1)


async def test_rename(responder: AgentResponder, make_turn: MakeTurn, store: Store) -> None:
    await _seed(store, "buy milk", "call mum", "fix bike")

    events = await collect(responder, await make_turn("rename 3 to call mom"))

    assert_well_formed(events)
    assert [t["title"] for t in await TaskStore.of(store).list_tasks(USER)] == [
        "buy milk",
        "call mum",
        "call mom",
    ]
    assert "call mom" in answer_text(events)
    assert "client_effect" in types(events)


@pytest.mark.parametrize(
    ("request_text", "left"),
    [
        pytest.param("delete the milk task", ["call mom", "pay rent"], id="by-words"),
        pytest.param("delete task 2", ["buy milk", "pay rent"], id="by-number"),
    ],
)
async def test_delete(
    responder: AgentResponder, make_turn: MakeTurn, store: Store, request_text: str, left: list[str]
) -> None:
    await _seed(store, "buy milk", "call mom", "pay rent")

    events = await collect(responder, await make_turn(request_text))

    assert_well_formed(events)
    assert [t["title"] for t in await TaskStore.of(store).list_tasks(USER)] == left
    assert "Deleted" in answer_text(events)
    assert types(events).count("client_effect") == 1


async def test_unknown_task_number_is_told_not_raised(
    responder: AgentResponder, make_turn: MakeTurn, store: Store
) -> None:
    await _seed(store, "buy milk")

    events = await collect(responder, await make_turn("mark 9 done"))

    assert_well_formed(events)
    assert "There is no task 9" in answer_text(events)
    assert "client_effect" not in types(events)
    assert [t["completed"] for t in await TaskStore.of(store).list_tasks(USER)] == [False]


async def test_ambiguous_words_ask_which_task(
    responder: AgentResponder, make_turn: MakeTurn, store: Store
) -> None:
    await _seed(store, "buy milk", "buy oat milk")

    events = await collect(responder, await make_turn("delete the milk task"))

    assert_well_formed(events)
    assert "Which one" in answer_text(events)
    assert len(await TaskStore.of(store).list_tasks(USER)) == 2


async def test_no_matching_task(
    responder: AgentResponder, make_turn: MakeTurn, store: Store
) -> None:
    await _seed(store, "buy milk")

    events = await collect(responder, await make_turn("complete the bread task"))

    assert "couldn't find a task matching “bread”" in answer_text(events)
    assert [t["completed"] for t in await TaskStore.of(store).list_tasks(USER)] == [False]


async def test_tasks_are_scoped_to_the_turns_user(
    responder: AgentResponder, make_turn: MakeTurn, store: Store
) -> None:
    await TaskStore.of(store).add_task("someone-else", "their secret task")

    listed = await collect(responder, await make_turn("what's on my list"))
    completed = await collect(responder, await make_turn("mark 1 done"))

    [widget] = _widgets(listed)
    assert widget.widget["children"][0]["key"] == "empty"
    assert "There is no task 1" in answer_text(completed)
    [theirs] = await TaskStore.of(store).list_tasks("someone-else")
    assert theirs["completed"] is False


async def test_other_requests_get_a_short_helpful_reply(
    responder: AgentResponder, make_turn: MakeTurn
) -> None:
    events = await collect(responder, await make_turn("What's the capital of France?"))

    assert_well_formed(events)
    assert types(events)[0] == "thread.item.added:assistant_message"
    assert "progress_update" not in types(events)
    assert "add buy milk" in answer_text(events)


async def test_notice_is_not_repeated_when_history_has_it(
    responder: AgentResponder, make_turn: MakeTurn, store: Store, thread: ThreadMetadata
) -> None:
    await store.add_item(USER, assistant(thread.id, f"{NOTICE}\n\nHello."))

    events = await collect(responder, await make_turn("hello"))

    assert NOTICE not in answer_text(events)


# ---- the composer: model picker and tool menu -----------------------------------------------


async def test_model_outside_the_allow_list_fails_clearly(make_turn: MakeTurn) -> None:
    responder = make_responder(Settings(offline=True, model="gpt-a", models=("gpt-b",)))
    turn = await make_turn("add buy milk", inference_options=InferenceOptions(model="gpt-evil"))

    with pytest.raises(TurnFailed) as failed:
        await collect(responder, turn)

    assert "gpt-evil" in failed.value.message and "gpt-a, gpt-b" in failed.value.message
    assert failed.value.allow_retry is False


@pytest.mark.parametrize("model", ["gpt-a", "gpt-b"])
async def test_allowed_models_answer(make_turn: MakeTurn, store: Store, model: str) -> None:
    responder = make_responder(Settings(offline=True, model="gpt-a", models=("gpt-b",)))
    turn = await make_turn("add buy milk", inference_options=InferenceOptions(model=model))

    events = await collect(responder, turn)

    assert_well_formed(events)
    assert len(await TaskStore.of(store).list_tasks(USER)) == 1


async def test_tool_menu_forces_the_tool(
    responder: AgentResponder, make_turn: MakeTurn, store: Store
) -> None:
    await _seed(store, "buy milk")
    options = InferenceOptions(tool_choice=ToolChoice(id="list_tasks"))

    events = await collect(responder, await make_turn("hmm", inference_options=options))

    assert_well_formed(events)
    assert len(_widgets(events)) == 1


async def test_an_app_tool_id_in_the_menu_reaches_the_app_and_forces_nothing(
    make_turn: MakeTurn,
) -> None:
    """Bug: a composer tool id that is not one of the agent's tools ended the turn with an
    error. Fix: the id is the app's (on `Turn.tool_choice`); only a tool name forces a call."""
    built: list[Agent[TaskContext]] = []

    def by_mode(turn: Turn) -> Agent[TaskContext]:
        agent = todo_agent(turn)
        if turn.tool_choice == "research_mode":  # the app routes the id to another agent
            agent = agent.clone(name="Researcher", tools=[])
        built.append(agent)
        return agent

    responder = AgentResponder(Settings(offline=True), agent=by_mode)
    options = InferenceOptions(tool_choice=ToolChoice(id="research_mode"))

    events = await collect(responder, await make_turn("hi", inference_options=options))

    assert_well_formed(events)
    assert answer_text(events)
    assert [agent.name for agent in built] == ["Researcher"]
    turn = await make_turn("again", inference_options=options)
    assert responder._agent(turn).model_settings.tool_choice is None
