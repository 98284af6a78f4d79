"""`/api/tasks` and the MCP tools: the same todo rules, each user sees only their own tasks."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest

from bridge.auth import AuthSettings, JWTAuthenticator

SECRET = "s" * 40


def token(user: str) -> str:
    """An HS256 user token as the app's auth server would sign it."""
    return jwt.encode({"sub": user, "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")


def as_user(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(user)}"}


@pytest.fixture
async def http(make_app: Callable[..., Any]) -> Any:
    app = await make_app(authenticator=JWTAuthenticator(AuthSettings(jwt_secret=SECRET)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bridge.test") as client:
        yield client


async def test_rest_lifecycle(http: httpx.AsyncClient) -> None:
    alice = as_user("alice")
    created = await http.post(
        "/api/tasks", json={"title": " buy  milk ", "due_date": "2026-12-01"}, headers=alice
    )
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["id"] == 1 and task["title"] == "buy milk" and task["due_date"] == "2026-12-01"
    assert task["completed"] is False

    patched = await http.patch("/api/tasks/1", json={"completed": True}, headers=alice)
    assert patched.status_code == 200 and patched.json()["completed"] is True
    listed = (await http.get("/api/tasks?status=completed", headers=alice)).json()["data"]
    assert [t["title"] for t in listed] == ["buy milk"]
    assert (await http.get("/api/tasks?status=open", headers=alice)).json()["data"] == []

    assert (await http.delete("/api/tasks/1", headers=alice)).status_code == 204
    gone = await http.get("/api/tasks/1", headers=alice)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "task_not_found"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        pytest.param("POST", "/api/tasks", {"title": "  "}, 400, "invalid_task", id="empty-title"),
        pytest.param("POST", "/api/tasks", {}, 400, "invalid_params", id="no-title"),
        pytest.param(
            "POST",
            "/api/tasks",
            {"title": "x", "due_date": "soon"},
            400,
            "invalid_task",
            id="bad-date",
        ),
        pytest.param("POST", "/api/tasks", [1], 400, "invalid_request", id="not-object"),
        pytest.param(
            "PATCH", "/api/tasks/1", {"colour": "red"}, 400, "invalid_task", id="unknown-field"
        ),
        pytest.param("PATCH", "/api/tasks/x", {"title": "y"}, 400, "invalid_params", id="bad-id"),
        pytest.param(
            "PATCH", "/api/tasks/99", {"title": "y"}, 404, "task_not_found", id="unknown-id"
        ),
        pytest.param("GET", "/api/tasks?status=maybe", None, 400, "invalid_task", id="bad-status"),
    ],
)
async def test_rest_rejects_bad_input_and_changes_nothing(
    http: httpx.AsyncClient, method: str, path: str, body: Any, status: int, code: str
) -> None:
    alice = as_user("alice")
    await http.post("/api/tasks", json={"title": "keep me"}, headers=alice)
    response = await http.request(method, path, json=body, headers=alice)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    tasks = (await http.get("/api/tasks", headers=alice)).json()["data"]
    assert [(t["id"], t["title"], t["completed"]) for t in tasks] == [(1, "keep me", False)]


async def test_rest_needs_a_token(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/tasks")
    assert response.status_code == 401
    assert response.json()["error"]["message"]


async def test_rest_users_never_see_each_other(http: httpx.AsyncClient) -> None:
    await http.post("/api/tasks", json={"title": "alice's"}, headers=as_user("alice"))
    bob = as_user("bob")
    assert (await http.get("/api/tasks", headers=bob)).json()["data"] == []
    for method, body in (("GET", None), ("PATCH", {"title": "mine"}), ("DELETE", None)):
        response = await http.request(method, "/api/tasks/1", json=body, headers=bob)
        assert response.status_code == 404, (method, response.text)
    mine = (await http.post("/api/tasks", json={"title": "bob's"}, headers=bob)).json()
    assert mine["id"] == 1  # numbered per user
    alice_tasks = (await http.get("/api/tasks", headers=as_user("alice"))).json()["data"]
    assert [t["title"] for t in alice_tasks] == ["alice's"]


async def _mcp(
    http: httpx.AsyncClient, user: str | None, method: str, params: dict[str, Any]
) -> httpx.Response:
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-06-18",
    }
    if user:
        headers.update(as_user(user))
    return await http.post(
        "/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
        headers=headers,
    )


async def _call(http: httpx.AsyncClient, user: str, name: str, **arguments: Any) -> dict[str, Any]:
    response = await _mcp(http, user, "tools/call", {"name": name, "arguments": arguments})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


async def test_mcp_lists_the_todo_tools(http: httpx.AsyncClient) -> None:
    response = await _mcp(http, "alice", "tools/list", {})
    assert response.status_code == 200, response.text
    names = {tool["name"] for tool in response.json()["result"]["tools"]}
    assert names == {"add_task", "list_tasks", "complete_task", "update_task", "delete_task"}


async def test_mcp_tools_share_the_store_and_scope_by_user(http: httpx.AsyncClient) -> None:
    added = await _call(http, "alice", "add_task", title="water plants")
    assert not added.get("isError"), added
    assert json.loads(added["content"][0]["text"])["title"] == "water plants"
    done = await _call(http, "alice", "complete_task", task_id=1)
    assert json.loads(done["content"][0]["text"])["completed"] is True
    rest = (await http.get("/api/tasks", headers=as_user("alice"))).json()["data"]
    assert [(t["title"], t["completed"]) for t in rest] == [("water plants", True)]

    other = await _call(http, "bob", "complete_task", task_id=1)
    assert other["isError"] is True and "not found" in other["content"][0]["text"]
    empty = await _call(http, "bob", "add_task", title="   ")
    assert empty["isError"] is True and "non-empty title" in empty["content"][0]["text"]
    bob_list = await _call(http, "bob", "list_tasks")
    assert not bob_list.get("isError")
    assert all("water plants" not in part.get("text", "") for part in bob_list["content"])


async def test_mcp_needs_a_token(http: httpx.AsyncClient) -> None:
    response = await _mcp(http, None, "tools/list", {})
    assert response.status_code == 401
    assert response.json()["error"]["code"]
