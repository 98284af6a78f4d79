"""`/api/tasks`: the todo list over REST for the app's own task page, with the bridge's auth."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..context import Services
from ..errors import BadRequest
from ..limits import read_body
from .tasks import TaskService


async def _service(services: Services, request: Request) -> TaskService:
    principal = await services.authenticator.authenticate(request)
    if services.limiter is not None:
        services.limiter.check(principal.user_id)
    return TaskService(services.store, principal.user_id)


async def _json_object(services: Services, request: Request) -> dict[str, Any]:
    body = await read_body(request, services.settings.max_body_bytes)
    try:
        value = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON", code="invalid_json") from None
    if not isinstance(value, dict):
        raise BadRequest("the body must be a JSON object", code="invalid_request")
    return value


def _task_id(request: Request) -> int:
    raw = request.path_params["task_id"]
    if not raw.isdigit():
        raise BadRequest(f"task id must be a number, got {raw!r}", code="invalid_params")
    return int(raw)


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"{key} must be a string", code="invalid_params")
    return value


async def list_or_add(services: Services, request: Request) -> Response:
    """GET: `{"data": [tasks]}` (`?status=open|completed|all`); POST: create a task (201)."""
    tasks = await _service(services, request)
    if request.method == "GET":
        found = await tasks.list(request.query_params.get("status", "all"))
        return JSONResponse({"data": found})
    body = await _json_object(services, request)
    title = _text(body, "title")
    if title is None:
        raise BadRequest("title is required", code="invalid_params")
    task = await tasks.add(title, _text(body, "description"), _text(body, "due_date"))
    return JSONResponse(task, status_code=201)


async def one(services: Services, request: Request) -> Response:
    """GET, PATCH (title, description, due_date, completed) or DELETE one task."""
    tasks = await _service(services, request)
    task_id = _task_id(request)
    if request.method == "GET":
        return JSONResponse(await tasks.get(task_id))
    if request.method == "DELETE":
        await tasks.delete(task_id)
        return Response(status_code=204)
    body = await _json_object(services, request)
    return JSONResponse(await tasks.update(task_id, **body))


def task_routes(guard: Any) -> list[Route]:
    """The REST routes, each wrapped by the app's error guard."""
    return [
        Route("/api/tasks", guard(list_or_add), methods=["GET", "POST"]),
        Route("/api/tasks/{task_id}", guard(one), methods=["GET", "PATCH", "DELETE"]),
    ]
