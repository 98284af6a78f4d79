"""Faults: the model fails (before output, mid-stream, with a malformed stream), a tool raises,
the database is unreachable at start or goes away mid-request.

Each case checks what the client gets (a 4xx/503 JSON before the stream, an `error` event in
it), that the store is consistent (no half-written item, no thread without its user message,
the lease given back) and that the next request works.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from agents import Agent, function_tool
from agents.models.interface import Model
from openai.types.responses import ResponseTextDeltaEvent
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from bridge.agent import AgentResponder
from bridge.app import DatabaseUnavailable, create_app
from bridge.responder import Turn
from bridge.settings import Settings
from bridge.todo.tools import TaskContext
from schemas import ThreadStreamEvent

from ..conformance.scripted_model import ScriptedModel
from ..conftest import RunningLifespan, require_postgres
from ..fakes import ScriptedResponder, stream_text
from ..live import free_port
from .conftest import MakeApp, store_of
from .support import (
    CuttableProxy,
    assert_error_json,
    auth,
    bounded,
    item_types,
    parse_sse,
    snapshot,
    wait_released,
)

USER = "ann"


def _body(op: str, **params: Any) -> bytes:
    return json.dumps({"type": op, "params": params}).encode()


def _message(text: str) -> dict[str, Any]:
    return {"content": [{"type": "input_text", "text": text}], "attachments": []}


async def _post(http: httpx.AsyncClient, op: str, **params: Any) -> httpx.Response:
    response: httpx.Response = await bounded(
        http.post("/chatkit", content=_body(op, **params), headers=auth(USER))
    )
    return response


async def _create(
    http: httpx.AsyncClient, text: str
) -> tuple[httpx.Response, list[dict[str, Any]]]:
    response = await _post(http, "threads.create", input=_message(text))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return response, parse_sse(response.text)


async def _consistent(app: Starlette) -> dict[str, list[tuple[str, str]]]:
    """Every thread starts with its user message, no lease is held, and every stored assistant
    message has text; returns thread id → [(item id, type)]."""
    shot = await snapshot(store_of(app))
    for threads in shot.threads.values():
        for tid, row in threads.items():
            assert row["busy"] is None, f"thread {tid} is still leased"
            items = shot.items.get(tid, [])
            assert items and items[0][1] == "user_message", (tid, items)
    return {tid: shot.items.get(tid, []) for t in shot.threads.values() for tid in t}


async def _next_works(http: httpx.AsyncClient, thread_id: str, model: ScriptedModel | None) -> None:
    if model is not None:
        model.load([{"text": ["fine ", "now"]}])
    response = await _post(
        http, "threads.add_user_message", thread_id=thread_id, input=_message("again")
    )
    assert response.status_code == 200, response.text
    events = parse_sse(response.text)
    kinds = [k for k in item_types(events) if k != "thread.updated"]
    assert kinds[0] == "done:user_message" and kinds[-1] == "done:assistant_message", kinds
    assert "error" not in kinds, events


def _agent_responder(model: Model, tools: list[Any] | None = None) -> AgentResponder:
    def agent(turn: Turn) -> Agent[TaskContext]:
        return Agent[TaskContext](name="Assistant", instructions="Be brief.", tools=tools or [])

    return AgentResponder(Settings(offline=True), model=model, agent=agent)


# ---- the model fails ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "sent_text"),
    [
        pytest.param([{"error": "upstream exploded"}], "", id="before-output"),
        pytest.param(
            [{"text": ["one ", "two ", "three ", "four"], "error_after": 2, "delay": 0.02}],
            "one two ",
            id="mid-stream",
        ),
    ],
)
async def test_model_failure_is_an_error_event_and_keeps_no_half_item(
    rel_make_app: MakeApp, rel_client: Any, script: list[dict[str, Any]], sent_text: str
) -> None:
    model = ScriptedModel(script)
    app = await rel_make_app(responder=_agent_responder(model))
    http = rel_client(app)
    _, events = await _create(http, "hello")
    kinds = item_types(events)
    assert kinds[:3] == ["thread.created", "done:user_message", "stream_options"], kinds
    assert kinds[-1] == "error", kinds
    assert events[-1]["allow_retry"] is True, events[-1]
    deltas = "".join(
        e["update"]["delta"]
        for e in events
        if e["type"] == "thread.item.updated" and "delta" in e["update"]
    )
    assert deltas == sent_text
    assert "done:assistant_message" not in kinds
    thread_id = events[0]["thread"]["id"]
    stored = await _consistent(app)
    assert [t for _, t in stored[thread_id]] == ["user_message"], stored
    await _next_works(http, thread_id, model)


class MalformedModel(Model):
    """A model whose stream is broken in one of several ways."""

    def __init__(self, how: str) -> None:
        self.how = how
        self.good = ScriptedModel([])

    async def get_response(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:  # type: ignore[override]
        if self.how == "good":
            self.good.load([{"text": ["fine ", "now"]}])
            async for event in self.good.stream_response(*args, **kwargs):
                yield event
            return
        self.good.load([{"text": ["partial ", "answer"]}])
        async for event in self.good.stream_response(*args, **kwargs):
            if event.type == "response.completed" and self.how == "no completed":
                return  # the stream just ends
            if event.type == "response.output_text.done" and self.how == "wrong shape":
                yield {"type": "response.output_text.delta", "delta": 42}  # a dict, not an event
                yield "garbage"
                continue
            if event.type == "response.content_part.added" and self.how == "orphan delta":
                yield ResponseTextDeltaEvent(
                    type="response.output_text.delta",
                    item_id="nope",
                    output_index=7,
                    content_index=3,
                    delta="lost",
                    logprobs=[],
                    sequence_number=99,
                )
            yield event


@pytest.mark.parametrize("how", ["no completed", "wrong shape", "orphan delta"])
async def test_malformed_model_stream_ends_cleanly(
    rel_make_app: MakeApp, rel_client: Any, how: str
) -> None:
    model = MalformedModel(how)
    app = await rel_make_app(responder=_agent_responder(model))
    http = rel_client(app)
    _, events = await _create(http, "hello")
    kinds = item_types(events)
    assert kinds[:3] == ["thread.created", "done:user_message", "stream_options"], kinds
    # Either an error event ends the turn, or a well-formed answer does.
    assert kinds[-1] in ("error", "done:assistant_message", "thread.updated"), kinds
    added = [e["item"]["id"] for e in events if e["type"] == "thread.item.added"]
    done = [e["item"]["id"] for e in events if e["type"] == "thread.item.done"]
    for event in events:
        if event["type"] == "thread.item.updated":
            assert event["item_id"] in added, event  # never an update for an unknown item
    thread_id = events[0]["thread"]["id"]
    stored = await _consistent(app)
    # Stored: the user message and exactly the items the client saw finished.
    assert [i for i, _ in stored[thread_id]] == done, (stored, done)
    model.how = "good"
    await _next_works(http, thread_id, None)


# ---- a tool raises --------------------------------------------------------------------------


@function_tool
async def explode(reason: str) -> str:
    """A tool that always fails.

    Args:
        reason: Why.
    """
    raise RuntimeError(f"tool exploded: {reason}")


@function_tool(failure_error_function=None)
async def explode_hard(reason: str) -> str:
    """A tool that always fails, and whose failure is not handed to the model.

    Args:
        reason: Why.
    """
    raise RuntimeError(f"tool exploded: {reason}")


@pytest.mark.parametrize("tool", [explode, explode_hard], ids=["error-to-model", "error-raised"])
async def test_a_tool_that_raises(rel_make_app: MakeApp, rel_client: Any, tool: Any) -> None:
    model = ScriptedModel(
        [
            {"tool_call": {"name": tool.name, "arguments": {"reason": "x"}}},
            {"text": ["Sorry, ", "it failed."]},
        ]
    )
    app = await rel_make_app(responder=_agent_responder(model, [tool]))
    http = rel_client(app)
    _, events = await _create(http, "do it")
    kinds = item_types(events)
    thread_id = events[0]["thread"]["id"]
    stored = await _consistent(app)
    if tool is explode:
        # The model hears about the failure and answers.
        assert "error" not in kinds, events
        assert "done:assistant_message" in kinds, kinds
        told = model.calls[-1]["input"][-1]
        assert told["type"] == "function_call_output" and "error" in told["output"], told
        # The call and its output are remembered (hidden) for the next turn's model input.
        assert [t for _, t in stored[thread_id]] == [
            "user_message",
            "hidden_context_item",
            "assistant_message",
        ]
    else:
        assert kinds[-1] == "error", kinds
        assert [t for _, t in stored[thread_id]] == ["user_message"]
        assert "tool exploded" not in json.dumps(events)  # no internals leak to the page
    await _next_works(http, thread_id, model)


# ---- the database at start ------------------------------------------------------------------


async def test_unreachable_postgres_at_start_fails_start_up_clearly(tmp_path: Any) -> None:
    """Nothing listens on the port: the app must not start (a bridge that starts and then
    answers every request with 503 looks healthy to a process manager)."""
    port = free_port()
    url = f"postgresql://bridge:s3cret-pw@127.0.0.1:{port}/chat"
    app = create_app(
        Settings.from_env(database_url=url, data_dir=tmp_path), responder=ScriptedResponder()
    )
    running = RunningLifespan(app)
    with pytest.raises(Exception) as failure:
        await bounded(running.start(), "start-up against a closed port")
    message = str(failure.value)
    assert str(port) in message and "refused" in message.lower(), message
    assert "s3cret-pw" not in message


async def test_sqlite_path_that_cannot_be_opened_fails_start_up(tmp_path: Any) -> None:
    (tmp_path / "db-is-a-dir").mkdir()
    url = f"sqlite:///{tmp_path}/db-is-a-dir"
    app = create_app(
        Settings.from_env(database_url=url, data_dir=tmp_path), responder=ScriptedResponder()
    )
    with pytest.raises(DatabaseUnavailable, match="unable to open database file") as failure:
        await bounded(RunningLifespan(app).start(), "start-up on a directory")
    assert f"{tmp_path}/db-is-a-dir" in str(failure.value)  # names the file it could not open
    # aiosqlite's worker thread for the failed connection ends a moment later; let it end
    # inside this test's loop rather than after pytest closed the loop.
    await asyncio.sleep(0.2)


# ---- the database goes away mid-request (PostgreSQL behind a proxy we can cut) ---------------


class Gate:
    """A responder whose answer waits at a gate, so a test can cut the database meanwhile."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.open = asyncio.Event()

    async def respond(self, turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        events = stream_text(turn, ["half ", "way"])
        async for event in events:
            if event.type == "thread.item.done":
                self.reached.set()
                await self.open.wait()
            yield event


@pytest.fixture
async def proxied(db_url: str) -> AsyncIterator[tuple[str, CuttableProxy]]:
    """The test's PostgreSQL database reached through a proxy that can be cut."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the proxy fronts PostgreSQL")
    require_postgres()
    target = make_url(db_url)
    proxy = CuttableProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    try:
        url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        yield url, proxy
    finally:
        await proxy.stop()


async def test_database_gone_before_a_request_is_503_json_then_recovers(
    rel_make_app: MakeApp, rel_client: Any, proxied: tuple[str, CuttableProxy]
) -> None:
    url, proxy = proxied
    app = await rel_make_app(database_url=url)
    http = rel_client(app)
    _, events = await _create(http, "first")
    thread_id = events[0]["thread"]["id"]
    before = await _consistent(app)

    proxy.cut()
    for op, params in (
        ("threads.list", {}),
        ("threads.create", {"input": _message("lost")}),
        ("threads.add_user_message", {"thread_id": thread_id, "input": _message("lost")}),
    ):
        response = await _post(http, op, **params)
        assert response.status_code == 503, (op, response.status_code, response.text)
        assert assert_error_json(response)["code"] == "database_unavailable"
    health = await bounded(http.get("/healthz"))
    assert health.status_code == 503 and health.json()["status"] == "degraded", health.text

    proxy.restore()
    assert (await bounded(http.get("/healthz"))).status_code == 200
    assert await _consistent(app) == before  # nothing half-made while it was down
    await _next_works(http, thread_id, None)


async def test_lease_release_failing_after_database_loss_mid_stream_raised_and_kept_thread_busy(
    rel_make_app: MakeApp, rel_client: Any, proxied: tuple[str, CuttableProxy]
) -> None:
    url, proxy = proxied
    gate = Gate()
    app = await rel_make_app(database_url=url, responder=gate)
    http = rel_client(app)

    async def cut_at_gate() -> None:
        await gate.reached.wait()
        proxy.cut()
        gate.open.set()

    cutter = asyncio.create_task(cut_at_gate())
    response = await _post(http, "threads.create", input=_message("hello"))
    await cutter
    assert response.status_code == 200, response.text
    events = parse_sse(response.text)
    kinds = item_types(events)
    assert kinds[:3] == ["thread.created", "done:user_message", "stream_options"], kinds
    assert kinds[-1] == "error", kinds
    assert "done:assistant_message" not in kinds
    thread_id = events[0]["thread"]["id"]

    proxy.restore()
    store = store_of(app)
    await wait_released(store, thread_id)
    stored = await _consistent(app)
    assert [t for _, t in stored[thread_id]] == ["user_message"], stored
    app.state.services.responder = ScriptedResponder()
    await _next_works(http, thread_id, None)
