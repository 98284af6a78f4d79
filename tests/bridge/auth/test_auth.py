"""bridge.auth: bearer JWTs (JWKS and shared secret), session tokens, local mode, bind checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import socket
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bridge.auth import (
    SESSION_AUDIENCE,
    SESSION_ISSUER,
    SESSION_KID,
    Authenticator,
    AuthSettings,
    InsecureBind,
    JWTAuthenticator,
    LocalAuthenticator,
    Principal,
    check_bind,
    issue_session,
    make_authenticator,
    session_endpoint,
    session_refresh_endpoint,
    verify_session_token,
)
from bridge.errors import BridgeError, Unauthorized

from ...conftest import Connect

ISSUER = "https://app.example"
AUDIENCE = "https://app.example"
SECRET = "s" * 40
SESSION_SECRET = secrets.token_bytes(32)

_TO_JWK: dict[str, Any] = {
    "EdDSA": jwt.algorithms.OKPAlgorithm,
    "ES256": jwt.algorithms.ECAlgorithm,
    "RS256": jwt.algorithms.RSAAlgorithm,
}


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def public_jwk(private_key: Any, alg: str, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = _TO_JWK[alg].to_jwk(private_key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "alg": alg, "use": "sig"}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "iat": now, "exp": now + 300}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: Any, alg: str, kid: str | None = "k1", **overrides: Any) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims(**overrides), key, alg, headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made(header: dict[str, Any], payload: dict[str, Any], hmac_key: bytes | None) -> str:
    """A token built without PyJWT, for the shapes PyJWT refuses to make."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    signature = b""
    if hmac_key is not None:
        signature = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def jwks_settings(url: str, **overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "jwks_url": url,
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "session_secret": SESSION_SECRET,
    }
    values.update(overrides)
    return AuthSettings(**values)


async def reason(authenticator: JWTAuthenticator, token: str) -> str:
    with pytest.raises(Unauthorized) as caught:
        await authenticator.verify(token)
    assert caught.value.status == 401
    return caught.value.message


def session_app(authenticator: Authenticator, settings: AuthSettings) -> Starlette:
    """A minimal app: the session endpoints and one protected route answering the user id."""

    async def whoami(request: Request) -> Response:
        principal = await authenticator.authenticate(request)
        return JSONResponse({"user_id": principal.user_id})

    async def bridge_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BridgeError)
        body = {"error": {"code": exc.code, "message": exc.message}}
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    return Starlette(
        routes=[
            Route("/whoami", whoami),
            Route("/chatkit/session", session_endpoint(authenticator, settings), methods=["POST"]),
            Route("/chatkit/session/refresh", session_refresh_endpoint(settings), methods=["POST"]),
        ],
        exception_handlers={BridgeError: bridge_error},
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- JWKS algorithms -------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "RS256"])
async def test_jwks_token_is_accepted(
    alg: str, auth_signing_keys: dict[str, Any], auth_jwks_server: Any
) -> None:
    key = auth_signing_keys[alg]
    auth_jwks_server.keys = [public_jwk(key, alg, kid=f"{alg}-1")]
    authenticator = JWTAuthenticator(jwks_settings(auth_jwks_server.url))

    principal = await authenticator.verify(sign(key, alg, kid=f"{alg}-1", sub="alice"))

    assert principal.user_id == "alice"
    assert principal.claims["iss"] == ISSUER
    assert auth_jwks_server.hits == 1


async def test_keys_are_cached(auth_signing_keys: dict[str, Any], auth_jwks_server: Any) -> None:
    key = auth_signing_keys["EdDSA"]
    auth_jwks_server.keys = [public_jwk(key, "EdDSA", "k1")]
    authenticator = JWTAuthenticator(jwks_settings(auth_jwks_server.url))

    for user in ("a", "b", "c"):
        assert (await authenticator.verify(sign(key, "EdDSA", sub=user))).user_id == user

    assert auth_jwks_server.hits == 1


async def test_token_without_kid_uses_the_only_key_of_its_algorithm(
    auth_signing_keys: dict[str, Any], auth_jwks_server: Any
) -> None:
    auth_jwks_server.keys = [
        public_jwk(auth_signing_keys[alg], alg, kid=alg) for alg in ("EdDSA", "ES256")
    ]
    authenticator = JWTAuthenticator(jwks_settings(auth_jwks_server.url))

    token = sign(auth_signing_keys["ES256"], "ES256", kid=None)

    assert (await authenticator.verify(token)).user_id == "user-1"


async def test_hs256_shared_secret() -> None:
    authenticator = JWTAuthenticator(
        AuthSettings(jwt_secret=SECRET, issuer=ISSUER, audience=AUDIENCE)
    )

    assert (await authenticator.verify(sign(SECRET, "HS256", sub="bob"))).user_id == "bob"
    assert await reason(authenticator, sign("t" * 40, "HS256")) == "invalid signature"


# --- Rejections ------------------------------------------------------------------------------


@pytest.fixture
def auth_eddsa(
    auth_signing_keys: dict[str, Any], auth_jwks_server: Any
) -> tuple[Any, JWTAuthenticator]:
    """An Ed25519 key published as `k1` and an authenticator trusting that JWKS."""
    key = auth_signing_keys["EdDSA"]
    auth_jwks_server.keys = [public_jwk(key, "EdDSA", "k1")]
    return key, JWTAuthenticator(jwks_settings(auth_jwks_server.url))


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({"exp": int(time.time()) - 120}, "token expired", id="expired"),
        pytest.param({"iss": "https://evil.example"}, "wrong issuer", id="wrong-issuer"),
        pytest.param({"aud": "https://other.example"}, "wrong audience", id="wrong-audience"),
        pytest.param({"exp": None}, "token has no exp claim", id="no-exp"),
        pytest.param({"iss": None}, "token has no iss claim", id="no-iss"),
        pytest.param({"nbf": int(time.time()) + 600}, "token not yet valid", id="not-yet-valid"),
        pytest.param({"sub": None}, "token has no user id (sub or id claim)", id="no-user"),
    ],
)
async def test_bad_claims_are_rejected(
    auth_eddsa: tuple[Any, JWTAuthenticator], overrides: dict[str, Any], expected: str
) -> None:
    key, authenticator = auth_eddsa
    assert await reason(authenticator, sign(key, "EdDSA", **overrides)) == expected


async def test_expiry_within_leeway_is_accepted(auth_eddsa: tuple[Any, JWTAuthenticator]) -> None:
    key, authenticator = auth_eddsa
    token = sign(key, "EdDSA", exp=int(time.time()) - 10)  # default leeway 30 s

    assert (await authenticator.verify(token)).user_id == "user-1"


async def test_alg_none_is_rejected(auth_eddsa: tuple[Any, JWTAuthenticator]) -> None:
    _, authenticator = auth_eddsa
    token = hand_made({"alg": "none", "typ": "JWT", "kid": "k1"}, claims(), None)

    assert await reason(authenticator, token) == "algorithm not allowed: none"


async def test_tampered_payload_fails_the_signature(
    auth_eddsa: tuple[Any, JWTAuthenticator],
) -> None:
    key, authenticator = auth_eddsa
    header, _, signature = sign(key, "EdDSA").split(".")
    forged_payload = _b64(json.dumps(claims(sub="admin")).encode())

    assert (
        await reason(authenticator, f"{header}.{forged_payload}.{signature}") == "invalid signature"
    )


async def test_tampered_signature_is_rejected(auth_eddsa: tuple[Any, JWTAuthenticator]) -> None:
    key, authenticator = auth_eddsa
    header, payload, signature = sign(key, "EdDSA").split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[0] ^= 0xFF

    assert (
        await reason(authenticator, f"{header}.{payload}.{_b64(bytes(raw))}") == "invalid signature"
    )


async def test_hs256_signed_with_the_public_key_is_rejected(
    auth_signing_keys: dict[str, Any], auth_jwks_server: Any
) -> None:
    """Algorithm confusion: the public key used as an HMAC secret must not verify."""
    rsa_key = auth_signing_keys["RS256"]
    auth_jwks_server.keys = [public_jwk(rsa_key, "RS256", "k1")]
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token = hand_made({"alg": "HS256", "typ": "JWT", "kid": "k1"}, claims(), pem)
    authenticator = JWTAuthenticator(jwks_settings(auth_jwks_server.url))

    assert await reason(authenticator, token) == "algorithm not allowed: HS256"
    assert auth_jwks_server.hits == 0  # refused before any key lookup


async def test_hs256_with_public_key_fails_even_when_hs256_is_allowed(
    auth_signing_keys: dict[str, Any], auth_jwks_server: Any
) -> None:
    rsa_key = auth_signing_keys["RS256"]
    auth_jwks_server.keys = [public_jwk(rsa_key, "RS256", "k1")]
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token = hand_made({"alg": "HS256", "typ": "JWT", "kid": "k1"}, claims(), pem)
    authenticator = JWTAuthenticator(jwks_settings(auth_jwks_server.url, jwt_secret=SECRET))

    assert await reason(authenticator, token) == "invalid signature"


async def test_token_algorithm_must_match_the_key(
    auth_signing_keys: dict[str, Any], auth_jwks_server: Any
) -> None:
    auth_jwks_server.keys = [public_jwk(auth_signing_keys["EdDSA"], "EdDSA", "k1")]
    authenticator = JWTAuthenticator(jwks_settings(auth_jwks_server.url))
    token = sign(auth_signing_keys["ES256"], "ES256", kid="k1")

    assert await reason(authenticator, token) == "algorithm does not match the key"


async def test_algorithm_outside_the_configured_list_is_rejected(
    auth_signing_keys: dict[str, Any], auth_jwks_server: Any
) -> None:
    auth_jwks_server.keys = [public_jwk(auth_signing_keys["RS256"], "RS256", "k1")]
    authenticator = JWTAuthenticator(jwks_settings(auth_jwks_server.url, algorithms=("EdDSA",)))

    token = sign(auth_signing_keys["RS256"], "RS256")

    assert await reason(authenticator, token) == "algorithm not allowed: RS256"


async def test_garbage_is_a_malformed_token(auth_eddsa: tuple[Any, JWTAuthenticator]) -> None:
    _, authenticator = auth_eddsa
    assert await reason(authenticator, "not-a-jwt") == "malformed token"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({}, "missing bearer token", id="no-header"),
        pytest.param(
            {"Authorization": "Basic dTpw"},
            "authorization header is not a bearer token",
            id="basic",
        ),
        pytest.param(
            {"Authorization": "Bearer "}, "authorization header is not a bearer token", id="empty"
        ),
    ],
)
async def test_missing_bearer_is_401_json(
    connect: Connect,
    auth_eddsa: tuple[Any, JWTAuthenticator],
    headers: dict[str, str],
    expected: str,
) -> None:
    _, authenticator = auth_eddsa
    async with connect(session_app(authenticator, authenticator.settings)) as http:
        response = await http.get("/whoami", headers=headers)

    assert response.status_code == 401
    assert response.json() == {"error": {"code": "missing_token", "message": expected}}
    assert response.headers["www-authenticate"] == "Bearer"


async def test_valid_bearer_reaches_the_route(
    connect: Connect, auth_eddsa: tuple[Any, JWTAuthenticator]
) -> None:
    key, authenticator = auth_eddsa
    async with connect(session_app(authenticator, authenticator.settings)) as http:
        response = await http.get("/whoami", headers=bearer(sign(key, "EdDSA", sub="carol")))

    assert response.status_code == 200
    assert response.json() == {"user_id": "carol"}


# --- User claim --------------------------------------------------------------------------------


async def test_user_claim_falls_back_to_id() -> None:
    authenticator = JWTAuthenticator(AuthSettings(jwt_secret=SECRET))
    token = sign(SECRET, "HS256", sub=None, iss=None, aud=None, id="better-auth-user")

    assert (await authenticator.verify(token)).user_id == "better-auth-user"


async def test_sub_wins_over_id() -> None:
    authenticator = JWTAuthenticator(AuthSettings(jwt_secret=SECRET))
    token = sign(SECRET, "HS256", sub="from-sub", id="from-id")

    assert (await authenticator.verify(token)).user_id == "from-sub"


async def test_custom_user_claim_has_no_fallback() -> None:
    authenticator = JWTAuthenticator(AuthSettings(jwt_secret=SECRET, user_claim="email"))

    assert (await authenticator.verify(sign(SECRET, "HS256", email="a@x.io"))).user_id == "a@x.io"
    assert (
        await reason(authenticator, sign(SECRET, "HS256", id="u"))
        == "token has no user id (email claim)"
    )


async def test_audience_is_not_checked_when_not_configured() -> None:
    authenticator = JWTAuthenticator(AuthSettings(jwt_secret=SECRET))

    assert (await authenticator.verify(sign(SECRET, "HS256", aud="anything"))).user_id == "user-1"


# --- Key rotation and JWKS failures ------------------------------------------------------------


async def test_rotated_key_is_picked_up_with_rate_limited_refetch(
    auth_signing_keys: dict[str, Any], auth_jwks_server: Any
) -> None:
    old, new = auth_signing_keys["EdDSA"], auth_signing_keys["ES256"]
    auth_jwks_server.keys = [public_jwk(old, "EdDSA", "old")]
    clock = Clock()
    authenticator = JWTAuthenticator(jwks_settings(auth_jwks_server.url), clock=clock)
    assert (await authenticator.verify(sign(old, "EdDSA", kid="old"))).user_id == "user-1"
    assert auth_jwks_server.hits == 1

    auth_jwks_server.keys = [public_jwk(old, "EdDSA", "old"), public_jwk(new, "ES256", "new")]
    clock.now += 10  # within 30 s of the last fetch: no refetch, however many unknown kids
    for _ in range(3):
        assert await reason(authenticator, sign(new, "ES256", kid="new")) == "unknown key id"
    assert auth_jwks_server.hits == 1

    clock.now += 21
    assert (await authenticator.verify(sign(new, "ES256", kid="new"))).user_id == "user-1"
    assert auth_jwks_server.hits == 2
    assert (await authenticator.verify(sign(old, "EdDSA", kid="old"))).user_id == "user-1"
    assert auth_jwks_server.hits == 2


async def test_removed_key_stops_working_after_refetch(
    auth_signing_keys: dict[str, Any], auth_jwks_server: Any
) -> None:
    old, new = auth_signing_keys["EdDSA"], auth_signing_keys["ES256"]
    auth_jwks_server.keys = [public_jwk(old, "EdDSA", "old")]
    clock = Clock()
    authenticator = JWTAuthenticator(jwks_settings(auth_jwks_server.url), clock=clock)
    await authenticator.verify(sign(old, "EdDSA", kid="old"))

    auth_jwks_server.keys = [public_jwk(new, "ES256", "new")]
    clock.now += 31
    await authenticator.verify(sign(new, "ES256", kid="new"))

    assert await reason(authenticator, sign(old, "EdDSA", kid="old")) == "unknown key id"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_unreachable_jwks_is_401(auth_signing_keys: dict[str, Any]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/jwks"
    authenticator = JWTAuthenticator(jwks_settings(url), fetch_timeout=2.0)

    with pytest.raises(Unauthorized) as caught:
        await authenticator.verify(sign(auth_signing_keys["EdDSA"], "EdDSA"))

    assert caught.value.status == 401
    assert caught.value.code == "auth_unavailable"
    assert caught.value.message == f"could not fetch signing keys: ConnectError from {url}"


async def test_jwks_error_is_401_then_recovers(
    auth_signing_keys: dict[str, Any], auth_jwks_server: Any
) -> None:
    key = auth_signing_keys["EdDSA"]
    auth_jwks_server.keys = [public_jwk(key, "EdDSA", "k1")]
    auth_jwks_server.status = 500
    clock = Clock()
    authenticator = JWTAuthenticator(jwks_settings(auth_jwks_server.url), clock=clock)

    message = await reason(authenticator, sign(key, "EdDSA"))
    assert message == f"could not fetch signing keys: {auth_jwks_server.url} answered 500"

    auth_jwks_server.status = 200
    clock.now += 2  # a failed fetch is retried after 5 s, not 30 s
    assert await reason(authenticator, sign(key, "EdDSA")) == message
    assert auth_jwks_server.hits == 1

    clock.now += 4
    assert (await authenticator.verify(sign(key, "EdDSA"))).user_id == "user-1"
    assert auth_jwks_server.hits == 2


async def test_jwks_outage_keeps_cached_keys(
    auth_signing_keys: dict[str, Any], auth_jwks_server: Any
) -> None:
    key = auth_signing_keys["EdDSA"]
    auth_jwks_server.keys = [public_jwk(key, "EdDSA", "k1")]
    clock = Clock()
    authenticator = JWTAuthenticator(jwks_settings(auth_jwks_server.url), clock=clock)
    await authenticator.verify(sign(key, "EdDSA"))

    auth_jwks_server.status = 503
    clock.now += 31
    with pytest.raises(Unauthorized):
        await authenticator.verify(sign(key, "EdDSA", kid="unknown"))

    assert (await authenticator.verify(sign(key, "EdDSA"))).user_id == "user-1"


async def test_jwks_with_unusable_keys_only(
    auth_jwks_server: Any, auth_signing_keys: dict[str, Any]
) -> None:
    auth_jwks_server.keys = [{"kty": "OKP", "crv": "X25519", "x": "AAAA", "kid": "k1"}]
    authenticator = JWTAuthenticator(jwks_settings(auth_jwks_server.url))

    message = await reason(authenticator, sign(auth_signing_keys["EdDSA"], "EdDSA"))

    assert (
        message
        == f"could not fetch signing keys: {auth_jwks_server.url} has no usable signing keys"
    )


# --- Session tokens ----------------------------------------------------------------------------


async def test_issued_session_token_is_verified_by_the_authenticator(
    auth_eddsa: tuple[Any, JWTAuthenticator],
) -> None:
    _, authenticator = auth_eddsa
    before = int(time.time())

    session = await issue_session(Principal("dave", {}), authenticator.settings)

    assert before + 900 <= session["expires_at"] <= int(time.time()) + 900
    header = jwt.get_unverified_header(session["client_secret"])
    assert header == {"alg": "HS256", "kid": SESSION_KID, "typ": "JWT"}
    principal = await authenticator.verify(session["client_secret"])
    assert principal.user_id == "dave"
    assert principal.claims["iss"] == SESSION_ISSUER
    assert principal.claims["exp"] == session["expires_at"]


async def test_session_token_signed_with_another_secret_is_rejected(
    auth_eddsa: tuple[Any, JWTAuthenticator],
) -> None:
    _, authenticator = auth_eddsa
    other = AuthSettings(jwt_secret=SECRET, session_secret=secrets.token_bytes(32))
    session = await issue_session(Principal("eve", {}), other)

    assert await reason(authenticator, session["client_secret"]) == "invalid signature"


async def test_expired_session_token_is_rejected(auth_eddsa: tuple[Any, JWTAuthenticator]) -> None:
    _, authenticator = auth_eddsa
    past = int(time.time()) - 600
    token = jwt.encode(
        {"iss": SESSION_ISSUER, "aud": SESSION_AUDIENCE, "sub": "x", "exp": past},
        SESSION_SECRET,
        "HS256",
        headers={"kid": SESSION_KID},
    )

    assert await reason(authenticator, token) == "token expired"


async def test_session_exchange_refresh_and_use(
    connect: Connect, auth_eddsa: tuple[Any, JWTAuthenticator]
) -> None:
    key, authenticator = auth_eddsa
    async with connect(session_app(authenticator, authenticator.settings)) as http:
        created = await http.post("/chatkit/session", headers=bearer(sign(key, "EdDSA", sub="fay")))
        assert created.status_code == 200
        first = created.json()
        assert set(first) == {"client_secret", "expires_at"}

        used = await http.get("/whoami", headers=bearer(first["client_secret"]))
        assert used.json() == {"user_id": "fay"}

        refreshed = await http.post(
            "/chatkit/session/refresh", headers=bearer(first["client_secret"])
        )
        assert refreshed.status_code == 200
        second = refreshed.json()

    assert second["client_secret"] != first["client_secret"]
    old = verify_session_token(first["client_secret"], authenticator.settings)
    new = verify_session_token(second["client_secret"], authenticator.settings)
    assert new.user_id == "fay"
    assert new.claims["auth_time"] == old.claims["auth_time"]
    assert new.claims["jti"] != old.claims["jti"]


async def test_session_needs_a_valid_user_token(
    connect: Connect, auth_eddsa: tuple[Any, JWTAuthenticator]
) -> None:
    key, authenticator = auth_eddsa
    async with connect(session_app(authenticator, authenticator.settings)) as http:
        expired = sign(key, "EdDSA", exp=int(time.time()) - 600)
        response = await http.post("/chatkit/session", headers=bearer(expired))

    assert response.status_code == 401
    assert response.json() == {"error": {"code": "token_expired", "message": "token expired"}}
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_refresh_refuses_a_user_token(
    connect: Connect, auth_eddsa: tuple[Any, JWTAuthenticator]
) -> None:
    key, authenticator = auth_eddsa
    async with connect(session_app(authenticator, authenticator.settings)) as http:
        response = await http.post("/chatkit/session/refresh", headers=bearer(sign(key, "EdDSA")))
        missing = await http.post("/chatkit/session/refresh")

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "not a bridge session token"
    assert missing.status_code == 401
    assert missing.json()["error"]["message"] == "missing bearer token"


async def test_refresh_cannot_outlive_the_max_age() -> None:
    settings = AuthSettings(
        jwt_secret=SECRET, session_secret=SESSION_SECRET, session_max_age_seconds=3600
    )
    now = int(time.time())
    near_end = Principal("gus", {"iss": SESSION_ISSUER, "auth_time": now - 3500})
    session = await issue_session(near_end, settings)
    assert session["expires_at"] == (now - 3500) + 3600  # capped by the first sign-in

    too_old = Principal("gus", {"iss": SESSION_ISSUER, "auth_time": now - 3600})
    with pytest.raises(Unauthorized) as caught:
        await issue_session(too_old, settings)
    assert caught.value.message == "session too old; sign in again"


async def test_upstream_auth_time_does_not_limit_a_new_session() -> None:
    settings = AuthSettings(
        jwt_secret=SECRET, session_secret=SESSION_SECRET, session_max_age_seconds=3600
    )
    principal = Principal("hal", {"iss": ISSUER, "auth_time": int(time.time()) - 10 * 86400})

    session = await issue_session(principal, settings)

    assert session["expires_at"] >= int(time.time()) + 899


# --- Local mode and mode selection -------------------------------------------------------------


async def test_local_mode_is_one_user_and_can_issue_sessions(connect: Connect) -> None:
    settings = AuthSettings(session_secret=SESSION_SECRET)
    authenticator = make_authenticator(settings)
    assert isinstance(authenticator, LocalAuthenticator)

    async with connect(session_app(authenticator, settings)) as http:
        assert (await http.get("/whoami")).json() == {"user_id": "local"}
        assert (await http.get("/whoami", headers=bearer("whatever"))).json() == {
            "user_id": "local"
        }
        session = (await http.post("/chatkit/session")).json()

    assert verify_session_token(session["client_secret"], settings).user_id == "local"


def test_make_authenticator_picks_jwt_when_configured() -> None:
    assert isinstance(make_authenticator(AuthSettings(jwt_secret=SECRET)), JWTAuthenticator)
    assert isinstance(make_authenticator(AuthSettings(jwks_url="http://x/jwks")), JWTAuthenticator)


# --- Settings ----------------------------------------------------------------------------------


def test_from_env_defaults_per_mode() -> None:
    jwks = AuthSettings.from_env({"AUTH_JWKS_URL": "http://idp/jwks"})
    secret = AuthSettings.from_env({"AUTH_JWT_SECRET": SECRET})
    both = AuthSettings.from_env({"AUTH_JWKS_URL": "http://idp/jwks", "AUTH_JWT_SECRET": SECRET})
    local = AuthSettings.from_env({})

    assert jwks.algorithms == ("EdDSA", "ES256", "RS256")
    assert secret.algorithms == ("HS256",)
    assert both.algorithms == ("EdDSA", "ES256", "RS256", "HS256")
    assert local.algorithms == () and not local.enabled
    assert (jwks.user_claim, jwks.leeway_seconds, jwks.session_ttl_seconds) == ("sub", 30, 900)
    # No AUTH_SESSION_SECRET: one random secret for the whole process.
    assert len(jwks.session_secret) == 32 and jwks.session_secret == local.session_secret


def test_from_env_reads_every_variable() -> None:
    settings = AuthSettings.from_env(
        {
            "AUTH_JWKS_URL": "http://idp/jwks",
            "AUTH_ISSUER": ISSUER,
            "AUTH_AUDIENCE": AUDIENCE,
            "AUTH_ALGORITHMS": " EdDSA , RS256 ",
            "AUTH_USER_CLAIM": "email",
            "AUTH_LEEWAY_SECONDS": "5",
            "AUTH_SESSION_SECRET": "x" * 32,
            "AUTH_SESSION_TTL_SECONDS": "60",
        }
    )

    assert settings.algorithms == ("EdDSA", "RS256")
    assert (settings.issuer, settings.audience, settings.user_claim) == (ISSUER, AUDIENCE, "email")
    assert (settings.leeway_seconds, settings.session_ttl_seconds) == (5, 60)
    assert settings.session_secret == b"x" * 32


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param(
            {"AUTH_JWKS_URL": "u", "AUTH_ALGORITHMS": "none"}, "'none' is not one of", id="none"
        ),
        pytest.param(
            {"AUTH_JWKS_URL": "u", "AUTH_ALGORITHMS": "HS256"},
            "HS256 needs AUTH_JWT_SECRET",
            id="hs-no-secret",
        ),
        pytest.param(
            {"AUTH_JWT_SECRET": SECRET, "AUTH_ALGORITHMS": "RS256"},
            "RS256 needs AUTH_JWKS_URL",
            id="rs-no-jwks",
        ),
        pytest.param(
            {"AUTH_JWT_SECRET": "short"},
            "AUTH_JWT_SECRET must be at least 32 bytes",
            id="short-secret",
        ),
        pytest.param(
            {"AUTH_SESSION_SECRET": "short"},
            "AUTH_SESSION_SECRET must be at least 32 bytes",
            id="short-session",
        ),
        pytest.param(
            {"AUTH_LEEWAY_SECONDS": "soon"},
            "AUTH_LEEWAY_SECONDS must be a whole number",
            id="not-a-number",
        ),
    ],
)
def test_from_env_refuses_bad_settings(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AuthSettings.from_env(env)


# --- Bind checks -------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_without_auth_warns(host: str) -> None:
    warning = check_bind(AuthSettings(), host, insecure_no_auth=False)

    assert warning is not None and "No authentication configured" in warning


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "bridge.example.com"])
def test_public_bind_without_auth_is_refused(host: str) -> None:
    with pytest.raises(InsecureBind, match=f"Refusing to serve {host} without authentication"):
        check_bind(AuthSettings(), host, insecure_no_auth=False)


def test_public_bind_without_auth_can_be_forced() -> None:
    warning = check_bind(AuthSettings(), "0.0.0.0", insecure_no_auth=True)

    assert warning is not None and "WITHOUT authentication" in warning
    assert issubclass(InsecureBind, RuntimeError)


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1"])
def test_bind_with_auth_is_silent(host: str) -> None:
    assert check_bind(AuthSettings(jwt_secret=SECRET), host, insecure_no_auth=False) is None
