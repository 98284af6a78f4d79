"""`GET /metrics`: Prometheus text from the prometheus-client library, off unless asked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from bridge.errors import TurnFailed
from bridge.responder import Turn

from ..fakes import ScriptedResponder, text_step
from ..wire import parse_sse, user_input
from .support import serve

TOKEN = "scrape-me-0123456789"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample, keyed by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def scrape(http: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return samples(response.text)


def rate_limited_step(turn: Turn) -> Any:
    async def events() -> Any:
        raise TurnFailed("slow down", allow_retry=True, reason="model_rate_limited")
        yield  # pragma: no cover

    return events()


async def test_off_by_default(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 404


async def test_the_token_guards_it(
    make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient]
) -> None:
    app: Starlette = await make_app(metrics=True, metrics_token=TOKEN)
    async with connect(app) as http:
        missing = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"authorization": "Bearer nope"})
        right = await http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert right.status_code == 200


async def test_open_without_a_token(
    make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient]
) -> None:
    app: Starlette = await make_app(metrics=True)
    async with connect(app) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    assert "chatkit_open_streams 0.0" in response.text


async def test_requests_streams_and_errors_are_counted(
    make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient]
) -> None:
    responder = ScriptedResponder()
    responder.steps = [text_step("Hello", " there"), rate_limited_step]
    app: Starlette = await make_app(responder=responder, metrics=True, metrics_token=TOKEN)
    async with connect(app) as http:
        created = await http.post(
            "/chatkit", json={"type": "threads.create", "params": {"input": user_input("hi")}}
        )
        thread_id = parse_sse(created.text)[0]["thread"]["id"]
        await http.post(
            "/chatkit",
            json={
                "type": "threads.add_user_message",
                "params": {"thread_id": thread_id, "input": user_input("again")},
            },
        )
        await http.post("/chatkit", json={"type": "threads.list", "params": {}})
        await http.post(
            "/chatkit", json={"type": "threads.get_by_id", "params": {"thread_id": "thr_none"}}
        )
        await http.get("/healthz")
        found = await scrape(http)

    assert value(found, "chatkit_requests_total", op="threads.create", status="200") == 1
    assert value(found, "chatkit_requests_total", op="threads.add_user_message", status="200") == 1
    assert value(found, "chatkit_requests_total", op="threads.list", status="200") == 1
    assert value(found, "chatkit_requests_total", op="threads.get_by_id", status="404") == 1
    assert value(found, "chatkit_requests_total", op="healthz", status="200") == 1
    assert value(found, "chatkit_time_to_first_event_seconds_count", op="threads.create") == 1
    assert (
        value(found, "chatkit_time_to_first_event_seconds_count", op="threads.add_user_message")
        == 1
    )
    # Only the first turn said something.
    assert value(found, "chatkit_time_to_first_token_seconds_count", op="threads.create") == 1
    assert (
        value(found, "chatkit_time_to_first_token_seconds_count", op="threads.add_user_message")
        == 0
    )
    assert (
        value(
            found, "chatkit_stream_duration_seconds_count", op="threads.create", outcome="completed"
        )
        == 1
    )
    assert (
        value(
            found,
            "chatkit_stream_duration_seconds_count",
            op="threads.add_user_message",
            outcome="error",
        )
        == 1
    )
    assert value(found, "chatkit_turn_errors_total", reason="model_rate_limited") == 1
    assert value(found, "chatkit_open_streams") == 0
    assert (
        "chatkit_db_pool_connections",
        frozenset({("pool", "main"), ("state", "in_use")}),
    ) in found


async def test_open_streams_while_a_stream_runs(make_app: Callable[..., Any]) -> None:
    responder = ScriptedResponder()
    responder.steps = [text_step(*[f"w{n} " for n in range(30)], delay=0.05)]
    app: Starlette = await make_app(responder=responder, metrics=True, metrics_token=TOKEN)
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as http:
        body = {"type": "threads.create", "params": {"input": user_input("hi")}}
        async with http.stream("POST", "/chatkit", json=body) as response:
            lines = response.aiter_lines()
            while not (await anext(lines)).startswith("data:"):
                pass
            during = await scrape(http)
            async for _ in lines:
                pass
        after = await scrape(http)
    assert value(during, "chatkit_open_streams") == 1
    assert value(after, "chatkit_open_streams") == 0
