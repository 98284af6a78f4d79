"""No auth: one local user, and the bind check that keeps that mode on loopback."""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

from .auth_settings import AuthSettings
from .bearer import Authenticator, Principal
from .jwks import JWTAuthenticator

LOCAL_USER = "local"


class LocalAuthenticator:
    """No auth configured: every request is the one local user."""

    async def authenticate(self, request: Request) -> Principal:
        """Always the local user."""
        return Principal(LOCAL_USER, {})


def make_authenticator(settings: AuthSettings) -> Authenticator:
    """The authenticator for the configured mode."""
    if settings.enabled:
        return JWTAuthenticator(settings)
    return LocalAuthenticator()


class InsecureBind(RuntimeError):
    """Refusing to serve a non-loopback address without authentication."""


def _is_loopback(host: str) -> bool:
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a hostname may resolve anywhere


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
