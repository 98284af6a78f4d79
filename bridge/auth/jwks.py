"""`JWTAuthenticator`: bearer JWTs verified against a JWKS and/or a shared secret."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
from starlette.requests import Request

from .auth_settings import AuthSettings
from .bearer import Principal, _decode, _principal, _unauthorized, bearer_token
from .session_tokens import SESSION_KID, verify_session_token

log = logging.getLogger("bridge.auth")


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
