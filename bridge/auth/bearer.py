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
    except jwt.ExpiredSignatureError:
        raise _unauthorized("token expired", "token_expired") from None
    except jwt.ImmatureSignatureError:
        raise _unauthorized("token not yet valid") from None
    except jwt.InvalidSignatureError:
        raise _unauthorized("invalid signature") from None
    except jwt.InvalidIssuerError:
        raise _unauthorized("wrong issuer") from None
    except jwt.InvalidAudienceError:
        raise _unauthorized("wrong audience") from None
    except jwt.MissingRequiredClaimError as exc:
        raise _unauthorized(f"token has no {exc.claim} claim") from None
    except jwt.InvalidAlgorithmError:
        raise _unauthorized("algorithm does not match the key") from None
    except jwt.DecodeError:
        raise _unauthorized("malformed token") from None
    except jwt.PyJWTError as exc:
        raise _unauthorized(f"invalid token ({exc})") from None
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
