"""Client tools end to end over HTTP: the model calls a tool the page runs, the turn ends on a
pending `client_tool_call`, the page's output comes back, and the model goes on with it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bridge.agent import ClientTool
from bridge.auth import LOCAL_USER
from bridge.settings import Settings
from bridge.todo.task_store import TaskStore
from bridge.todo.todo_app import TodoApp
from bridge.todo.tools import make_responder

from ...wire import post, stream, types, user_input
from . import fakeprovider as fp

LOCATION = ClientTool(
    name="get_location",
    description="The user's location, from the browser.",
    params_json_schema={
        "type": "object",
        "properties": {"precision": {"type": "string", "enum": ["city", "exact"]}},
        "required": ["precision"],
        "additionalProperties": False,
    },
)


@pytest.fixture
def provider() -> fp.FakeProvider:
    return fp.FakeProvider()


@pytest.fixture
async def app(make_app: Callable[..., Any], provider: fp.FakeProvider) -> Starlette:
    """The todo app answered by the fake provider, with the page's location tool; the root
    `client` fixture talks to it."""
    settings = Settings(openai_api_key="sk-test", openai_base_url="http://provider.test/v1")
    responder = make_responder(settings, client=provider.client(), client_tools=[LOCATION])
    built: Starlette = await make_app(app=TodoApp(), responder=responder)
    return built


def _asks_for_location(provider: fp.FakeProvider) -> None:
    provider.replies.append(
        provider.sse(
            fp.responses_events(
                fp.text(["Let me ", "look."]),
                fp.call("get_location", {"precision": "city"}, call_id="call_loc"),
            )
        )
    )


async def _pending_call(client: httpx.AsyncClient, provider: fp.FakeProvider) -> str:
    _asks_for_location(provider)
    events = await stream(client, "threads.create", input=user_input("where am I?"))
    thread_id: str = events[0]["thread"]["id"]

    call = events[-2]["item"] if events[-1]["type"] == "thread.updated" else events[-1]["item"]
    assert call["type"] == "client_tool_call"
    assert call["status"] == "pending"
    assert call["call_id"] == "call_loc"
    assert call["name"] == "get_location"
    assert call["arguments"] == {"precision": "city"}
    assert not call["id"].startswith("client_")
    calls = [e for e in events if e.get("item", {}).get("type") == "client_tool_call"]
    assert len(calls) == 1 and calls[0]["type"] == "thread.item.done"
    # The stream ended on the call: no request after it, nothing asked of the model again.
    done = [e["item"]["type"] for e in events if e["type"] == "thread.item.done"]
    assert done == ["user_message", "assistant_message", "client_tool_call"]
    assert "error" not in types(events)
    assert "progress_update" not in types(events)  # the page runs it: no "Running…" line
    await asyncio.sleep(0.1)
    assert len(provider.requests) == 1
    tools = {tool["name"] for tool in provider.requests[0]["tools"]}
    assert {"get_location", "add_task"} <= tools
    return thread_id


def _continuation(request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    items = request["input"]
    call = next(i for i in items if i.get("type") == "function_call")
    output = next(i for i in items if i.get("type") == "function_call_output")
    assert items.index(output) == items.index(call) + 1 == len(items) - 1
    return call, output


async def test_client_tool_round_trip(client: httpx.AsyncClient, provider: fp.FakeProvider) -> None:
    thread_id = await _pending_call(client, provider)

    provider.replies.append(provider.sse(fp.responses_events(fp.text(["You are in Paris."]))))
    events = await stream(
        client, "threads.add_client_tool_output", thread_id=thread_id, result={"city": "Paris"}
    )

    assert [e["item"]["type"] for e in events if e["type"] == "thread.item.done"] == [
        "assistant_message"
    ]
    assert events[-1]["item"]["content"][0]["text"] == "You are in Paris."
    assert len(provider.requests) == 2
    call, output = _continuation(provider.requests[1])
    assert call["call_id"] == output["call_id"] == "call_loc"
    assert call["name"] == "get_location"
    assert json.loads(call["arguments"]) == {"precision": "city"}
    assert json.loads(output["output"]) == {"city": "Paris"}

    thread = (await post(client, "threads.get_by_id", thread_id=thread_id)).json()
    stored = [i for i in thread["items"]["data"] if i["type"] == "client_tool_call"]
    assert [(i["status"], i["output"]) for i in stored] == [("completed", {"city": "Paris"})]


async def test_client_tool_without_result_gives_null(
    client: httpx.AsyncClient, provider: fp.FakeProvider
) -> None:
    thread_id = await _pending_call(client, provider)

    provider.replies.append(provider.sse(fp.responses_events(fp.text(["I could not tell."]))))
    await stream(client, "threads.add_client_tool_output", thread_id=thread_id)

    _, output = _continuation(provider.requests[1])
    assert output["output"] == "null"


async def test_client_tool_call_is_not_run_on_the_server_with_other_tools(
    app: Starlette, client: httpx.AsyncClient, provider: fp.FakeProvider
) -> None:
    # A server tool and a client tool in one response: the server tool runs, the run stops.
    provider.replies.append(
        provider.sse(
            fp.responses_events(
                fp.call("add_task", {"title": "pack"}, call_id="call_add", item_id="fc_a"),
                fp.call("get_location", {"precision": "exact"}, call_id="call_loc", item_id="fc_b"),
            )
        )
    )
    events = await stream(client, "threads.create", input=user_input("pack and locate me"))

    kinds = types(events)
    assert kinds.count("progress_update") == 1  # for add_task only
    last_done = max(n for n, e in enumerate(events) if e["type"] == "thread.item.done")
    assert kinds.index("client_effect") < last_done  # the call is the turn's last item
    last_item = events[last_done]["item"]
    assert (last_item["type"], last_item["arguments"]) == (
        "client_tool_call",
        {"precision": "exact"},
    )
    await asyncio.sleep(0.1)
    assert len(provider.requests) == 1
    store = app.state.services.store
    assert [t["title"] for t in await TaskStore.of(store).list_tasks(LOCAL_USER)] == ["pack"]
