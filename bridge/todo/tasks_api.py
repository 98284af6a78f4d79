"""`/api/tasks`: the todo list over REST for the app's own task page, with the bridge's auth.

Bodies are validated by models before anything runs, so every client mistake is a 400 (issue
15: eleven of them were 500s, e.g. `PATCH {"task_id": 5}` splatted into keyword arguments).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from db import TaskNotFound

from ..context import Services
from ..errors import BadRequest
from ..limits import read_json_body
from .tasks import TaskInvalid, TaskService

# Text a task may hold: no NUL (PostgreSQL refuses it; SQLite would keep it) and, through the
# JSON parser, no lone surrogate (no database can store one).
Text = Annotated[StrictStr, Field(pattern=r"^[^\x00]*$")]
# The tasks table's ids are 32-bit on PostgreSQL: a longer number names no task.
MAX_TASK_ID = 2**31 - 1


class TaskCreateBody(BaseModel):
    """`POST /api/tasks`: unknown fields are ignored, as for every client body."""

    title: Text
    description: Text | None = None
    due_date: Text | None = None


class TaskUpdateBody(BaseModel):
    """`PATCH /api/tasks/{id}`: only these fields; null leaves a field as it is."""

    model_config = ConfigDict(extra="forbid")

    title: Text | None = None
    description: Text | None = None
    due_date: Text | None = None
    completed: StrictBool | None = None


Body = TypeVar("Body", bound=BaseModel)


async def _service(services: Services, request: Request) -> TaskService:
    principal = await services.gate.admit(request)
    return TaskService(services.store, principal.user_id)


async def _body(services: Services, request: Request, model: type[Body]) -> Body:
    raw = await read_json_body(request, services.settings.max_body_bytes)
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise _invalid(exc) from None


def _invalid(exc: ValidationError) -> BadRequest:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    kind, where = first["type"], ".".join(str(part) for part in first["loc"])
    if kind == "json_invalid":
        return BadRequest(f"the body is not valid JSON: {first['msg']}", code="invalid_json")
    if kind == "model_type":
        return BadRequest("the body must be a JSON object", code="invalid_request")
    unknown = [str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden"]
    if unknown:
        return TaskInvalid(f"unknown task fields: {sorted(unknown)}")
    if kind == "missing":
        return BadRequest(f"{where} is required", code="invalid_params")
    if kind == "string_pattern_mismatch":
        return BadRequest(f"{where} must not contain NUL characters", code="invalid_params")
    return BadRequest(f"{where}: {first['msg']}", code="invalid_params")


def _task_id(request: Request) -> int:
    raw: str = request.path_params["task_id"]
    # isdigit() is true for "²" and other digits int() refuses: ASCII only.
    if not (raw.isascii() and raw.isdigit()):
        raise BadRequest(f"task id must be a number, got {raw[:40]!r}", code="invalid_params")
    task_id = int(raw)
    if task_id > MAX_TASK_ID:
        raise TaskNotFound(raw[:40])
    return task_id


async def list_or_add(services: Services, request: Request) -> Response:
    """GET: `{"data": [tasks]}` (`?status=open|completed|all`); POST: create a task (201)."""
    tasks = await _service(services, request)
    if request.method == "GET":
        found = await tasks.list(request.query_params.get("status", "all"))
        return JSONResponse({"data": found})
    body = await _body(services, request, TaskCreateBody)
    task = await tasks.add(body.title, body.description, body.due_date)
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
    body = await _body(services, request, TaskUpdateBody)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    return JSONResponse(await tasks.update(task_id, **changes))


def task_routes(guard: Any) -> list[Route]:
    """The REST routes, each wrapped by the app's error guard."""
    return [
        Route("/api/tasks", guard(list_or_add), methods=["GET", "POST"]),
        Route("/api/tasks/{task_id}", guard(one), methods=["GET", "PATCH", "DELETE"]),
    ]
