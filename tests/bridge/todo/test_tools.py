"""The todo tools follow TaskService's rules (the same as /api/tasks and /mcp), and a broken
rule or an unknown task goes back to the model as a sentence, never as a failed turn."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.agent import AgentResponder
from bridge.settings import Settings
from bridge.todo.task_store import TaskStore
from bridge.todo.tasks import MAX_TITLE
from bridge.todo.tools import make_responder
from db import Store

from ..agent import fakeprovider as fp
from ..agent.conftest import USER, MakeTurn, collect, types


@pytest.fixture
def provider() -> fp.FakeProvider:
    return fp.FakeProvider()


@pytest.fixture
def responder(provider: fp.FakeProvider) -> AgentResponder:
    settings = Settings(openai_api_key="sk-test", openai_base_url="http://provider.test/v1")
    return make_responder(settings, client=provider.client())


async def _tool_output(
    responder: AgentResponder,
    provider: fp.FakeProvider,
    make_turn: MakeTurn,
    name: str,
    arguments: dict[str, Any],
) -> tuple[str, list[str]]:
    provider.replies += [
        provider.sse(fp.responses_events(fp.call(name, arguments))),
        provider.sse(fp.responses_events(fp.text(["OK."]))),
    ]
    events = await collect(responder, await make_turn("do it"))
    assert "error" not in types(events)
    output = next(
        i for i in provider.requests[-1]["input"] if i.get("type") == "function_call_output"
    )
    return output["output"], types(events)


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        pytest.param(
            "add_task", {"title": "   "}, "Not added: a task needs a non-empty title.", id="empty"
        ),
        pytest.param(
            "add_task",
            {"title": "x" * (MAX_TITLE + 1)},
            f"Not added: a title has at most {MAX_TITLE} characters.",
            id="too-long",
        ),
        pytest.param(
            "add_task",
            {"title": "milk", "due_date": "next tuesday"},
            "Not added: 'next tuesday' is not a date; use the ISO form YYYY-MM-DD.",
            id="bad-date",
        ),
        pytest.param(
            "update_task",
            {"task_id": 1, "due_date": "2030-02-30"},
            "Not changed: '2030-02-30' is not a date; use the ISO form YYYY-MM-DD.",
            id="update-bad-date",
        ),
        pytest.param(
            "update_task",
            {"task_id": 1, "title": ""},
            "Not changed: a task needs a non-empty title.",
            id="update-empty-title",
        ),
        pytest.param(
            "update_task",
            {"task_id": 1},
            "Not changed: nothing to change: give a title, description, due_date or completed.",
            id="nothing",
        ),
        pytest.param("update_task", {"task_id": 7, "title": "x"}, "There is no task 7.", id="404"),
        pytest.param("complete_task", {"task_id": 7}, "There is no task 7.", id="complete-404"),
        pytest.param("delete_task", {"task_id": 7}, "There is no task 7.", id="delete-404"),
    ],
)
async def test_broken_rules_go_back_to_the_model(
    responder: AgentResponder,
    provider: fp.FakeProvider,
    make_turn: MakeTurn,
    store: Store,
    name: str,
    arguments: dict[str, Any],
    expected: str,
) -> None:
    await TaskStore.of(store).add_task(USER, "existing")

    output, kinds = await _tool_output(responder, provider, make_turn, name, arguments)

    assert output == expected
    assert "client_effect" not in kinds  # nothing changed, the page need not refresh
    [task] = await TaskStore.of(store).list_tasks(USER)
    assert (task["id"], task["title"], task["due_date"]) == (1, "existing", None)


async def test_titles_are_cleaned_like_the_api_does(
    responder: AgentResponder, provider: fp.FakeProvider, make_turn: MakeTurn, store: Store
) -> None:
    output, kinds = await _tool_output(
        responder, provider, make_turn, "add_task", {"title": "  buy\n  milk  "}
    )

    assert output == "Added task 1 “buy milk”."
    assert "client_effect" in kinds
    [task] = await TaskStore.of(store).list_tasks(USER)
    assert task["title"] == "buy milk"


async def test_find_tasks_uses_the_service(
    responder: AgentResponder, provider: fp.FakeProvider, make_turn: MakeTurn, store: Store
) -> None:
    await TaskStore.of(store).add_task(USER, "buy milk", description="oat")
    await TaskStore.of(store).add_task(USER, "call mom")
    await TaskStore.of(store).add_task("someone-else", "buy oat milk")

    output, _ = await _tool_output(responder, provider, make_turn, "find_tasks", {"text": "OAT"})

    assert output == '[{"id": 1, "title": "buy milk", "completed": false, "due_date": null}]'
