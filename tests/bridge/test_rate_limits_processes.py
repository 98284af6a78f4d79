"""Bug (issue 15, low): with two workers each process allowed the whole rate limit.

Fix: the limit is counted in the database (or Redis); here two real `chatkit-bridge serve`
processes on one PostgreSQL database, then on one Redis, allow it once between them, also
when each takes its permits a batch at a time (issue 13).
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import jwt
import pytest

from ..conftest import _pg_schema_url, require_postgres, require_redis
from ..live import bridge_process

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SECRET = "p" * 40


@asynccontextmanager
async def _two_serve_processes(
    tmp_path: Path, shared: str, per_minute: int
) -> AsyncIterator[tuple[str, str]]:
    """Two `chatkit-bridge serve` processes on one PostgreSQL schema, the limit counted in it
    (`shared="postgres"`) or in Redis; yields their base URLs."""
    require_postgres()
    env = {
        "AUTH_JWT_SECRET": SECRET,
        "AUTH_SESSION_SECRET": "s" * 40,
        "RATE_LIMIT_PER_MINUTE": str(per_minute),
        "BRIDGE_OFFLINE": "1",
        "BRIDGE_SECRET_KEY": "k" * 40,
    }
    if shared == "redis":
        env["REDIS_URL"] = require_redis()
    url, drop = await _pg_schema_url()
    try:
        with (
            bridge_process(DATABASE_URL=url, BRIDGE_DATA_DIR=str(tmp_path / "a"), **env) as (
                _,
                first,
            ),
            bridge_process(DATABASE_URL=url, BRIDGE_DATA_DIR=str(tmp_path / "b"), **env) as (
                _,
                second,
            ),
        ):
            yield first, second
    finally:
        await drop()


def _user_headers() -> dict[str, str]:
    # A user of its own: Redis keys are not per test (the database schema is).
    sub = f"ann-{secrets.token_hex(6)}"
    user = jwt.encode({"sub": sub, "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")
    return {"authorization": f"Bearer {user}", "content-type": "application/json"}


BODY = {"type": "threads.list", "params": {}}


def _count_allowed(bases: list[str]) -> list[int]:
    headers = _user_headers()
    return [
        httpx.post(f"{bases[n % 2]}/chatkit", json=BODY, headers=headers).status_code
        for n in range(10)
    ]


@pytest.mark.parametrize("shared", ["postgres", "redis"])
async def test_rate_limits_two_serve_processes_share_one_limit(tmp_path: Path, shared: str) -> None:
    async with _two_serve_processes(tmp_path, shared, 4) as (first, second):
        statuses = _count_allowed([first, second])
    assert statuses.count(200) == 4 and statuses.count(429) == 6, statuses


@pytest.mark.parametrize("shared", ["postgres", "redis"])
async def test_rate_limits_two_serve_processes_taking_batches_never_exceed_the_limit(
    tmp_path: Path, shared: str
) -> None:
    """Issue 13: at 60 a minute each process takes a user's permits five at a time. A burst of
    120 concurrent requests over both is admitted at most the limit (plus what refills while
    it runs, one a second), and short of it by at most the batch each process still holds."""
    headers = _user_headers()
    async with (
        _two_serve_processes(tmp_path, shared, 60) as bases,
        httpx.AsyncClient(timeout=30) as http,
    ):
        gate = asyncio.Semaphore(16)

        async def send(n: int) -> httpx.Response:
            async with gate:
                return await http.post(f"{bases[n % 2]}/chatkit", json=BODY, headers=headers)

        started = time.monotonic()
        responses = await asyncio.gather(*(send(n) for n in range(120)))
        elapsed = time.monotonic() - started
    statuses = [r.status_code for r in responses]
    assert set(statuses) == {200, 429}, statuses
    allowed = statuses.count(200)
    assert 60 - 2 * 5 <= allowed <= 60 + math.floor(elapsed), (allowed, elapsed)
    assert all(r.headers["retry-after"] == "1" for r in responses if r.status_code == 429)
