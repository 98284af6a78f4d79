"""bridge.limits: the per-user rate limiter and the bounded body read."""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bridge.errors import BridgeError, PayloadTooLarge, RateLimited
from bridge.limits import RateLimiter, read_body
from bridge.shared_store import MemoryStore

from ..conftest import Connect


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


# --- Rate limiter ------------------------------------------------------------------------------


async def test_allows_a_burst_then_refuses_with_retry_after() -> None:
    clock = Clock()
    limiter = RateLimiter(3, clock=clock)
    for _ in range(3):
        await limiter.check("ann")

    with pytest.raises(RateLimited) as caught:
        await limiter.check("ann")

    assert caught.value.status == 429
    assert caught.value.headers == {"Retry-After": "20"}  # one request every 60/3 s
    assert caught.value.message == "too many requests: at most 3 a minute; retry in 20 s"


async def test_refills_over_time() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)
    for _ in range(60):
        await limiter.check("ann")
    with pytest.raises(RateLimited) as caught:
        await limiter.check("ann")
    assert caught.value.headers["Retry-After"] == "1"

    clock.now += 1.0
    await limiter.check("ann")
    with pytest.raises(RateLimited):
        await limiter.check("ann")

    clock.now += 60.0
    for _ in range(60):
        await limiter.check("ann")


async def test_retry_after_counts_down() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock=clock)
    await limiter.check("ann")
    await limiter.check("ann")
    clock.now += 10.0

    with pytest.raises(RateLimited) as caught:
        await limiter.check("ann")

    assert caught.value.headers["Retry-After"] == "20"


async def test_refused_requests_do_not_count() -> None:
    clock = Clock()
    limiter = RateLimiter(1, clock=clock)
    await limiter.check("ann")
    for _ in range(5):
        with pytest.raises(RateLimited):
            await limiter.check("ann")

    clock.now += 60.0
    await limiter.check("ann")


async def test_users_are_limited_separately() -> None:
    limiter = RateLimiter(1, clock=Clock())
    await limiter.check("ann")
    await limiter.check("bob")

    with pytest.raises(RateLimited):
        await limiter.check("ann")


async def test_zero_turns_it_off() -> None:
    limiter = RateLimiter(0, clock=Clock())
    for _ in range(10_000):
        await limiter.check("ann")


async def test_forgets_idle_users_when_the_table_grows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MemoryStore, "_PRUNE_AT", 3)
    clock = Clock()
    limiter = RateLimiter(2, clock=clock)
    for user in ("a", "b", "c"):
        await limiter.check(user)
    clock.now += 60.0
    await limiter.check("d")
    await limiter.check("d")

    assert set(limiter.store._tats) == {"user:d"}  # type: ignore[attr-defined]
    with pytest.raises(RateLimited):
        await limiter.check("d")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({}, 60, id="default"),
        pytest.param({"RATE_LIMIT_PER_MINUTE": "0"}, 0, id="off"),
        pytest.param({"RATE_LIMIT_PER_MINUTE": " 12 "}, 12, id="set"),
    ],
)
def test_from_env(env: dict[str, str], expected: int) -> None:
    assert RateLimiter.from_env(env).per_minute == expected


@pytest.mark.parametrize("raw", ["lots", "-1"])
def test_from_env_refuses_bad_values(raw: str) -> None:
    with pytest.raises(ValueError, match="RATE_LIMIT_PER_MINUTE"):
        RateLimiter.from_env({"RATE_LIMIT_PER_MINUTE": raw})


# --- Body limit --------------------------------------------------------------------------------

LIMIT = 100


async def _echo_size(request: Request) -> Response:
    body = await read_body(request, LIMIT)
    return JSONResponse({"size": len(body), "head": body[:5].decode()})


async def _bridge_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BridgeError)
    body = {"error": {"code": exc.code, "message": exc.message}}
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


APP = Starlette(
    routes=[Route("/echo", _echo_size, methods=["POST"])],
    exception_handlers={BridgeError: _bridge_error},
)


@pytest.mark.parametrize("size", [0, 1, LIMIT])
async def test_body_within_limit(connect: Connect, size: int) -> None:
    async with connect(APP) as http:
        response = await http.post("/echo", content=b"x" * size)

    assert response.status_code == 200
    assert response.json() == {"size": size, "head": "x" * min(size, 5)}


async def test_declared_length_over_limit_is_413(connect: Connect) -> None:
    async with connect(APP) as http:
        response = await http.post("/echo", content=b"x" * (LIMIT + 1))

    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "payload_too_large",
            "message": f"request body is {LIMIT + 1} bytes; the limit is {LIMIT} bytes",
        }
    }


async def test_chunked_body_over_limit_is_413(connect: Connect) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"y" * 30

    async with connect(APP) as http:
        response = await http.post("/echo", content=chunks())

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["error"]["message"] == f"request body is over the limit of {LIMIT} bytes"


async def _call(headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[int, list[int]]:
    """Drive the app by hand, so the Content-Length can lie; returns status and chunks read."""
    read: list[int] = []
    pending = list(chunks)

    async def receive() -> dict[str, Any]:
        body = pending.pop(0) if pending else b""
        read.append(len(body))
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    status = 0

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/echo",
        "raw_path": b"/echo",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1234),
        "server": ("bridge", 80),
    }
    await APP(scope, receive, send)
    return status, read


async def test_lying_content_length_is_still_cut_off() -> None:
    status, read = await _call([(b"content-length", b"10")], [b"z" * 60, b"z" * 60, b"z" * 60])

    assert status == 413
    assert read == [60, 60]  # stopped reading as soon as the limit was passed


async def test_declared_length_is_refused_before_reading() -> None:
    status, read = await _call([(b"content-length", b"1000000")], [b"z" * 60])

    assert status == 413
    assert read == []


async def test_bad_content_length_is_400() -> None:
    status, _ = await _call([(b"content-length", b"ten")], [b"z"])

    assert status == 400


def test_payload_too_large_is_413() -> None:
    assert PayloadTooLarge("x").status == 413
