"""Limits on how often and how much a client may send: the rate limiter and bounded body reads."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping

from starlette.requests import Request

from bridge.env import Env
from bridge.errors import BadRequest, PayloadTooLarge, RateLimited, UnsupportedMediaType
from bridge.mediatypes import InvalidMediaType, parse_media_type
from bridge.permits import PermitBatches
from bridge.shared_store import MemoryStore, SharedStore


class RateLimiter:
    """Requests a minute, per user and per client address, counted in a `SharedStore`.

    Each key bursts up to its limit and refills at the limit a minute. Users get
    `per_minute` (`RATE_LIMIT_PER_MINUTE`, default 60) for their requests and as many again
    for attachment URLs (previews load many at once); requests that do not authenticate count
    against their address, `anonymous_per_minute` (`RATE_LIMIT_ANONYMOUS_PER_MINUTE`, default
    30). With the app's store (its database, or Redis) every worker counts in the same place;
    the default `MemoryStore` counts in this process only. 0 turns a limit off.

    A user's requests are admitted from permits this worker takes from the store a few at a
    time (bridge/permits.py), so they do not wait for the store in steady use; requests that
    did not authenticate are counted one by one (they are refused anyway, and a flood of them
    should not hold permits).
    """

    def __init__(
        self,
        per_minute: int,
        *,
        anonymous_per_minute: int | None = None,
        store: SharedStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        anonymous = per_minute if anonymous_per_minute is None else anonymous_per_minute
        if per_minute < 0 or anonymous < 0:
            raise ValueError(
                "RATE_LIMIT_PER_MINUTE and RATE_LIMIT_ANONYMOUS_PER_MINUTE must be >= 0"
            )
        self.per_minute = per_minute
        self.anonymous_per_minute = anonymous
        self.store: SharedStore = store if store is not None else MemoryStore()
        self._clock = clock
        self.permits = PermitBatches(self.store, clock)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, store: SharedStore | None = None
    ) -> RateLimiter:
        """A limiter from `RATE_LIMIT_PER_MINUTE` (60) and `RATE_LIMIT_ANONYMOUS_PER_MINUTE`
        (30); 0 turns one off."""
        env = Env(environ)
        return cls(
            env.whole("RATE_LIMIT_PER_MINUTE", 60),
            anonymous_per_minute=env.whole("RATE_LIMIT_ANONYMOUS_PER_MINUTE", 30),
            store=store,
        )

    async def close(self) -> None:
        """Let the takes in flight finish (before the store closes)."""
        await self.permits.settle()

    async def check(self, user_id: str) -> None:
        """Count one request of `user_id`, or raise RateLimited with the seconds to wait."""
        await self._take(f"user:{user_id}", self.per_minute, "", batched=True)

    async def check_files(self, user_id: str) -> None:
        """Count one request of `user_id` to an attachment URL (upload or preview)."""
        await self._take(f"files:{user_id}", self.per_minute, " to attachment URLs", batched=True)

    async def check_address(self, address: str) -> None:
        """Count one request that did not authenticate, from `address`."""
        await self._take(f"addr:{address}", self.anonymous_per_minute, " without valid auth")

    async def _take(self, key: str, per_minute: int, what: str, *, batched: bool = False) -> None:
        if per_minute == 0:
            return
        if batched:
            wait = await self.permits.take(key, per_minute)
        else:
            wait = await self.store.take(key, per_minute, self._clock())
        if wait > 0:
            # The epsilon keeps float dust (20.000000001 s) from adding a whole second.
            retry_after = max(1, math.ceil(wait - 1e-6))
            raise RateLimited(
                f"too many requests{what}: at most {per_minute} a minute; retry in {retry_after} s",
                retry_after=retry_after,
            )


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
    if declared == "application/json":
        return  # what every widget sends: no need to parse it
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
