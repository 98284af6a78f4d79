"""Fixtures for the protocol tests, prefixed `proto_`: an app with a scripted responder and
header-picked users, clients, a store (the auth tests' own are in auth/conftest.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bridge.limits import RateLimiter
from db import Store, make_engine
from db.session import create_schema

from ..fakes import ScriptedResponder
from .support import USER_HEADER, HeaderAuthenticator


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
