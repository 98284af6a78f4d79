"""Bug (issue 15, low): `/api/tasks` answered client mistakes with 500 (11 of 43 tried).

The PATCH body was splatted into keyword arguments (`{"task_id": 5}` collided with the path's
id), values were not type-checked (`{"title": 1}`, `{"due_date": 5}`), a lone surrogate reached
the database, `²` passed `isdigit()`, a 23-digit id overflowed the column and a 100k-deep body
overflowed the JSON parser's recursion. Fix: bodies validated by models, ids by their range.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bridge.todo.todo_app import TodoApp

JSON = {"content-type": "application/json"}


@pytest.fixture
async def http(make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient]) -> Any:
    app = await make_app(app=TodoApp())
    async with connect(app) as client:
        created = await client.post("/api/tasks", json={"title": "first"})
        assert created.status_code == 201
        yield client


DEEP = b'{"title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        pytest.param("PATCH", "/api/tasks/1", b'{"task_id": 5}', 400, id="patch-task-id"),
        pytest.param("PATCH", "/api/tasks/1", b'{"self": 5}', 400, id="patch-self"),
        pytest.param("POST", "/api/tasks", b'{"title": 1}', 400, id="title-number"),
        pytest.param("PATCH", "/api/tasks/1", b'{"title": 1}', 400, id="patch-title-number"),
        pytest.param("POST", "/api/tasks", b'{"title": "x", "due_date": 5}', 400, id="due-number"),
        pytest.param("PATCH", "/api/tasks/1", b'{"due_date": 5}', 400, id="patch-due-number"),
        pytest.param("PATCH", "/api/tasks/1", b'{"completed": "yes"}', 400, id="completed-str"),
        pytest.param("PATCH", "/api/tasks/1", b'{"description": []}', 400, id="description-list"),
        pytest.param("POST", "/api/tasks", b'{"title": "a\\ud800b"}', 400, id="lone-surrogate"),
        pytest.param("PATCH", "/api/tasks/1", b'{"title": "\\udfff"}', 400, id="patch-surrogate"),
        pytest.param("POST", "/api/tasks", b'{"title": "a\\u0000b"}', 400, id="nul-in-title"),
        pytest.param("GET", "/api/tasks/\u00b2", None, 400, id="superscript-two"),
        pytest.param("GET", "/api/tasks/\u0663", None, 400, id="arabic-digit"),
        pytest.param("GET", "/api/tasks/" + "9" * 23, None, 404, id="23-digit-id"),
        pytest.param("PATCH", "/api/tasks/" + "9" * 23, b'{"title": "x"}', 404, id="patch-23"),
        pytest.param("DELETE", "/api/tasks/" + "9" * 23, None, 404, id="delete-23"),
        pytest.param("POST", "/api/tasks", DEEP, 400, id="100k-deep-body"),
        pytest.param("POST", "/api/tasks", b'{"title": "x"', 400, id="truncated"),
        pytest.param("POST", "/api/tasks", b'"title"', 400, id="a-string"),
        pytest.param("POST", "/api/tasks", b"\xff\xfe", 400, id="not-utf8"),
    ],
)
async def test_api_tasks_client_mistakes_are_4xx_not_500(
    http: httpx.AsyncClient, method: str, path: str, body: bytes | None, status: int
) -> None:
    headers = JSON if body is not None else {}
    response = await http.request(method, path, content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"]
    task = (await http.get("/api/tasks/1")).json()
    assert task["title"] == "first" and task["completed"] is False


async def test_api_tasks_valid_patch_still_works(http: httpx.AsyncClient) -> None:
    patched = await http.patch(
        "/api/tasks/1", json={"title": "second", "due_date": "2026-12-24", "completed": True}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["title"] == "second" and patched.json()["completed"] is True
    cleared = await http.patch("/api/tasks/1", json={"due_date": None, "description": "d"})
    assert cleared.status_code == 200, cleared.text
