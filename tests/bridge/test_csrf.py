"""Bug (issue 15, medium): CSRF and DNS rebinding on the no-auth default (`make run`).

A page on another origin auto-submitted a `text/plain` form to `/chatkit` and deleted, completed
and renamed the local user's tasks (`/api/tasks` likewise); any `Host` was accepted (DNS
rebinding) and `/mcp` turned its own rebinding protection off.
Fix: JSON endpoints require a JSON content type; without auth, a request whose `Origin` is not
an allowed origin (CORS_ORIGINS or the bridge's own) or whose `Host` is not a loopback name or
the configured public host is refused (403); MCP's own protection is on.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bridge.auth import LocalAuthenticator
from bridge.todo.todo_app import TodoApp

from ..conftest import Connect
from .support import MCP_HEADERS, MCP_INIT

JSON = {"content-type": "application/json", "chatkit-frame-instance-id": "f"}


async def _local_app(make_app: Any, **settings: Any) -> Starlette:
    # The todo app: its /api/tasks and /mcp are behind the same guards.
    app: Starlette = await make_app(app=TodoApp(), authenticator=LocalAuthenticator(), **settings)
    return app


LOOPBACK = "http://127.0.0.1:8000"  # the Host a local browser sends to `make run`


async def _thread(http: httpx.AsyncClient) -> str:
    body = {"type": "threads.create", "params": {"input": _input("hi")}}
    response = await http.post("/chatkit", json=body, headers=JSON)
    assert response.status_code == 200, response.text
    first = next(line for line in response.text.splitlines() if line.startswith("data: "))
    thread_id: str = json.loads(first[6:])["thread"]["id"]
    return thread_id


def _input(text: str) -> dict[str, Any]:
    return {"content": [{"type": "input_text", "text": text}], "attachments": []}


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param("text/plain", id="text-plain-form"),
        pytest.param("application/x-www-form-urlencoded", id="urlencoded-form"),
        pytest.param(None, id="no-content-type"),
    ],
)
async def test_csrf_chatkit_refuses_a_non_json_body(
    make_app: Any, connect: Connect, content_type: str | None
) -> None:
    app = await _local_app(make_app)
    async with connect(app, base_url=LOOPBACK) as http:
        thread_id = await _thread(http)
        body = json.dumps({"type": "threads.delete", "params": {"thread_id": thread_id}})
        headers = {"content-type": content_type} if content_type else {}
        response = await http.post("/chatkit", content=body, headers=headers)
        assert response.status_code == 415, response.text
        assert response.json()["error"]["code"] == "unsupported_media_type"
        still = await http.post(
            "/chatkit",
            json={"type": "threads.get_by_id", "params": {"thread_id": thread_id}},
            headers=JSON,
        )
        assert still.status_code == 200, still.text


async def test_csrf_api_tasks_refuses_a_text_plain_form(make_app: Any, connect: Connect) -> None:
    app = await _local_app(make_app)
    async with connect(app, base_url=LOOPBACK) as http:
        response = await http.post(
            "/api/tasks", content=b'{"title": "from evil"}', headers={"content-type": "text/plain"}
        )
        assert response.status_code == 415, response.text
        assert (await http.get("/api/tasks")).json()["data"] == []


@pytest.mark.parametrize(
    ("path", "method", "body"),
    [
        pytest.param("/chatkit", "POST", {"type": "threads.list", "params": {}}, id="chatkit"),
        pytest.param("/api/tasks", "POST", {"title": "evil"}, id="api-tasks"),
        pytest.param("/api/tasks", "GET", None, id="api-tasks-get"),
    ],
)
async def test_csrf_foreign_origin_is_refused_without_auth(
    make_app: Any, connect: Connect, path: str, method: str, body: Any
) -> None:
    app = await _local_app(make_app, cors_origins=("https://app.example.com",))
    async with connect(app, base_url=LOOPBACK) as http:
        evil = await http.request(
            method, path, json=body, headers={**JSON, "origin": "https://evil.example"}
        )
        assert evil.status_code == 403, evil.text
        assert evil.json()["error"]["code"] == "origin_not_allowed"
        null = await http.request(method, path, json=body, headers={**JSON, "origin": "null"})
        assert null.status_code == 403
        for origin in ("https://app.example.com", "http://127.0.0.1:8000"):
            allowed = await http.request(
                method, path, json=body, headers={**JSON, "origin": origin}
            )
            assert allowed.status_code in (200, 201), (origin, allowed.text)
        if path == "/api/tasks" and method == "POST":  # the allowed origins' posts, only
            titles = [task["title"] for task in (await http.get("/api/tasks")).json()["data"]]
            assert titles == ["evil", "evil"]


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example"], ids=str
)
async def test_csrf_dns_rebinding_host_is_refused_without_auth(
    make_app: Any, connect: Connect, host: str
) -> None:
    app = await _local_app(make_app)
    async with connect(app, base_url=f"http://{host}") as http:
        for path in ("/api/tasks", "/chatkit/console"):
            response = await http.get(path)
            assert response.status_code == 403, (path, response.text)
            assert response.json()["error"]["code"] == "host_not_allowed"
        response = await http.post("/mcp", json=MCP_INIT, headers=MCP_HEADERS)
        assert response.status_code in (403, 421), response.text


@pytest.mark.parametrize(
    "host", ["localhost:8000", "127.0.0.1", "[::1]:9", "chat.example.com"], ids=str
)
async def test_csrf_loopback_and_public_hosts_are_served(
    make_app: Any, connect: Connect, host: str
) -> None:
    app = await _local_app(make_app, public_url="https://chat.example.com")
    async with connect(app, base_url=f"http://{host}") as http:
        assert (await http.get("/api/tasks")).status_code == 200
        mcp = await http.post("/mcp", json=MCP_INIT, headers=MCP_HEADERS)
        assert mcp.status_code == 200, mcp.text


async def test_csrf_mcp_turns_its_rebinding_protection_on(make_app: Any) -> None:
    app = await _local_app(make_app)
    mcp = app.state.services.app.mcp
    assert mcp.security.enable_dns_rebinding_protection is True
    assert "127.0.0.1:*" in mcp.security.allowed_hosts
