"""HTTP routes: `POST /chatkit` and its upload routes, and `GET /healthz`.

Every error before the first byte is mapped once, here, to a JSON 4xx; only a bug (or an
unreachable database) is a 5xx.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schemas import ErrorBody, ErrorDetail, encode

from .context import RequestContext, Services
from .decode import decode_request
from .errors import BadRequest, BridgeError, Unavailable, as_bridge_error
from .handlers import attachments
from .health import healthz
from .limits import read_json_body
from .logs import RequestLog
from .router import ROUTES
from .todo.tasks_api import task_routes

log = logging.getLogger("bridge.request")


def error_response(error: BridgeError) -> Response:
    """The JSON answer of an error: `{"error": {"code", "message"}}` with its status."""
    body = ErrorBody(
        error=ErrorDetail(code=error.code, message=error.message, details=error.details)
    )
    return Response(
        encode(body), status_code=error.status, media_type="application/json", headers=error.headers
    )


def _map(exc: Exception) -> BridgeError | None:
    mapped = as_bridge_error(exc)
    if mapped is None and isinstance(exc, DataError):
        # A value the database refuses (PostgreSQL: a NUL character, a string past its column)
        # is the client's mistake: a 503 would make the widget send it five more times.
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else "invalid value"
        mapped = BadRequest(f"the request has a value the database cannot store: {reason}")
    if mapped is None and isinstance(exc, OperationalError | DBAPIError | ConnectionError):
        mapped = Unavailable("the database is not answering; try again shortly")
    if mapped is None and isinstance(exc, PoolTimeout):
        # Every pooled connection stayed busy for DATABASE_POOL_TIMEOUT seconds.
        mapped = Unavailable("the server is busy; try again shortly")
    return mapped


def _guarded(
    endpoint: Callable[[Services, Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    async def guarded(request: Request) -> Response:
        services: Services = request.app.state.services
        path = request.scope["path"]  # request.url would build a whole URL per request
        record = RequestLog(request.method, path, route=endpoint.__name__)
        if services.settings.metrics:  # counting costs a few microseconds a request
            record.metrics = services.metrics
        request.state.log = record
        try:
            response = await endpoint(services, request)
        except Exception as exc:
            mapped = _map(exc)
            if mapped is None:
                log.exception("unhandled error on %s", path)
                mapped = BridgeError("internal error; see the bridge's log")
            elif mapped.status >= 500:
                log.error("%s: %s", mapped.code, exc)
            record.error = f"{mapped.code}: {mapped.message}"
            response = error_response(mapped)
        record.status = response.status_code
        if not isinstance(response, EventSourceResponse):
            record.emit()  # a stream's line is written when the stream ends
        return response

    return guarded


def _sandboxed(
    endpoint: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """Every answer of an attachment URL, errors included, can never run script (issue 15)."""

    async def sandboxed(request: Request) -> Response:
        response = await endpoint(request)
        response.headers.setdefault("content-security-policy", attachments.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("x-content-type-options", "nosniff")
        return response

    return sandboxed


async def _context(services: Services, request: Request) -> RequestContext:
    principal = await services.gate.admit(request)
    record: RequestLog = request.state.log
    record.user = principal.user_id
    return RequestContext(principal.user_id, services, request, record)


async def chatkit(services: Services, request: Request) -> Response:
    """The one ChatKit endpoint: read, authenticate, decode, dispatch."""
    # Authenticate first, so an anonymous client cannot make the bridge buffer a body.
    ctx = await _context(services, request)
    req = decode_request(await read_json_body(request, services.settings.max_body_bytes))
    ctx.log.op = req.type
    ctx.metadata = req.metadata
    thread_id = getattr(req.params, "thread_id", None)
    if isinstance(thread_id, str):
        ctx.log.thread = thread_id
    return await ROUTES[req.type](ctx, req)


async def direct_upload(services: Services, request: Request) -> Response:
    """Direct attachment upload (the widget's `direct` upload strategy)."""
    return await attachments.direct_upload(await _context(services, request))


def routes(path: str) -> list[Route]:
    """The bridge's routes, with the ChatKit endpoint at `path`."""
    return [
        Route(path, _guarded(chatkit), methods=["POST"]),
        Route(f"{path}/attachments", _guarded(direct_upload), methods=["POST"]),
        Route(
            path + attachments.UPLOAD_PATH,
            _sandboxed(_guarded(attachments.receive_upload)),
            methods=["POST", "PUT"],
        ),
        Route(
            path + attachments.CONTENT_PATH,
            _sandboxed(_guarded(attachments.send_content)),
            methods=["GET"],
        ),
        Route("/healthz", _guarded(healthz), methods=["GET"]),
        *task_routes(_guarded),
    ]
