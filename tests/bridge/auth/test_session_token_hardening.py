"""Bug (issue 15, low): bridge session tokens got the 30 s JWT leeway, and a refresh left the
token it replaced valid until its own expiry.

Fix: session tokens are verified with no leeway (the bridge's clock signed them), and a refresh
retires the replaced token in the shared store (the database or Redis), so every route of every
worker refuses it, and it cannot be refreshed twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest

from bridge.auth import (
    SESSION_AUDIENCE,
    SESSION_ISSUER,
    SESSION_KID,
    AuthSettings,
    JWTAuthenticator,
)
from bridge.errors import Unauthorized
from bridge.todo.todo_app import TodoApp
from db import make_engine

SECRET = "u" * 40
SESSION_SECRET = b"k" * 40
LIST = {"type": "threads.list", "params": {}}


def _auth() -> AuthSettings:
    return AuthSettings(jwt_secret=SECRET, session_secret=SESSION_SECRET, leeway_seconds=30)


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", "content-type": "application/json"}


async def test_session_token_expired_5_s_ago_is_refused_despite_the_leeway() -> None:
    settings = _auth()
    expired = jwt.encode(
        {
            "iss": SESSION_ISSUER,
            "aud": SESSION_AUDIENCE,
            "sub": "ann",
            "exp": int(time.time()) - 5,
            "jti": "j1",
        },
        SESSION_SECRET,
        "HS256",
        headers={"kid": SESSION_KID},
    )
    with pytest.raises(Unauthorized) as caught:
        await JWTAuthenticator(settings).verify(expired)
    assert caught.value.code == "token_expired"
    # A user token from the app's own issuer keeps the configured leeway.
    user = jwt.encode({"sub": "ann", "exp": int(time.time()) - 5}, SECRET, "HS256")
    assert (await JWTAuthenticator(settings).verify(user)).user_id == "ann"


async def test_session_token_refresh_retires_the_replaced_token_on_every_worker(
    make_app: Callable[..., Any], db_url: str, connect: Callable[..., httpx.AsyncClient]
) -> None:
    settings = _auth()
    apps = [
        await make_app(
            app=TodoApp(),  # /api/tasks too: the app's routes go through the same gate
            engine=make_engine(db_url),
            authenticator=JWTAuthenticator(settings),
            auth_settings=settings,
        )
        for _ in range(2)
    ]
    first, second = (connect(app) for app in apps)
    async with first, second:
        user = jwt.encode({"sub": "ann", "exp": int(time.time()) + 600}, SECRET, "HS256")
        issued = await first.post("/chatkit/session", headers=_bearer(user))
        old = issued.json()["client_secret"]
        assert (await second.post("/chatkit", json=LIST, headers=_bearer(old))).status_code == 200

        refreshed = await first.post("/chatkit/session/refresh", headers=_bearer(old))
        assert refreshed.status_code == 200, refreshed.text
        new = refreshed.json()["client_secret"]

        for http in (first, second):
            refused = await http.post("/chatkit", json=LIST, headers=_bearer(old))
            assert refused.status_code == 401, refused.text
            assert refused.json()["error"]["code"] == "token_retired"
            again = await http.post("/chatkit/session/refresh", headers=_bearer(old))
            assert again.status_code == 401
            assert (await http.post("/chatkit", json=LIST, headers=_bearer(new))).status_code == 200
            assert (await http.get("/api/tasks", headers=_bearer(old))).status_code == 401
