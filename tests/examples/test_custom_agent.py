"""examples/custom_agent.py runs as documented in docs/extending.md: its own agent (offline
model, then a scripted one to reach its own tool and client tool), its own action, and the
port it is told."""

from __future__ import annotations

from functools import partial
from typing import Any

import httpx
import pytest
from agents.testing import ScriptedModel, assistant_message, function_call
from starlette.applications import Starlette

from examples import custom_agent

from ..conftest import Connect, MakeApp
from ..wire import post, stream, user_input
from .conftest import Start


@pytest.fixture
def start(make_app: MakeApp, connect: Connect) -> Start:
    """`await start(**options)` → (app, client): the example built offline, started."""

    async def started(**options: Any) -> tuple[Starlette, httpx.AsyncClient]:
        app = await make_app(build=partial(custom_agent.build_app, **options), offline=True)
        return app, connect(app)

    return started


def _texts(events: list[dict[str, Any]]) -> list[str]:
    return [
        e["item"]["content"][0]["text"]
        for e in events
        if e["type"] == "thread.item.done" and e["item"]["type"] == "assistant_message"
    ]


async def test_example_runs_offline_with_its_action(start: Any) -> None:
    _, client = await start()

    events = await stream(client, "threads.create", input=user_input("is Dune in stock?"))
    thread_id = events[0]["thread"]["id"]
    # Without a key the shop gets the neutral offline model, never the todo one.
    [answer] = _texts(events)
    assert "Offline model" in answer and "is Dune in stock?" in answer
    assert "todo" not in answer.lower()

    reserved = await stream(
        client,
        "threads.custom_action",
        thread_id=thread_id,
        action={"type": "shop.reserve", "payload": {"title": "Emma"}},
    )
    assert _texts(reserved) == ["Reserved “Emma” for you."]
    unknown = await stream(
        client,
        "threads.custom_action",
        thread_id=thread_id,
        action={"type": "shop.reserve", "payload": {"title": "Ulysses"}},
    )
    assert unknown[-1]["type"] == "error" and "Ulysses" in unknown[-1]["message"]
    # The todo app's action is not part of the shop.
    sync = await post(
        client,
        "threads.sync_custom_action",
        thread_id=thread_id,
        action={"type": "tasks.complete", "payload": {"task_id": 1}},
    )
    assert sync.status_code == 400, sync.text


async def test_example_agent_uses_its_own_tool_and_client_tool(start: Any) -> None:
    model = ScriptedModel(
        [
            [function_call("book_stock", {"title": "The Hobbit"}, call_id="c1")],
            [
                assistant_message("We have 3."),
                function_call("open_cart", {"title": "The Hobbit"}, call_id="c2"),
            ],
        ]
    )
    _, client = await start(model=model)

    events = await stream(client, "threads.create", input=user_input("buy the hobbit"))

    model.assert_complete()
    first, second = model.calls  # no third request: the turn ended on the client tool
    assert "You are Shelf" in (first.system_instructions or "")
    offered = {tool.name for tool in first.tools}
    assert offered == {"book_stock", "open_cart"}
    output = next(i for i in second.input if i.get("type") == "function_call_output")
    assert output["output"] == "“The Hobbit”: 3 in stock."
    calls = [e["item"] for e in events if e.get("item", {}).get("type") == "client_tool_call"]
    assert [(c["name"], c["arguments"], c["status"]) for c in calls] == [
        ("open_cart", {"title": "The Hobbit"}, "pending")
    ]
    assert _texts(events) == ["We have 3."]


def test_example_takes_its_port_from_the_command_line_or_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    served: list[tuple[str, int]] = []

    def fake_run(app: Any, *, host: str, port: int) -> None:
        served.append((host, port))

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setattr(custom_agent, "build_app", lambda: None)
    monkeypatch.setattr("sys.argv", ["custom_agent", "--port", "8123"])
    custom_agent.main()
    monkeypatch.setenv("PORT", "8124")
    monkeypatch.setattr("sys.argv", ["custom_agent"])
    custom_agent.main()
    assert served == [("127.0.0.1", 8123), ("127.0.0.1", 8124)]
