"""Bearer tokens: the Principal they name, the header they come in, and PyJWT's checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import jwt
from starlette.requests import Request
from starlette.responses import Response

from bridge.errors import Unauthorized

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Principal:
    """The authenticated user: a stable id and the verified token claims."""

    user_id: str
    claims: dict[str, Any] = field(default_factory=dict, hash=False)


class Authenticator(Protocol):
    """Turns a request into a Principal or raises Unauthorized."""

    async def authenticate(self, request: Request) -> Principal: ...


def _unauthorized(message: str, code: str = "invalid_token") -> Unauthorized:
    error = Unauthorized(message, code=code)
    # RFC 6750 3: a 401 for a bearer-protected resource names the scheme.
    challenge = "Bearer" if code == "missing_token" else 'Bearer error="invalid_token"'
    error.headers["WWW-Authenticate"] = challenge
    return error


def bearer_token(request: Request) -> str:
    """The token of `Authorization: Bearer <token>`, or Unauthorized."""
    header = request.headers.get("authorization")
    if not header:
        raise _unauthorized("missing bearer token", "missing_token")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("authorization header is not a bearer token", "missing_token")
    return token.strip()


_REASONS: dict[type[jwt.PyJWTError], str] = {
    jwt.ExpiredSignatureError: "token expired",
    jwt.ImmatureSignatureError: "token not yet valid",
    jwt.InvalidSignatureError: "invalid signature",
    jwt.InvalidIssuerError: "wrong issuer",
    jwt.InvalidAudienceError: "wrong audience",
    jwt.MissingRequiredClaimError: "token has no {error.claim} claim",
    jwt.InvalidAlgorithmError: "algorithm does not match the key",
    jwt.DecodeError: "malformed token",
    jwt.PyJWTError: "invalid token ({error})",
}
"""The reason a 401 gives for each of PyJWT's errors, found along the error's class hierarchy
(an `InvalidSignatureError` is also a `DecodeError`: the nearer class wins)."""


def _rejected(error: jwt.PyJWTError) -> Unauthorized:
    reason = next(_REASONS[kind] for kind in type(error).__mro__ if kind in _REASONS)
    code = "token_expired" if isinstance(error, jwt.ExpiredSignatureError) else "invalid_token"
    return _unauthorized(reason.format(error=error), code)


def _decode(
    token: str, key: Any, algorithm: str, *, verify_aud: bool = True, **checks: Any
) -> dict[str, Any]:
    """PyJWT's decode (`exp` required), its errors turned into Unauthorized with a reason."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            options={"require": ["exp"], "verify_aud": verify_aud},
            **checks,
        )
    except jwt.PyJWTError as exc:
        raise _rejected(exc) from None
    return claims


def _principal(claims: dict[str, Any], user_claim: str) -> Principal:
    names = (user_claim, "id") if user_claim == "sub" else (user_claim,)
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value:
            return Principal(value, claims)
        if isinstance(value, int) and not isinstance(value, bool):
            return Principal(str(value), claims)
    raise _unauthorized(f"token has no user id ({' or '.join(names)} claim)")
