"""The one door every entry point goes through: who is asking, and may they ask now.

`/chatkit`, direct uploads, attachment upload and preview URLs, session-token issuance and
refresh, the app's routes (`/api/tasks`) and `/mcp` all call `Gate.admit`. It authenticates
(the app's authenticator, or the entry point's own check for signed URLs and session
refreshes) and counts the request in the shared rate limiter: against the user when it
authenticates, against the client address when it does not (so a flood of bad tokens is
limited too). One limiter, one store: every worker counts in the same place.

Round trips (issue 13): a user's request is admitted from permits this worker holds
(bridge/permits.py), so in steady use the gate does not wait for the store; a bridge session
token also needs its retirement read, which runs beside the limiter's take (`asyncio.gather`):
at most one awaited round trip for the gate, never two.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request

from .auth import Principal, check_not_retired, session_jti
from .errors import BridgeError, Unauthorized, Unavailable
from .shared_store import MemoryStore, SharedStore

Check = Callable[[Request], Awaitable[Principal]]


def client_address(request: Request) -> str:
    """The client's address (behind a proxy: run uvicorn with --forwarded-allow-ips)."""
    return request.client.host if request.client is not None else "unknown"


class Gate:
    """Authenticate, then rate-limit, one request."""

    def __init__(self, authenticator: Any, limiter: Any, shared: SharedStore | None = None) -> None:
        self.authenticator = authenticator
        self.limiter = limiter
        self.shared: SharedStore = shared if shared is not None else MemoryStore()

    async def admit(
        self, request: Request, check: Check | None = None, *, files: bool = False
    ) -> Principal:
        """The request's Principal, or Unauthorized / RateLimited.

        `check` replaces the authenticator (signed attachment URLs, session refresh); `files`
        counts the request in the user's attachment-URL budget instead of the main one.
        """
        try:
            return await self._admit(request, check, files)
        except BridgeError:
            raise  # Unauthorized is a PermissionError, an OSError: never a store failure
        except (DBAPIError, RedisError, ConnectionError, TimeoutError) as exc:
            # Fail closed: without its store the gate cannot tell a flood from a user.
            raise Unavailable(
                f"the rate limiter's store is not answering ({type(exc).__name__}); "
                "try again shortly",
                code="limiter_unavailable",
            ) from exc

    async def _admit(self, request: Request, check: Check | None, files: bool) -> Principal:
        try:
            principal = await (check or self.authenticator.authenticate)(request)
        except Unauthorized:
            await self._count_address(request)
            raise
        if session_jti(principal) is None:
            await self._count_user(principal, files)
            return principal
        # A session token a refresh replaced is refused on every route, by every worker; its
        # read and the limiter's take wait together. A retired token is a 401 (counted against
        # the address too), whatever the limiter said.
        retired, counted = await asyncio.gather(
            check_not_retired(principal, self.shared),
            self._count_user(principal, files),
            return_exceptions=True,
        )
        if isinstance(retired, Unauthorized):
            await self._count_address(request)
            raise retired
        for outcome in (retired, counted):
            if isinstance(outcome, BaseException):
                raise outcome
        return principal

    async def _count_user(self, principal: Principal, files: bool) -> None:
        if self.limiter is None:
            return
        if files:
            await self.limiter.check_files(principal.user_id)
        else:
            await self.limiter.check(principal.user_id)

    async def _count_address(self, request: Request) -> None:
        if self.limiter is not None:
            await self.limiter.check_address(client_address(request))
