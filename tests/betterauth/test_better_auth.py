"""The bridge behind a real Better Auth: users sign in there, the bridge checks their JWTs.

Better Auth (the `better-auth` npm package pinned by package-lock.json here, with its JWT
plugin and default EdDSA keys, users in memory) runs in Node.js on a loopback port. Users sign
up and in with email and password, take a JWT from `/api/auth/token`, and talk to the bridge
(real uvicorn on loopback) configured with AUTH_JWKS_URL = Better Auth's `/api/auth/jwks`.
Skips without Node.js, except in CI (see tests/node.py).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import select
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import jwt
import pytest

from bridge.auth import AuthSettings, JWTAuthenticator

from ..conftest import MakeApp
from ..live import serve
from ..node import installed, node

HERE = Path(__file__).parent
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def project() -> Path:
    """Better Auth installed from the committed lockfile (cached between runs)."""
    return installed(HERE, "server.mjs")


@contextmanager
def better_auth(project: Path, rotation_seconds: int = 0) -> Iterator[str]:
    """Run Better Auth; yields its base URL (`http://127.0.0.1:<port>`)."""
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "ROTATION_SECONDS": str(rotation_seconds)}
    process = subprocess.Popen(
        [node(), "server.mjs"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        line = process.stdout.readline() if ready else ""
        assert line.startswith("listening "), f"Better Auth did not start: {line!r}"
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
def auth_url(project: Path) -> Iterator[str]:
    """One Better Auth server for the module's tests."""
    with better_auth(project) as url:
        yield url


def sign_in(auth_url: str, name: str) -> str:
    """Sign a new user up, then in (a fresh session), and return their JWT from /api/auth/token."""
    email = f"{name}-{secrets.token_hex(4)}@example.com"
    with httpx.Client(base_url=auth_url, timeout=10) as http:
        signed_up = http.post(
            "/api/auth/sign-up/email", json={"email": email, "password": PASSWORD, "name": name}
        )
        assert signed_up.status_code == 200, signed_up.text
    with httpx.Client(base_url=auth_url, timeout=10) as http:
        signed_in = http.post(
            "/api/auth/sign-in/email", json={"email": email, "password": PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        answer = http.get("/api/auth/token")
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["token"]
        return token


@asynccontextmanager
async def bridge(
    make_app: MakeApp, auth_url: str, authenticator: JWTAuthenticator | None = None
) -> AsyncIterator[str]:
    """The bridge configured as the README says (AUTH_JWKS_URL, issuer and audience), serving
    the todo app as `chatkit-bridge serve` does, on uvicorn on loopback."""
    auth_settings = AuthSettings.from_env(
        {
            "AUTH_JWKS_URL": f"{auth_url}/api/auth/jwks",
            "AUTH_ISSUER": auth_url,
            "AUTH_AUDIENCE": auth_url,
        }
    )
    app = await make_app(
        auth_settings=auth_settings, authenticator=authenticator, responder=None, offline=True
    )
    async with serve(app) as base:
        yield base


async def chatkit(base: str, token: str | None, op: str, **params: object) -> httpx.Response:
    """POST one ChatKit request with the user's token (a stream is read to its end)."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body = {"type": op, "params": params}
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(f"{base}/chatkit", json=body, headers=headers)


def created_thread(response: httpx.Response) -> str:
    """The id in a threads.create stream's first event."""
    assert response.status_code == 200, response.text
    first = next(line for line in response.text.splitlines() if line.startswith("data:"))
    event = json.loads(first[5:])
    assert event["type"] == "thread.created"
    thread_id: str = event["thread"]["id"]
    return thread_id


def user_input(text: str) -> dict[str, object]:
    return {
        "content": [{"type": "input_text", "text": text}],
        "attachments": [],
        "inference_options": {},
    }


async def test_users_signed_in_with_better_auth_see_only_their_threads(
    auth_url: str, make_app: MakeApp
) -> None:
    alice, bob = sign_in(auth_url, "alice"), sign_in(auth_url, "bob")
    assert jwt.get_unverified_header(alice)["alg"] == "EdDSA"
    async with bridge(make_app, auth_url) as base:
        thread = created_thread(
            await chatkit(base, alice, "threads.create", input=user_input("add buy milk"))
        )

        alices = await chatkit(base, alice, "threads.list", limit=10)
        bobs = await chatkit(base, bob, "threads.list", limit=10)
        bob_reads = await chatkit(base, bob, "threads.get_by_id", thread_id=thread)
        anonymous = await chatkit(base, None, "threads.list", limit=10)
        forged = await chatkit(base, alice[:-4] + "AAAA", "threads.list", limit=10)

    assert [t["id"] for t in alices.json()["data"]] == [thread]
    assert bobs.status_code == 200 and bobs.json()["data"] == []
    assert bob_reads.status_code == 404
    assert anonymous.status_code == 401
    assert forged.status_code == 401


async def test_the_bridge_follows_a_key_rotation_without_a_restart(
    project: Path, make_app: MakeApp
) -> None:
    # Better Auth mints a new key every 2 s (`jwks.rotationInterval`); the bridge refetches
    # the JWKS when a token names a key it does not know, at most once per `refetch_seconds`
    # (30 s by default: shortened here so the test does not wait half a minute).
    with better_auth(project, rotation_seconds=2) as url:
        before = sign_in(url, "carol")
        authenticator = JWTAuthenticator(
            AuthSettings.from_env({"AUTH_JWKS_URL": f"{url}/api/auth/jwks"}), refetch_seconds=1
        )
        async with bridge(make_app, url, authenticator) as base:
            assert (await chatkit(base, before, "threads.list")).status_code == 200
            await asyncio.sleep(2.5)
            after = sign_in(url, "carol")
            rotated = await chatkit(base, after, "threads.list")
            still = await chatkit(base, before, "threads.list")

    old_kid = jwt.get_unverified_header(before)["kid"]
    new_kid = jwt.get_unverified_header(after)["kid"]
    assert new_kid != old_kid  # Better Auth did rotate
    assert rotated.status_code == 200, rotated.text
    assert still.status_code == 200  # the old key stays valid for its grace period
