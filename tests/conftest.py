"""Fixtures every test package shares: databases (SQLite and PostgreSQL), the app factory
(`make_app`) and the in-process client (`connect`; `asgi_client` outside pytest).

PostgreSQL: `TEST_DATABASE_URL` (default the local `postgresql://postgres@127.0.0.1:5432/test`).
Each test gets its own schema, so concurrent runs never see each other's rows. Without a
reachable PostgreSQL the PostgreSQL variants skip with the reason, except in CI
(`CI` or `TEST_REQUIRE_POSTGRES` set), where they fail.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import ASGIApp

from bridge.app import create_app
from bridge.limits import RateLimiter
from bridge.settings import Settings

from .fakes import ScriptedResponder
from .frames import FRAMES, FrameCheck

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = bool(os.environ.get("TEST_REQUIRE_POSTGRES") or os.environ.get("CI"))

_pg_state: dict[str, Any] = {}

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_REDIS = bool(os.environ.get("TEST_REQUIRE_REDIS") or os.environ.get("CI"))
_redis_state: dict[str, Any] = {}


def _pg_reason() -> str | None:
    """None if PostgreSQL answers, else why not (checked once per run)."""
    if "reason" not in _pg_state:
        import psycopg

        try:
            with psycopg.connect(PG_URL, connect_timeout=3) as conn:
                conn.execute("select 1")
            _pg_state["reason"] = None
        except Exception as exc:
            _pg_state["reason"] = f"PostgreSQL at {PG_URL} is not reachable: {exc}".strip()
    reason: str | None = _pg_state["reason"]
    return reason


def require_postgres() -> None:
    """Skip (or, in CI, fail) when PostgreSQL is not there."""
    reason = _pg_reason()
    if reason is None:
        return
    if REQUIRE_PG:
        pytest.fail(f"{reason} (CI requires PostgreSQL)")
    pytest.skip(reason)


def require_redis() -> str:
    """The test Redis URL; skip (or, in CI, fail) when Redis does not answer."""
    if "reason" not in _redis_state:
        import redis

        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
            _redis_state["reason"] = None
        except Exception as exc:
            _redis_state["reason"] = f"Redis at {REDIS_URL} is not reachable: {exc}"
    reason = _redis_state["reason"]
    if reason is not None:
        if REQUIRE_REDIS:
            pytest.fail(f"{reason} (CI requires Redis)")
        pytest.skip(reason)
    return REDIS_URL


async def _pg_schema_url() -> tuple[str, Callable[[], Any]]:
    import psycopg

    schema = "t_" + secrets.token_hex(6)
    async with await psycopg.AsyncConnection.connect(PG_URL, autocommit=True) as conn:
        await conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"

    async def drop() -> None:
        async with await psycopg.AsyncConnection.connect(PG_URL, autocommit=True) as conn:
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    return url, drop


@pytest.fixture(autouse=True)
def frames_valid() -> Iterator[None]:
    """Fails the test if an answer it made the bridge send did not validate (tests/frames.py)."""
    before = len(FRAMES.failures)
    yield
    failed = FRAMES.failures[before:]
    if failed:
        pytest.fail("answers that do not validate against schemas/:\n" + "\n".join(failed[:5]))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a pytest-xdist worker: hand this worker's frame counts to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["frames"] = [FRAMES.events, FRAMES.bodies, FRAMES.failures]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """In the pytest-xdist controller: add up what each worker validated."""
    events, bodies, failures = getattr(node, "workeroutput", {}).get("frames", [0, 0, []])
    FRAMES.events += events
    FRAMES.bodies += bodies
    FRAMES.failures.extend(failures)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The session's count of validated frames (tests/frames.py)."""
    terminalreporter.write_line(
        f"ChatKit answers validated strictly against schemas/: {FRAMES.events} SSE events, "
        f"{FRAMES.bodies} JSON bodies, {len(FRAMES.failures)} failures"
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database URL: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/bridge.db"
        return
    async with _pg_schema() as url:
        yield url


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A PostgreSQL schema of its own, for tests that only make sense on PostgreSQL."""
    async with _pg_schema() as url:
        yield url


@asynccontextmanager
async def _pg_schema() -> AsyncIterator[str]:
    require_postgres()
    url, drop = await _pg_schema_url()
    try:
        yield url
    finally:
        await drop()


class RunningLifespan:
    """An app's lifespan entered and exited in one task of its own (task groups need that):
    `start()` and `stop()`, or `async with RunningLifespan(app):`."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self._stop = asyncio.Event()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async with self.app.router.lifespan_context(self.app):
            self._ready.set()
            await self._stop.wait()

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())
        ready = asyncio.get_running_loop().create_task(self._ready.wait())
        await asyncio.wait({self._task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if self._task.done():
            ready.cancel()
            self._task.result()  # raises the start-up error

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def __aenter__(self) -> RunningLifespan:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


MakeApp = Callable[..., Awaitable[Starlette]]  # the type of the `make_app` fixture
Connect = Callable[..., httpx.AsyncClient]  # the type of the `connect` fixture

APP_PARTS = (
    "app",
    "responder",
    "actions",
    "authenticator",
    "auth_settings",
    "limiter",
    "engine",
    "store",
)


@pytest.fixture
async def make_app(db_url: str, tmp_path: Path) -> AsyncIterator[MakeApp]:
    """`await make_app(responder=…, **settings)`: an app on the test's database, started.

    The parts `create_app` takes (`app`, `responder`, `actions`, `authenticator`, …) go to it;
    the rest are settings (`Settings.from_env`). `build=` makes the app from the settings
    instead (an example's `build_app`, with its options bound). `lifespan=False` returns the
    app not started, for a test that starts it itself (`RunningLifespan`). Every app answers
    through the frame check (tests/frames.py); started apps stop after the test.
    """
    started: list[RunningLifespan] = []

    async def factory(
        *,
        build: Callable[[Settings], Starlette] | None = None,
        lifespan: bool = True,
        **kwargs: Any,
    ) -> Starlette:
        parts = {k: kwargs.pop(k) for k in APP_PARTS if k in kwargs}
        kwargs.setdefault("database_url", db_url)
        kwargs.setdefault("data_dir", tmp_path / "data")
        # The in-process clients' host name; without auth the bridge answers only hosts it knows.
        kwargs.setdefault("allowed_hosts", ("bridge.test", "t"))
        settings = Settings.from_env(**kwargs)
        if build is not None:
            if parts:
                raise TypeError(f"make_app(build=…) builds its own parts, not {sorted(parts)}")
            app = build(settings)
        else:
            parts.setdefault("responder", ScriptedResponder())
            parts.setdefault("limiter", RateLimiter(0))  # tests opt in to rate limits
            app = create_app(settings, **parts)
        app.add_middleware(FrameCheck, path=settings.path)  # outermost: sees the bytes sent
        if lifespan:
            running = RunningLifespan(app)
            await running.start()
            started.append(running)
        return app

    yield factory
    for running in reversed(started):
        await running.stop()


@pytest.fixture
async def app(make_app: MakeApp) -> Starlette:
    """The bridge with the scripted responder, on the test's database."""
    built: Starlette = await make_app()
    return built


@pytest.fixture
def client(app: Starlette, connect: Connect) -> httpx.AsyncClient:
    """An HTTP client bound to `app` in process (ASGITransport buffers whole bodies)."""
    return connect(app)


def asgi_client(
    app: ASGIApp,
    *,
    headers: dict[str, str] | None = None,
    base_url: str = "http://bridge.test",
    client: tuple[str, int] = ("127.0.0.1", 123),
) -> httpx.AsyncClient:
    """An in-process client of `app` (no network); the `connect` fixture's, for a script
    that runs outside pytest. The caller closes it."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=client), base_url=base_url, headers=headers
    )


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    """`connect(app, headers=…, base_url=…, client=(host, port))`: an in-process client of
    `app` (the bridge or any ASGI app), closed after the test. ASGITransport buffers whole
    bodies, so a stream under test must end; the Host is `bridge.test` (an allowed host of
    `make_app`'s apps) unless `base_url` says otherwise; the client address is loopback unless
    given (the no-auth mode serves only loopback)."""
    opened: list[httpx.AsyncClient] = []

    def open_client(
        app: ASGIApp,
        headers: dict[str, str] | None = None,
        client: tuple[str, int] = ("127.0.0.1", 123),
        *,
        base_url: str = "http://bridge.test",
    ) -> httpx.AsyncClient:
        http = asgi_client(app, headers=headers, base_url=base_url, client=client)
        opened.append(http)
        return http

    yield open_client
    for http in opened:
        await http.aclose()
