"""Fixtures for the auth tests (signing keys, a JWKS on loopback) and, prefixed `proto_`, for
the protocol tests (an app with a scripted responder and header-picked users, clients, a store).
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from starlette.applications import Starlette

from bridge.limits import RateLimiter
from db import Store, make_engine
from db.session import create_schema

from ..fakes import ScriptedResponder
from .support import USER_HEADER, HeaderAuthenticator


@pytest.fixture(scope="session")
def auth_signing_keys() -> dict[str, Any]:
    """One private key per asymmetric algorithm the bridge accepts by default."""
    return {
        "EdDSA": ed25519.Ed25519PrivateKey.generate(),
        "ES256": ec.generate_private_key(ec.SECP256R1()),
        "RS256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }


@dataclass
class AuthJWKSServer:
    """What the loopback key server serves, and how often it was asked."""

    url: str
    keys: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    hits: int = 0


@pytest.fixture
def auth_jwks_server() -> Iterator[AuthJWKSServer]:
    """A JWKS endpoint on a free 127.0.0.1 port; tests edit `.keys` and `.status` live."""
    state = AuthJWKSServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits += 1
            body = json.dumps({"keys": state.keys}).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/auth/jwks"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ---- protocol tests -------------------------------------------------------------------------


@pytest.fixture
def proto_responder() -> ScriptedResponder:
    """The scripted responder of `proto_app`; tests push steps onto `.steps`."""
    return ScriptedResponder()


@pytest.fixture
def proto_make_app(
    make_app: Callable[..., Awaitable[Starlette]], proto_responder: ScriptedResponder
) -> Callable[..., Awaitable[Starlette]]:
    """`make_app` with the scripted responder, header-picked users and no rate limit."""

    async def factory(**kwargs: Any) -> Starlette:
        kwargs.setdefault("responder", proto_responder)
        kwargs.setdefault("authenticator", HeaderAuthenticator())
        kwargs.setdefault("limiter", RateLimiter(0))
        return await make_app(**kwargs)

    return factory


@pytest.fixture
async def proto_app(proto_make_app: Callable[..., Awaitable[Starlette]]) -> Starlette:
    """The bridge on the test's database, as `proto_make_app` builds it."""
    return await proto_make_app()


@pytest.fixture
def proto_connect(
    connect: Callable[..., httpx.AsyncClient],
) -> Callable[..., httpx.AsyncClient]:
    """`proto_connect(app, user="ann")`: the root `connect`, acting as `user`."""

    def connect_as(app: Starlette, user: str = "ann") -> httpx.AsyncClient:
        return connect(app, headers={USER_HEADER: user})

    return connect_as


@pytest.fixture
def proto_client(
    proto_app: Starlette, proto_connect: Callable[..., httpx.AsyncClient]
) -> httpx.AsyncClient:
    """A client of `proto_app` acting as `ann`."""
    return proto_connect(proto_app)


@pytest.fixture
def proto_store(proto_app: Starlette) -> Store:
    """The store `proto_app` writes to."""
    store: Store = proto_app.state.services.store
    return store


@pytest.fixture
async def proto_bare_store(db_url: str) -> AsyncIterator[Store]:
    """A store on the test's database with no app around it."""
    engine = make_engine(db_url)
    await create_schema(engine)
    store = Store(engine)
    try:
        yield store
    finally:
        await store.close()
