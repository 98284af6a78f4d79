"""Token exchange through the app: a user token buys a short-lived bridge token that works on
every route like any other token, and can be refreshed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt

from bridge.auth import AuthSettings, JWTAuthenticator

from ...wire import user_input

SECRET = "u" * 40
SESSION_SECRET = b"k" * 40


async def test_session_token_exchange_and_refresh(
    make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient]
) -> None:
    auth = AuthSettings(jwt_secret=SECRET, session_secret=SESSION_SECRET)
    app = await make_app(authenticator=JWTAuthenticator(auth), auth_settings=auth)
    async with connect(app) as client:
        user_token = jwt.encode(
            {"sub": "carol", "exp": int(time.time()) + 600}, SECRET, algorithm="HS256"
        )
        denied = await client.post("/chatkit/session")
        assert denied.status_code == 401 and denied.json()["error"]["message"]

        issued = await client.post(
            "/chatkit/session", headers={"Authorization": f"Bearer {user_token}"}
        )
        assert issued.status_code == 200, issued.text
        session = issued.json()
        assert session["expires_at"] > time.time()
        bearer = {"Authorization": f"Bearer {session['client_secret']}"}

        created = await client.post(
            "/chatkit",
            json={"type": "threads.create", "params": {"input": user_input("hi")}},
            headers=bearer,
        )
        assert created.status_code == 200
        assert created.headers["content-type"].startswith("text/event-stream")
        store = app.state.services.store
        # the bridge token names carol: her store has the thread, nobody else's does
        assert len((await store.list_threads("carol", limit=5)).data) == 1
        assert (await store.list_threads("local", limit=5)).data == []

        refreshed = await client.post("/chatkit/session/refresh", headers=bearer)
        assert refreshed.status_code == 200, refreshed.text
        again = {"Authorization": f"Bearer {refreshed.json()['client_secret']}"}
        threads = await client.post(
            "/chatkit", json={"type": "threads.list", "params": {}}, headers=again
        )
        assert len(threads.json()["data"]) == 1

        not_a_session = await client.post(
            "/chatkit/session/refresh", headers={"Authorization": f"Bearer {user_token}"}
        )
        assert not_a_session.status_code == 401
