"""No auth: one local user, and the bind check that keeps that mode on loopback."""

from __future__ import annotations

import ipaddress
import logging

from starlette.requests import Request

from ..env import Env
from ..errors import Forbidden
from .auth_settings import AuthSettings
from .bearer import Authenticator, Principal
from .jwks import JWTAuthenticator

LOCAL_USER = "local"

log = logging.getLogger("bridge.auth")


INSECURE_NO_AUTH = "BRIDGE_INSECURE_NO_AUTH"
"""Set to 1 (the CLI's `--insecure-no-auth`) to serve the local user off loopback too."""


class LocalAuthenticator:
    """No auth configured: every request is the one local user, if it came over loopback.

    The CLI refuses to bind off loopback without auth (`check_bind`); this is the same rule
    however the app is served (`uvicorn --factory`, `uvicorn.run(app, host="0.0.0.0")`): a
    request from another address is refused (403 `auth_not_configured`) unless
    `allow_remote` (BRIDGE_INSECURE_NO_AUTH=1) says a proxy in front already authenticates.
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
        # A 403 like the Host/Origin guard's: no credentials would help, the address is refused.
        raise Forbidden(
            "this bridge has no authentication configured and serves only its own machine "
            f"(set AUTH_JWKS_URL or AUTH_JWT_SECRET, or {INSECURE_NO_AUTH}=1 behind a proxy "
            "that authenticates)",
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
