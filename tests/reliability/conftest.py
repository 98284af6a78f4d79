"""Fixtures for the reliability tests: the bridge with HS256 JWT users, in process and live."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bridge.actions import ActionRegistry
from bridge.auth import AuthSettings, JWTAuthenticator
from bridge.limits import RateLimiter
from db import Store

from ..conftest import MakeApp
from ..fakes import ScriptedResponder
from .support import SECRET


@pytest.fixture
def rel_make_app(make_app: MakeApp) -> MakeApp:
    """`make_app` with JWT users (HS256, `SECRET`), no actions and no rate limit."""

    async def factory(**kwargs: Any) -> Starlette:
        kwargs.setdefault("responder", ScriptedResponder())
        kwargs.setdefault("authenticator", JWTAuthenticator(AuthSettings(jwt_secret=SECRET)))
        kwargs.setdefault("limiter", RateLimiter(0))
        kwargs.setdefault("actions", ActionRegistry())
        return await make_app(**kwargs)

    return factory


@pytest.fixture
def rel_client(
    connect: Callable[..., httpx.AsyncClient],
) -> Callable[[Starlette], httpx.AsyncClient]:
    """`rel_client(app)`: the root `connect` (no user: tests pass headers)."""
    return connect


def store_of(app: Starlette) -> Store:
    """The store an app writes to."""
    store: Store = app.state.services.store
    return store
