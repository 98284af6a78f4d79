"""Errors a request can end in, and the HTTP status each maps to.

    BridgeError                      the base; carries `code`, `status`, a message
    ├── BadRequest (ValueError)      400  malformed JSON, unknown type, bad params
    │   └── NotConfigured            400  a feature this bridge is not set up for
    ├── Unauthorized (PermissionError) 401  missing, expired or invalid token
    ├── Forbidden (PermissionError)  403  a Host, Origin or client address the no-auth bridge
    │                                     does not serve
    ├── NotFoundError (LookupError)  404  unknown route or record (the store's NotFound too)
    ├── Conflict                     409  the thread is busy with another stream
    ├── PayloadTooLarge              413  body, upload or message past its limit
    ├── UnsupportedMediaType         415  a JSON endpoint sent something other than JSON
    ├── RateLimited                  429  too many requests (with Retry-After)
    ├── UpstreamError                502  a JSON op's call to OpenAI failed (never on streams)
    └── Unavailable                  503  the database does not answer

Before the first byte of a response these become `{"error": {"code", "message"}}` with the
status. After a stream started nothing is raised to the client: the stream sends an `error`
event and closes. A 5xx on a streaming op makes the widget resend the request up to five
times, so every client mistake must map to a 4xx here.
"""

from __future__ import annotations

from typing import Any, get_args

from starlette.responses import Response

from db import NotFound
from schemas import ErrorBody, ErrorCode, ErrorDetail, encode


class BridgeError(Exception):
    """Base of the errors that become a JSON error answer."""

    status: int = 500
    code: str = "internal_error"

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None) -> None:
        """`class Conflict(BridgeError, status=409, code="thread_busy")`: a kind and its answer."""
        super().__init_subclass__()
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details
        self.headers: dict[str, str] = {}


class BadRequest(BridgeError, ValueError, status=400, code="bad_request"):
    """The request is malformed or names something impossible."""


class NotConfigured(BadRequest, code="not_configured"):
    """The request needs a feature this bridge is not configured for."""


class Unauthorized(BridgeError, PermissionError, status=401, code="unauthorized"):
    """No valid credentials."""


class Forbidden(BridgeError, PermissionError, status=403, code="forbidden"):
    """A request the bridge refuses whoever sends it (without auth: a foreign Origin or Host,
    or a client that is not on this machine)."""


class NotFoundError(BridgeError, LookupError, status=404, code="not_found"):
    """Nothing at that route or id (for this user)."""


class Conflict(BridgeError, status=409, code="thread_busy"):
    """The thread is busy."""


class PayloadTooLarge(BridgeError, status=413, code="payload_too_large"):
    """Something is past its size limit."""


class UnsupportedMediaType(BridgeError, status=415, code="unsupported_media_type"):
    """The body is not of the type the endpoint reads (a form posted to a JSON endpoint)."""


class RateLimited(BridgeError, status=429, code="rate_limited"):
    """Too many requests; `retry_after` seconds until the next is allowed."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.headers["Retry-After"] = str(retry_after)


class UpstreamError(BridgeError, status=502, code="upstream_error"):
    """A service the bridge calls for a JSON op (transcription) failed."""


class Unavailable(BridgeError, status=503, code="database_unavailable"):
    """The database does not answer."""


def as_bridge_error(exc: Exception) -> BridgeError | None:
    """The BridgeError an exception stands for, or None if it is a bug (a 500)."""
    if isinstance(exc, BridgeError):
        return exc
    if isinstance(exc, NotFound):
        return NotFoundError(str(exc), code=f"{exc.kind}_not_found")
    return None


def error_response(error: BridgeError) -> Response:
    """The JSON answer of an error: `{"error": {"code", "message"}}` with its status.

    The one writer of error bodies: `/chatkit`, its upload routes, the session endpoints, the
    apps' routes and MCP all answer through it.
    """
    body = ErrorBody(
        error=ErrorDetail(code=error.code, message=error.message, details=error.details)
    )
    return Response(
        encode(body), status_code=error.status, media_type="application/json", headers=error.headers
    )


class TurnFailed(Exception):
    """A failure inside a started stream, reported in-band as an `error` event.

    Raised by responders and action handlers; never becomes an HTTP status. `code` is the
    protocol's (`custom`: the widget shows `message`; `stream.error`: the widget shows its own
    localised text); `reason` is the machine-readable cause, written to the request's log line
    (the protocol's error event has no field for it).
    """

    def __init__(
        self,
        message: str,
        *,
        allow_retry: bool = False,
        reason: str = "turn_failed",
        code: ErrorCode = "custom",
    ) -> None:
        if code not in get_args(ErrorCode):
            raise ValueError(
                f"{code!r} is not a protocol error code ({', '.join(get_args(ErrorCode))}); "
                "put a machine-readable cause in `reason`"
            )
        super().__init__(message)
        self.message = message
        self.allow_retry = allow_retry
        self.reason = reason
        self.code: ErrorCode = code
