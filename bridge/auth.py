"""Who is asking: bearer JWTs (JWKS or shared secret), bridge session tokens, or one local user.

Modes, picked by `make_authenticator` from `AuthSettings.from_env()`:

- `AUTH_JWKS_URL` (e.g. Better Auth's `/api/auth/jwks`) and/or `AUTH_JWT_SECRET` (HS256):
  every request needs `Authorization: Bearer <jwt>`; `JWTAuthenticator` verifies it.
- neither: `LocalAuthenticator`, everyone is the user `local`, over loopback only (the CLI
  refuses to bind elsewhere, see `check_bind`; a request from elsewhere is refused however
  the app is served, unless BRIDGE_INSECURE_NO_AUTH=1).

The widget's requests are made by the host page, so the page's own auth header reaches us
(widget-facts.md, Transport). Pages that prefer a short-lived bridge token exchange theirs at
`POST /chatkit/session` and renew it at `POST /chatkit/session/refresh`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bridge.env import Env
from bridge.errors import Unauthorized, error_response

log = logging.getLogger(__name__)

SESSION_ISSUER = "chatkit-bridge"
SESSION_AUDIENCE = "chatkit-bridge"
# Session tokens name this key id, so they never reach the JWKS lookup.
SESSION_KID = "chatkit-bridge-session"
LOCAL_USER = "local"

_PROCESS_SECRET = secrets.token_bytes(32)
_JWKS_ALGORITHMS = ("EdDSA", "ES256", "RS256")
_SECRET_ALGORITHMS = ("HS256",)

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Principal:
    """The authenticated user: a stable id and the verified token claims."""

    user_id: str
    claims: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class AuthSettings:
    """How requests are authenticated; `AuthSettings.from_env()` reads the `AUTH_*` variables.

    `session_secret` signs bridge session tokens. Unset (`AUTH_SESSION_SECRET` empty) it is
    32 random bytes made once per process: tokens then die with a restart and are not shared
    between workers, so set it when running more than one process.
    """

    jwks_url: str | None = None
    jwt_secret: str | None = field(default=None, repr=False)
    issuer: str | None = None
    audience: str | None = None
    algorithms: tuple[str, ...] = ()  # empty: the defaults for the configured mode
    user_claim: str = "sub"
    leeway_seconds: int = 30
    session_secret: bytes = field(default=_PROCESS_SECRET, repr=False)
    session_ttl_seconds: int = 900
    session_max_age_seconds: int = 86_400

    def __post_init__(self) -> None:
        if not self.algorithms:
            defaults = (_JWKS_ALGORITHMS if self.jwks_url else ()) + (
                _SECRET_ALGORITHMS if self.jwt_secret else ()
            )
            object.__setattr__(self, "algorithms", defaults)
        self.validate()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AuthSettings:
        """Read the `AUTH_*` variables from `environ` (default: the process environment)."""
        env = Env(environ)
        get, whole = env.text, env.whole
        session_secret = get("AUTH_SESSION_SECRET")
        return cls(
            jwks_url=get("AUTH_JWKS_URL"),
            jwt_secret=get("AUTH_JWT_SECRET"),
            issuer=get("AUTH_ISSUER"),
            audience=get("AUTH_AUDIENCE"),
            algorithms=tuple(
                a.strip() for a in (get("AUTH_ALGORITHMS") or "").split(",") if a.strip()
            ),
            user_claim=get("AUTH_USER_CLAIM") or "sub",
            leeway_seconds=whole("AUTH_LEEWAY_SECONDS", 30),
            session_secret=session_secret.encode() if session_secret else _PROCESS_SECRET,
            session_ttl_seconds=whole("AUTH_SESSION_TTL_SECONDS", 900),
            session_max_age_seconds=whole("AUTH_SESSION_MAX_AGE_SECONDS", 86_400),
        )

    def validate(self) -> None:
        """Refuse settings that cannot work or are unsafe, naming the variable."""
        known = set(jwt.algorithms.get_default_algorithms()) - {"none"}
        for alg in self.algorithms:
            if alg not in known:
                raise ValueError(f"AUTH_ALGORITHMS: {alg!r} is not one of {sorted(known)}")
            if alg.startswith("HS") and not self.jwt_secret:
                raise ValueError(f"AUTH_ALGORITHMS: {alg} needs AUTH_JWT_SECRET")
            if not alg.startswith("HS") and not self.jwks_url:
                raise ValueError(f"AUTH_ALGORITHMS: {alg} needs AUTH_JWKS_URL")
        # RFC 7518 3.2: an HMAC key shorter than the hash is guessable offline.
        if self.jwt_secret is not None and len(self.jwt_secret.encode()) < 32:
            raise ValueError("AUTH_JWT_SECRET must be at least 32 bytes")
        if len(self.session_secret) < 32:
            raise ValueError("AUTH_SESSION_SECRET must be at least 32 bytes")
        if self.leeway_seconds < 0 or self.session_ttl_seconds < 1:
            raise ValueError("AUTH_LEEWAY_SECONDS must be >= 0, AUTH_SESSION_TTL_SECONDS >= 1")

    @property
    def enabled(self) -> bool:
        """Whether requests must carry a token."""
        return bool(self.jwks_url or self.jwt_secret)


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


def verify_session_token(token: str, settings: AuthSettings) -> Principal:
    """The Principal of a bridge session token (see `issue_session`), or Unauthorized."""
    claims = _decode(
        token,
        settings.session_secret,
        "HS256",
        issuer=SESSION_ISSUER,
        audience=SESSION_AUDIENCE,
        leeway=settings.leeway_seconds,
    )
    return _principal(claims, "sub")


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


class JWTAuthenticator:
    """Verifies bearer JWTs against a JWKS and/or a shared secret, and bridge session tokens.

    JWKS keys are cached. A token naming an unknown `kid` triggers a refetch, at most once per
    `refetch_seconds` (`retry_seconds` after a failed fetch), so a rotated key is picked up
    without a restart while a stream of bogus kids cannot hammer the key server.
    """

    def __init__(
        self,
        settings: AuthSettings,
        *,
        refetch_seconds: float = 30.0,
        retry_seconds: float = 5.0,
        fetch_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not settings.enabled:
            raise ValueError("JWTAuthenticator needs AUTH_JWKS_URL or AUTH_JWT_SECRET")
        self.settings = settings
        self._refetch_seconds = refetch_seconds
        self._retry_seconds = retry_seconds
        self._timeout = fetch_timeout
        self._clock = clock
        self._keys: list[tuple[str | None, jwt.PyJWK]] = []
        self._fetched_at: float | None = None
        self._fetch_error: str | None = None
        self._lock = asyncio.Lock()

    async def authenticate(self, request: Request) -> Principal:
        """The Principal of the request's bearer token, or Unauthorized."""
        return await self.verify(bearer_token(request))

    async def verify(self, token: str) -> Principal:
        """The Principal of a token, or Unauthorized with the reason."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _unauthorized("malformed token") from None
        kid, alg = header.get("kid"), header.get("alg")
        if kid == SESSION_KID:
            return verify_session_token(token, self.settings)
        # The allow-list is ours; the header only picks from it (never `none`, never HS* for
        # a JWKS key), which is what stops algorithm confusion.
        if not isinstance(alg, str) or alg not in self.settings.algorithms:
            raise _unauthorized(f"algorithm not allowed: {alg}")
        key: Any
        if alg.startswith("HS"):
            assert self.settings.jwt_secret is not None  # validate() ties HS* to the secret
            key = self.settings.jwt_secret.encode()
        else:
            key = await self._signing_key(kid if isinstance(kid, str) else None, alg)
        claims = _decode(
            token,
            key,
            alg,
            issuer=self.settings.issuer,
            audience=self.settings.audience,
            leeway=self.settings.leeway_seconds,
            # Better Auth sets `aud` by default; with no audience configured, do not check it.
            verify_aud=self.settings.audience is not None,
        )
        return _principal(claims, self.settings.user_claim)

    async def _signing_key(self, kid: str | None, alg: str) -> jwt.PyJWK:
        key = self._find(kid, alg)
        if key is None and self._may_fetch():
            await self._refetch()
            key = self._find(kid, alg)
        if key is not None:
            return key
        if self._fetch_error is not None:
            raise _unauthorized(
                f"could not fetch signing keys: {self._fetch_error}", "auth_unavailable"
            )
        if kid is None:
            raise _unauthorized("token has no key id")
        raise _unauthorized("unknown key id")

    def _find(self, kid: str | None, alg: str) -> jwt.PyJWK | None:
        if kid is not None:
            return next((key for key_id, key in self._keys if key_id == kid), None)
        fitting = [key for _, key in self._keys if key.algorithm_name == alg]
        return fitting[0] if len(fitting) == 1 else None

    def _may_fetch(self) -> bool:
        if self._fetched_at is None:
            return True
        wait = self._retry_seconds if self._fetch_error else self._refetch_seconds
        return self._clock() - self._fetched_at >= wait

    async def _refetch(self) -> None:
        async with self._lock:
            if not self._may_fetch():  # another request fetched while we waited
                return
            self._fetched_at = self._clock()
            try:
                self._keys = await self._fetch()
            except _FetchFailed as exc:
                # Keep the old keys: a key server hiccup must not log everyone out.
                self._fetch_error = str(exc)
                log.warning("JWKS fetch from %s failed: %s", self.settings.jwks_url, exc)
            else:
                self._fetch_error = None

    async def _fetch(self) -> list[tuple[str | None, jwt.PyJWK]]:
        url = self.settings.jwks_url
        assert url is not None  # only asymmetric algorithms get here; validate() needs the URL
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise _FetchFailed(f"{type(exc).__name__} from {url}") from exc
        if response.status_code != 200:
            raise _FetchFailed(f"{url} answered {response.status_code}")
        try:
            document = response.json()
        except ValueError:
            raise _FetchFailed(f"{url} did not answer JSON") from None
        raw_keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(raw_keys, list):
            raise _FetchFailed(f"{url} has no 'keys' list")
        keys: list[tuple[str | None, jwt.PyJWK]] = []
        for raw in raw_keys:
            if not isinstance(raw, dict) or raw.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK(raw)
            except jwt.PyJWTError as exc:  # one odd key (another curve, say) spoils nothing
                log.info("skipping JWKS key %s: %s", raw.get("kid"), exc)
                continue
            kid = raw.get("kid")
            keys.append((kid if isinstance(kid, str) else None, key))
        if not keys:
            raise _FetchFailed(f"{url} has no usable signing keys")
        return keys


class _FetchFailed(Exception):
    """The JWKS could not be fetched or read."""


INSECURE_NO_AUTH = "BRIDGE_INSECURE_NO_AUTH"
"""Set to 1 (the CLI's `--insecure-no-auth`) to serve the local user off loopback too."""


class LocalAuthenticator:
    """No auth configured: every request is the one local user, if it came over loopback.

    The CLI refuses to bind off loopback without auth (`check_bind`); this is the same rule
    however the app is served (`uvicorn --factory`, `uvicorn.run(app, host="0.0.0.0")`): a
    request from another address is refused unless `allow_remote` (BRIDGE_INSECURE_NO_AUTH=1)
    says a proxy in front already authenticates.
    """

    def __init__(self, *, allow_remote: bool = False) -> None:
        self.allow_remote = allow_remote
        self._warned = False

    async def authenticate(self, request: Request) -> Principal:
        """The local user, for a request that came over loopback (or any, if allowed)."""
        client = request.client
        if self.allow_remote or client is None or _is_loopback(client.host):
            return Principal(LOCAL_USER, {})
        if not self._warned:
            self._warned = True
            log.error(
                "refused a request from %s: no authentication is configured, so only loopback "
                "is served. Set AUTH_JWKS_URL or AUTH_JWT_SECRET, or %s=1 if a proxy in front "
                "authenticates.",
                client.host,
                INSECURE_NO_AUTH,
            )
        raise _unauthorized(
            "this bridge has no authentication configured and serves only its own machine",
            code="auth_not_configured",
        )


def make_authenticator(settings: AuthSettings) -> Authenticator:
    """The authenticator for the configured mode."""
    if settings.enabled:
        return JWTAuthenticator(settings)
    return LocalAuthenticator(allow_remote=Env().flag(INSECURE_NO_AUTH))


class InsecureBind(RuntimeError):
    """Refusing to serve a non-loopback address without authentication."""


def _is_loopback(host: str) -> bool:
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a hostname may resolve anywhere
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 on a dual-stack socket
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def check_bind(settings: AuthSettings, host: str, insecure_no_auth: bool) -> str | None:
    """A warning to print for serving `host` without auth, or InsecureBind if that is unsafe."""
    if settings.enabled:
        return None
    if _is_loopback(host):
        return (
            f"No authentication configured: every request on {host} is the user "
            f"'{LOCAL_USER}'. Set AUTH_JWKS_URL or AUTH_JWT_SECRET before exposing the bridge."
        )
    if insecure_no_auth:
        return (
            f"Serving {host} WITHOUT authentication (--insecure-no-auth): anyone who can reach "
            f"it reads and writes every conversation as '{LOCAL_USER}'."
        )
    raise InsecureBind(
        f"Refusing to serve {host} without authentication: anyone who can reach it could read "
        "and write every conversation. Set AUTH_JWKS_URL (e.g. Better Auth's /api/auth/jwks) "
        "or AUTH_JWT_SECRET, bind 127.0.0.1, or pass --insecure-no-auth if a proxy in front "
        "already authenticates."
    )


def session_endpoint(authenticator: Authenticator, settings: AuthSettings) -> Endpoint:
    """`POST /chatkit/session`: exchange the caller's token for a bridge session token."""

    async def create_session(request: Request) -> Response:
        try:
            principal = await authenticator.authenticate(request)
            return JSONResponse(await issue_session(principal, settings))
        except Unauthorized as error:
            return error_response(error)

    return create_session


def session_refresh_endpoint(settings: AuthSettings) -> Endpoint:
    """`POST /chatkit/session/refresh`: a valid bridge session token buys a fresh one."""

    async def refresh_session(request: Request) -> Response:
        try:
            token = bearer_token(request)
            try:
                kid = jwt.get_unverified_header(token).get("kid")
            except jwt.PyJWTError:
                raise _unauthorized("malformed token") from None
            if kid != SESSION_KID:
                raise _unauthorized("not a bridge session token")
            principal = verify_session_token(token, settings)
            return JSONResponse(await issue_session(principal, settings))
        except Unauthorized as error:
            return error_response(error)

    return refresh_session
