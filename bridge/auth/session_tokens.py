"""Bridge session tokens: short-lived HS256 tokens a page gets at `POST /chatkit/session` for
its own token, and renews at `POST /chatkit/session/refresh`.

They are verified with no leeway (the bridge's own clock signed them), and a refresh retires
the token it replaces in the shared store, so every worker refuses it from then on (issue 15).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bridge.errors import BridgeError, error_response
from bridge.shared_store import MemoryStore, SharedStore

from .auth_settings import AuthSettings
from .bearer import (
    Authenticator,
    Endpoint,
    Principal,
    _decode,
    _principal,
    _unauthorized,
    bearer_token,
)

SESSION_ISSUER = "chatkit-bridge"
SESSION_AUDIENCE = "chatkit-bridge"
# Session tokens name this key id, so they never reach the JWKS lookup.
SESSION_KID = "chatkit-bridge-session"


def verify_session_token(token: str, settings: AuthSettings) -> Principal:
    """The Principal of a bridge session token (see `issue_session`), or Unauthorized."""
    claims = _decode(
        token,
        settings.session_secret,
        "HS256",
        issuer=SESSION_ISSUER,
        audience=SESSION_AUDIENCE,
        # No leeway: the bridge's own clock set `exp` (AUTH_LEEWAY_SECONDS is for other issuers).
        leeway=0,
    )
    return _principal(claims, "sub")


def session_jti(principal: Principal) -> str | None:
    """The id of the bridge session token `principal` comes from (a refresh may retire it)."""
    claims = principal.claims
    if claims.get("iss") != SESSION_ISSUER or "jti" not in claims:
        return None
    return str(claims["jti"])


async def check_not_retired(principal: Principal, store: SharedStore) -> None:
    """Unauthorized if `principal` comes from a session token a refresh has replaced.

    One store read for a bridge session token (nothing for other tokens): the gate runs it
    beside the rate limiter's take, so together they cost at most one round trip.
    """
    jti = session_jti(principal)
    if jti is not None and await store.is_retired(jti, time.time()):
        raise _unauthorized("session token was replaced by a refresh", "token_retired")


async def issue_session(principal: Principal, settings: AuthSettings) -> dict[str, Any]:
    """A short-lived bridge token for `principal`: `{"client_secret", "expires_at"}`.

    A refreshed token keeps the first sign-in time (`auth_time`), so refreshing cannot extend
    a session past `session_max_age_seconds`.
    """
    now = int(time.time())
    auth_time = now
    if principal.claims.get("iss") == SESSION_ISSUER:
        auth_time = int(principal.claims.get("auth_time", now))
    expires_at = min(
        now + settings.session_ttl_seconds, auth_time + settings.session_max_age_seconds
    )
    if expires_at <= now:
        raise _unauthorized("session too old; sign in again", "token_expired")
    claims = {
        "iss": SESSION_ISSUER,
        "aud": SESSION_AUDIENCE,
        "sub": principal.user_id,
        "iat": now,
        "exp": expires_at,
        "auth_time": auth_time,
        "jti": secrets.token_hex(8),
    }
    token = jwt.encode(claims, settings.session_secret, "HS256", headers={"kid": SESSION_KID})
    return {"client_secret": token, "expires_at": expires_at}


def session_endpoint(
    authenticator: Authenticator, settings: AuthSettings, gate: Any = None
) -> Endpoint:
    """`POST /chatkit/session`: exchange the caller's token for a bridge session token.

    With the app's `gate` the exchange is rate-limited like every other request.
    """

    async def create_session(request: Request) -> Response:
        try:
            if gate is not None:
                principal = await gate.admit(request)
            else:
                principal = await authenticator.authenticate(request)
            return JSONResponse(await issue_session(principal, settings))
        except BridgeError as error:
            return error_response(error)

    return create_session


def session_refresh_endpoint(
    settings: AuthSettings, store: SharedStore | None = None, gate: Any = None
) -> Endpoint:
    """`POST /chatkit/session/refresh`: a valid bridge session token buys a fresh one.

    The token it replaces is retired in `store` (once: a second refresh of it is refused).
    """
    retired: SharedStore = store if store is not None else MemoryStore()

    async def verify(request: Request) -> Principal:
        token = bearer_token(request)
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            raise _unauthorized("malformed token") from None
        if kid != SESSION_KID:
            raise _unauthorized("not a bridge session token")
        principal = verify_session_token(token, settings)
        await check_not_retired(principal, retired)
        return principal

    async def refresh_session(request: Request) -> Response:
        try:
            principal = await (gate.admit(request, verify) if gate else verify(request))
            jti = principal.claims.get("jti")
            exp = float(principal.claims["exp"])
            if jti is not None and not await retired.retire(str(jti), exp):
                raise _unauthorized("session token was replaced by a refresh", "token_retired")
            return JSONResponse(await issue_session(principal, settings))
        except BridgeError as error:
            return error_response(error)

    return refresh_session
