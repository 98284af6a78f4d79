"""Limits on how often and how much one user may send: a rate limiter and a bounded body read."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping

from starlette.requests import Request

from bridge.errors import BadRequest, PayloadTooLarge, RateLimited, UnsupportedMediaType
from bridge.mediatypes import InvalidMediaType, parse_media_type


class RateLimiter:
    """Per-user token bucket: bursts up to `per_minute`, refilled at `per_minute` a minute.

    State lives in this process's memory: with several workers each allows `per_minute`, and a
    restart forgets everything. `per_minute=0` turns the limiter off.
    """

    # Past this many users, forget the ones whose bucket is full again (they lose nothing).
    _PRUNE_AT = 10_000

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 0:
            raise ValueError("RATE_LIMIT_PER_MINUTE must be >= 0")
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # user -> (tokens, updated at)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RateLimiter:
        """A limiter from `RATE_LIMIT_PER_MINUTE` (default 60; 0 = off)."""
        env = os.environ if environ is None else environ
        raw = env.get("RATE_LIMIT_PER_MINUTE", "").strip() or "60"
        try:
            return cls(int(raw))
        except ValueError:
            raise ValueError(f"RATE_LIMIT_PER_MINUTE must be a whole number, got {raw!r}") from None

    def check(self, user_id: str) -> None:
        """Count one request for `user_id`, or raise RateLimited with the seconds to wait."""
        if self.per_minute == 0:
            return
        now = self._clock()
        rate = self.per_minute / 60.0
        tokens, updated = self._buckets.get(user_id, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - updated) * rate)
        if tokens < 1.0:
            self._buckets[user_id] = (tokens, now)
            # The epsilon keeps float dust (20.000000001 s) from adding a whole second.
            retry_after = max(1, math.ceil((1.0 - tokens) / rate - 1e-6))
            raise RateLimited(
                f"too many requests: at most {self.per_minute} a minute; retry in {retry_after} s",
                retry_after=retry_after,
            )
        self._buckets[user_id] = (tokens - 1.0, now)
        if len(self._buckets) > self._PRUNE_AT:
            self._prune(now, rate)

    def _prune(self, now: float, rate: float) -> None:
        full = float(self.per_minute)
        self._buckets = {
            user: (tokens, updated)
            for user, (tokens, updated) in self._buckets.items()
            if tokens + (now - updated) * rate < full
        }


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or PayloadTooLarge once it passes `limit` bytes.

    Content-Length is checked first so an honest client is refused before it uploads; the
    bytes are then counted as they arrive, because the header can lie (or be absent when
    chunked). Parse the returned bytes: the request's own `body()` cannot be read again.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise BadRequest(f"invalid Content-Length {declared!r}") from None
        if length > limit:
            raise PayloadTooLarge(f"request body is {length} bytes; the limit is {limit} bytes")
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise PayloadTooLarge(f"request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def require_json(request: Request) -> None:
    """UnsupportedMediaType unless the request says its body is JSON.

    A page on another origin can send a form (`text/plain`, urlencoded) or a typeless body
    without a CORS preflight, but never `application/json`: requiring it stops cross-site
    requests to a bridge that has no auth (issue 15, CSRF).
    """
    declared = request.headers.get("content-type")
    try:
        essence = parse_media_type(declared).essence if declared else None
    except InvalidMediaType:
        essence = None
    if essence != "application/json" and not (essence or "").endswith("+json"):
        raise UnsupportedMediaType(
            f"send the body as JSON with Content-Type: application/json (got {declared!r})"
        )


async def read_json_body(request: Request, limit: int) -> bytes:
    """`read_body` of a request that must declare a JSON body (see `require_json`)."""
    require_json(request)
    return await read_body(request, limit)
