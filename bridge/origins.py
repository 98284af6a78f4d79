"""Which hosts and origins a bridge without auth answers (CSRF and DNS rebinding, issue 15).

With no auth every request is the local user, so a page on another origin could act for them:
a form posted cross-site (refused by `require_json`), or a name of the attacker's that
resolves to 127.0.0.1 (DNS rebinding, refused here by the Host check). `OriginGuard` refuses,
before any route runs:

- a `Host` that is not a loopback name (`localhost`, `*.localhost`, 127.0.0.0/8, `::1`), the
  host of `BRIDGE_PUBLIC_URL`, or one of `BRIDGE_ALLOWED_HOSTS`;
- an `Origin` that is not one of `CORS_ORIGINS` or the bridge's own.

With auth, requests need a bearer token no other page has, and a proxy in front may use any
Host, so the guard is only installed for the no-auth mode.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from schemas import ErrorBody, ErrorDetail, encode

from .errors import BridgeError, Forbidden
from .settings import Settings


def configured_hosts(settings: Settings) -> frozenset[str]:
    """The host names besides loopback: the public URL's and `BRIDGE_ALLOWED_HOSTS`."""
    hosts = {host.lower() for host in settings.allowed_hosts}
    if settings.public_url:
        public = urlsplit(settings.public_url).hostname
        if public:
            hosts.add(public.lower())
    return frozenset(hosts)


def host_name(host_header: str) -> str:
    """The name of a `Host` header, without port or IPv6 brackets, lower-cased."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback_name(name: str) -> bool:
    """`localhost`, a `*.localhost` name (RFC 6761: always loopback) or a loopback address."""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class OriginGuard:
    """ASGI middleware refusing foreign Hosts and Origins (install it only without auth)."""

    def __init__(self, app: ASGIApp, *, hosts: frozenset[str], origins: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts
        self.origins = frozenset(origin.rstrip("/").lower() for origin in origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        name = host_name(host)
        if not (is_loopback_name(name) or name in self.hosts):
            error: BridgeError = Forbidden(
                f"this bridge has no auth and does not answer for the host {host[:100]!r}; "
                "add it to BRIDGE_ALLOWED_HOSTS or use BRIDGE_PUBLIC_URL",
                code="host_not_allowed",
            )
            await _refuse(error, scope, receive, send)
            return
        origin = headers.get("origin")
        if origin is not None:
            own = f"{scope.get('scheme', 'http')}://{host}".lower()
            if origin.lower() not in self.origins and origin.lower() != own:
                error = Forbidden(
                    f"this bridge has no auth and does not answer pages of {origin[:100]!r}; "
                    "add the origin to CORS_ORIGINS",
                    code="origin_not_allowed",
                )
                await _refuse(error, scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _refuse(error: BridgeError, scope: Scope, receive: Receive, send: Send) -> None:
    body = encode(ErrorBody(error=ErrorDetail(code=error.code, message=error.message)))
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def mcp_security(settings: Settings, *, enabled: bool) -> TransportSecuritySettings:
    """MCP's own DNS rebinding protection, on the same hosts and origins as `OriginGuard`."""
    names = ["localhost", "127.0.0.1", "[::1]", *sorted(configured_hosts(settings))]
    hosts = [pattern for name in names for pattern in (name, f"{name}:*")]
    origins = [o.rstrip("/") for o in settings.cors_origins]
    origins += [f"{scheme}://{name}:*" for name in names for scheme in ("http", "https")]
    origins += [f"{scheme}://{name}" for name in names for scheme in ("http", "https")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=enabled, allowed_hosts=hosts, allowed_origins=origins
    )
