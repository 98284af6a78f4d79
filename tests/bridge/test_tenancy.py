"""Tenancy: another user's thread, item or attachment answers 404 as if it did not exist,
and nothing changes. Also CORS on a real stream, and the 413 and 429 limits."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest

from bridge.actions import ActionRegistry
from bridge.auth import AuthSettings, JWTAuthenticator
from bridge.limits import RateLimiter

from ..wire import parse_sse, user_input

SECRET = "t" * 40


def headers(user: str) -> dict[str, str]:
    token = jwt.encode({"sub": user, "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")
    return {"Authorization": f"Bearer {token}", "chatkit-frame-instance-id": "f"}


async def op(client: httpx.AsyncClient, user: str, op_type: str, **params: Any) -> httpx.Response:
    return await client.post(
        "/chatkit", json={"type": op_type, "params": params}, headers=headers(user)
    )


def _actions() -> ActionRegistry:
    registry = ActionRegistry()

    @registry.sync("noop")
    async def noop(ctx: Any, action: Any, sender: Any) -> None:
        return None

    @registry.stream("noop")
    async def noop_stream(ctx: Any, action: Any, sender: Any) -> Any:
        if False:
            yield None

    return registry


@pytest.fixture
async def two_users(make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient]) -> Any:
    app = await make_app(
        authenticator=JWTAuthenticator(AuthSettings(jwt_secret=SECRET)), actions=_actions()
    )
    async with connect(app) as client:
        yield client


async def _alice_world(client: httpx.AsyncClient) -> dict[str, Any]:
    created = await op(client, "alice", "threads.create", input=user_input("alice's secret"))
    events = parse_sse(created.text)
    thread_id = events[0]["thread"]["id"]
    user_item = events[1]["item"]["id"]
    attachment = (
        await op(
            client, "alice", "attachments.create", name="a.txt", size=3, mime_type="text/plain"
        )
    ).json()
    upload = await client.put(attachment["upload_descriptor"]["url"], content=b"abc")
    assert upload.status_code == 200, upload.text
    return {"thread": thread_id, "item": user_item, "attachment": attachment["id"]}


async def _snapshot(client: httpx.AsyncClient, world: dict[str, Any]) -> Any:
    thread = (await op(client, "alice", "threads.get_by_id", thread_id=world["thread"])).json()
    listed = (await op(client, "alice", "threads.list")).json()
    return thread, listed


async def test_every_op_of_another_user_is_a_404_and_changes_nothing(
    two_users: httpx.AsyncClient,
) -> None:
    client = two_users
    world = await _alice_world(client)
    before = await _snapshot(client, world)
    t, i, a = world["thread"], world["item"], world["attachment"]
    action = {"type": "noop", "payload": {}}
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("threads.get_by_id", {"thread_id": t}),
        ("threads.update", {"thread_id": t, "title": "pwned"}),
        ("threads.delete", {"thread_id": t}),
        ("items.list", {"thread_id": t}),
        ("items.feedback", {"thread_id": t, "item_ids": [i], "kind": "negative"}),
        ("threads.add_user_message", {"thread_id": t, "input": user_input("hi")}),
        ("threads.retry_after_item", {"thread_id": t, "item_id": i}),
        ("threads.custom_action", {"thread_id": t, "action": action}),
        ("threads.sync_custom_action", {"thread_id": t, "action": action}),
        ("threads.add_client_tool_output", {"thread_id": t, "result": 1}),
        ("threads.add_structured_input", {"thread_id": t, "item_id": i, "input": {}}),
        ("attachments.delete", {"attachment_id": a}),
        ("threads.create", {"input": user_input("steal", attachments=[a])}),
    ]
    for kind, params in attempts:
        response = await op(client, "bob", kind, **params)
        assert response.status_code == 404, (kind, response.status_code, response.text)
        assert response.headers["content-type"] == "application/json", kind
        assert response.json()["error"]["code"].endswith("_not_found"), kind

    assert (await op(client, "bob", "threads.list")).json()["data"] == []
    assert await _snapshot(client, world) == before
    assert (await op(client, "alice", "threads.list")).json()["data"][0][
        "title"
    ] == "alice's secret"


async def test_attachment_content_is_served_only_with_its_owners_token(
    two_users: httpx.AsyncClient,
) -> None:
    client = two_users
    image = (
        await op(client, "alice", "attachments.create", name="p.png", size=4, mime_type="image/png")
    ).json()
    assert (
        await client.put(image["upload_descriptor"]["url"], content=b"\x89PNG")
    ).status_code == 200
    preview = image["preview_url"]
    assert preview.startswith("http://bridge.test/chatkit/attachments/")
    ok = await client.get(preview)
    assert ok.status_code == 200 and ok.content == b"\x89PNG"
    assert ok.headers["content-type"] == "image/png"
    base, _, token = preview.partition("?token=")
    # Tokens are sealed (issue 15): a forgery is a token with any character changed.
    middle = len(token) // 2
    forged = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    for url in (base, f"{base}?token={forged}", f"{base}?token=alice.{'0' * 32}"):
        denied = await client.get(url)
        assert denied.status_code == 401, url


async def test_cors_preflight_and_headers_on_a_real_stream(
    make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient]
) -> None:
    app = await make_app(cors_origins=("https://app.example",))
    async with connect(app) as client:
        preflight = await client.options(
            "/chatkit",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": (
                    "content-type, authorization, chatkit-frame-instance-id, accept-language"
                ),
            },
        )
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        allowed = preflight.headers["access-control-allow-headers"].lower()
        for header in (
            "content-type",
            "authorization",
            "chatkit-frame-instance-id",
            "accept-language",
        ):
            assert header in allowed
        stranger = await client.options(
            "/chatkit",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert stranger.status_code == 400
        assert "access-control-allow-origin" not in stranger.headers

        streamed = await client.post(
            "/chatkit",
            json={"type": "threads.create", "params": {"input": user_input("hi")}},
            headers={"Origin": "https://app.example"},
        )
        assert streamed.headers["content-type"].startswith("text/event-stream")
        assert streamed.headers["access-control-allow-origin"] == "https://app.example"
        assert parse_sse(streamed.text)[0]["type"] == "thread.created"


async def test_body_over_the_limit_is_413_and_creates_nothing(
    make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient]
) -> None:
    app = await make_app(max_body_bytes=2_000, max_message_chars=100)
    async with connect(app) as client:
        big = await client.post(
            "/chatkit",
            json={"type": "threads.create", "params": {"input": user_input("x" * 5_000)}},
        )
        assert big.status_code == 413
        assert "limit" in big.json()["error"]["message"]
        long = await client.post(
            "/chatkit", json={"type": "threads.create", "params": {"input": user_input("y" * 500)}}
        )
        assert long.status_code == 413
        assert long.json()["error"]["code"] == "message_too_long"
        listed = await client.post("/chatkit", json={"type": "threads.list", "params": {}})
        assert listed.json()["data"] == []


async def test_rate_limit_is_429_with_retry_after(
    make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient]
) -> None:
    app = await make_app(limiter=RateLimiter(2))
    async with connect(app) as client:
        statuses = []
        for _ in range(3):
            response = await client.post("/chatkit", json={"type": "threads.list", "params": {}})
            statuses.append(response.status_code)
        assert statuses == [200, 200, 429]
        assert int(response.headers["retry-after"]) >= 1
        assert response.json()["error"]["code"] == "rate_limited"
