"""The pieces of the offline model's understanding: task names, dates, requests, and a
conversation whose state lives in the thread."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bridge.settings import Settings
from bridge.todo.due_dates import Clock, split_due, user_locale
from bridge.todo.intents import AddTasks, CompleteTask, DeleteTask, Reply, Target
from bridge.todo.offline_model import NOTICE, OfflineModel
from bridge.todo.request_parser import parse
from bridge.todo.task_store import TaskStore
from bridge.todo.tasks import match_tasks, word_match
from bridge.todo.tools import make_responder
from db import Store

from ..agent.conftest import USER, MakeTurn, answer_text, assert_well_formed, collect, types

NOW = datetime(2026, 12, 1, 10, 0)  # a Tuesday
CLOCK = Clock(now=NOW)
TASKS = [
    {"id": n, "title": title, "description": None}
    for n, title in enumerate(
        ["call mom", "buy milk", "renew passport", "buy eggs", "milk the cow", "water the plants"],
        1,
    )
]


# ---- naming a task --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "numbers"),
    [
        pytest.param("all", [], id="all-is-not-in-call"),
        pytest.param("call", [1], id="whole-word"),
        pytest.param("mom", [1], id="another-whole-word"),
        pytest.param("milk", [2, 5], id="two-tasks"),
        pytest.param("mlik", [2, 5], id="swapped-letters"),
        pytest.param("pasport", [3], id="letter-left-out"),
        pytest.param("egg", [4], id="singular"),
        pytest.param("plant", [6], id="plural-in-title"),
        pytest.param("the passport one", [3], id="fillers"),
        pytest.param("cow milk", [5], id="every-word"),
        pytest.param("bread", [], id="no-match"),
        pytest.param("the", [], id="only-fillers"),
        pytest.param("al", [], id="short-words-exactly"),
    ],
)
def test_tasks_are_named_by_whole_words_with_typos_forgiven(words: str, numbers: list[int]) -> None:
    assert [task["id"] for task in match_tasks(words, TASKS)] == numbers


def test_an_exact_match_wins_over_a_typo_match() -> None:
    tasks = [{"id": 1, "title": "buy milk"}, {"id": 2, "title": "buy silk"}]
    assert [t["id"] for t in match_tasks("silk", tasks)] == [2]
    assert word_match("silk", "milk") == 0  # one letter changed in a short word: another word
    assert word_match("passport", "pasport") == 1


# ---- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "title", "due"),
    [
        ("submit taxes next week", "submit taxes", "2026-12-08"),
        ("call mom on Dec 20", "call mom", "2026-12-20"),
        ("dentist tomorrow morning", "dentist", "2026-12-02"),
        ("party saturday at 5pm", "party", "2026-12-05"),
        ("pay rent by fri", "pay rent", "2026-12-04"),
        ("tomorrow call the bank", "call the bank", "2026-12-02"),
        ("water plants tmrw", "water plants", "2026-12-02"),
        ("renew passport end of month", "renew passport", "2026-12-31"),
        ("buy 2 eggs", "buy 2 eggs", None),
        ("call may", "call may", None),
        ("second coat of paint", "second coat of paint", None),
        ("march for climate", "march for climate", None),
        ("read a book", "read a book", None),
    ],
)
def test_dates_are_found_and_taken_out_of_titles(text: str, title: str, due: str | None) -> None:
    found, when = split_due(text, CLOCK)
    assert (found, when.isoformat() if when else None) == (title, due)


def test_the_users_locale_decides_day_and_month() -> None:
    british = Clock(now=NOW, locale="en-GB")
    american = Clock(now=NOW, locale="en-US")
    assert split_due("pay bill on 5/12", british)[1] == date(2026, 12, 5)
    assert split_due("pay bill on 5/12", american)[1] == date(2027, 5, 12)


def test_today_is_the_users_today() -> None:
    late_in_utc = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    assert Clock(now=late_in_utc, timezone="UTC").today() == date(2026, 12, 1)
    assert Clock(now=late_in_utc, timezone="Asia/Tokyo").today() == date(2026, 12, 2)
    tokyo = Clock(now=late_in_utc, timezone="Asia/Tokyo")
    assert split_due("call mom tomorrow", tokyo)[1] == date(2026, 12, 3)


@pytest.mark.parametrize(
    ("header", "locale"),
    [("en-GB,en;q=0.9", "en-GB"), ("fr", "fr"), ("*", None), (None, None), ("x y z", None)],
)
def test_locale_from_accept_language(header: str | None, locale: str | None) -> None:
    assert user_locale(header) == locale


# ---- requests -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("delete all", DeleteTask(Target(every=True))),
        ("mark all as done", CompleteTask(Target(every=True))),
        ("delete it", DeleteTask(Target(it=True))),
        ("complete 2 and 3", CompleteTask(Target(numbers=(2, 3)))),
        ("clear all done tasks", DeleteTask(Target(every=True, status="completed"))),
        ("the first one", Reply(target=Target(position=1))),
        ("task 7", Reply(target=Target(numbers=(7,)))),
        ("yes", Reply(yes=True)),
        ("add buy milk; add buy eggs", AddTasks((("buy milk", None), ("buy eggs", None)))),
        ("dleete task 3", DeleteTask(Target(numbers=(3,)))),
        ("mom is done", CompleteTask(Target(words="mom"))),
    ],
)
def test_requests(text: str, intent: object) -> None:
    assert parse(text, CLOCK) == intent


# ---- a conversation lives in the thread -----------------------------------------------------


async def test_a_confirmation_survives_a_restart(make_turn: MakeTurn, store: Store) -> None:
    for title in ("call mom", "buy milk"):
        await TaskStore.of(store).add_task(USER, title)
    before = make_responder(Settings(offline=True))
    asked = await collect(before, await make_turn("delete all"))
    assert "Delete 2 tasks" in answer_text(asked)
    assert len(await TaskStore.of(store).list_tasks(USER)) == 2

    after = make_responder(Settings(offline=True))  # a new process: nothing in memory
    done = await collect(after, await make_turn("yes"))

    assert "Deleted task 1" in answer_text(done) and "Deleted task 2" in answer_text(done)
    assert await TaskStore.of(store).list_tasks(USER) == []


async def test_yes_deletes_only_the_tasks_the_question_named(
    make_turn: MakeTurn, store: Store
) -> None:
    await TaskStore.of(store).add_task(USER, "call mom")
    responder = make_responder(Settings(offline=True))
    await collect(responder, await make_turn("delete everything"))
    await TaskStore.of(store).add_task(USER, "added in another tab meanwhile")

    await collect(responder, await make_turn("yes"))

    assert [t["title"] for t in await TaskStore.of(store).list_tasks(USER)] == [
        "added in another tab meanwhile"
    ]


async def test_the_notice_is_not_repeated_when_the_window_drops_it(
    make_turn: MakeTurn, store: Store
) -> None:
    """Bug: the notice came back once the first answer fell out of the history window.
    Fix: the notice goes on the first answer of a thread, not on the first answer seen."""
    responder = make_responder(Settings(offline=True, history_items=2))
    answers = [
        answer_text(await collect(responder, await make_turn(text)))
        for text in ("add buy milk", "add call mom", "what's on my list", "hello")
    ]
    assert answers[0].startswith(NOTICE)
    assert [NOTICE in answer for answer in answers[1:]] == [False, False, False]


async def test_the_locale_of_the_turn_reaches_the_offline_model(
    make_turn: MakeTurn, store: Store
) -> None:
    responder = make_responder(Settings(offline=True), model=OfflineModel(today=date(2026, 12, 1)))
    turn = await make_turn("add pay the bill on 5/12")
    turn.locale = "en-GB,en;q=0.8"
    await collect(responder, turn)
    turn = await make_turn("add call the bank on 5/12")
    turn.locale = "en-US"
    await collect(responder, turn)

    assert [t["due_date"] for t in await TaskStore.of(store).list_tasks(USER)] == [
        "2026-12-05",
        "2027-05-12",
    ]


async def test_a_change_to_many_tasks_is_one_step_not_one_turn_each(
    make_turn: MakeTurn, store: Store
) -> None:
    """The Runner allows 10 model turns: 15 deletes go out as parallel calls of one step."""
    for n in range(15):
        await TaskStore.of(store).add_task(USER, f"task {n}")
    responder = make_responder(Settings(offline=True))
    await collect(responder, await make_turn("delete all"))

    done = await collect(responder, await make_turn("yes"))

    assert answer_text(done).count("Deleted task") == 15
    assert await TaskStore.of(store).list_tasks(USER) == []


async def test_parallel_calls_stream_well_formed_events(make_turn: MakeTurn, store: Store) -> None:
    for title in ("buy milk", "call mom", "pay rent"):
        await TaskStore.of(store).add_task(USER, title)
    responder = make_responder(Settings(offline=True))

    events = await collect(responder, await make_turn("complete 2 and 3"))

    assert_well_formed(events)
    assert [e.text for e in events if e.type == "progress_update"] == ["Completing task…"] * 2
    assert "client_effect" in types(events)
    assert [t["completed"] for t in await TaskStore.of(store).list_tasks(USER)] == [
        False,
        True,
        True,
    ]
