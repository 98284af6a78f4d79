"""Bug (issue 15, low): rate limits were per process, and most entry points had none.

Two workers allowed twice the limit; session-token issuance, upload/preview URLs and
unauthenticated requests were not limited at all (150 of 150 session tokens at 60/min).
Fix: one limiter counting in a store every worker shares (the database, or Redis when
`REDIS_URL` is set), applied by one gate on every entry point, plus a per-address limit for
requests that do not authenticate. Each store is tested here for real: SQLite, PostgreSQL,
Redis (the last two skip without a server, and fail in CI).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request

from bench.roundtrips import delay_proxy
from bridge.auth import AuthSettings, JWTAuthenticator, Principal, issue_session
from bridge.errors import RateLimited, Unauthorized
from bridge.gate import Gate
from bridge.limits import RateLimiter
from bridge.permits import HOLD_SECONDS
from bridge.shared_store import MemoryStore, RedisStore, SharedStore, SQLStore
from bridge.todo.todo_app import TodoApp
from db import make_engine

from ..conftest import _pg_schema_url, require_postgres, require_redis
from ..wire import user_input
from .support import MCP_HEADERS, MCP_INIT

SECRET = "r" * 40
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def token(user: str) -> str:
    return jwt.encode({"sub": user, "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")


def as_user(user: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token(user)}", "content-type": "application/json"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        "redis",
    ]
)
async def store_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Callable[[], Any]]:
    """`await store_factory()`: a started store; two calls share state (two workers)."""
    made: list[SharedStore] = []
    engines: list[Any] = []
    prefix = f"test-{secrets.token_hex(6)}:"
    memory = MemoryStore()
    db_url, drop = f"sqlite:///{tmp_path}/shared.db", None
    if request.param == "redis":
        url = require_redis()
    elif request.param == "postgres":
        require_postgres()
        db_url, drop = await _pg_schema_url()

    async def factory() -> SharedStore:
        store: SharedStore
        if request.param == "memory":
            store = memory
        elif request.param in ("sqlite", "postgres"):
            engine = make_engine(db_url)
            engines.append(engine)
            store = SQLStore(engine)
        else:
            store = RedisStore(url, prefix=prefix)
        await store.start()
        made.append(store)
        return store

    yield factory
    for store in made:
        await store.close()
    for engine in engines:
        await engine.dispose()
    if drop is not None:
        await drop()


async def test_rate_limits_burst_refill_and_retry_after_in_every_store(
    store_factory: Callable[[], Any],
) -> None:
    clock = Clock()
    limiter = RateLimiter(3, store=await store_factory(), clock=clock)
    for _ in range(3):
        await limiter.check("ann")
    with pytest.raises(RateLimited) as caught:
        await limiter.check("ann")
    assert caught.value.headers == {"Retry-After": "20"}
    await limiter.check("bob")  # users are counted separately
    clock.now += 20.0
    await limiter.check("ann")
    with pytest.raises(RateLimited):
        await limiter.check("ann")
    clock.now += 60.0
    for _ in range(3):
        await limiter.check("ann")


async def test_rate_limits_two_workers_share_one_limit(store_factory: Callable[[], Any]) -> None:
    clock = Clock()
    first = RateLimiter(4, store=await store_factory(), clock=clock)
    second = RateLimiter(4, store=await store_factory(), clock=clock)
    allowed = 0
    for n in range(8):
        try:
            await (first if n % 2 else second).check("ann")
            allowed += 1
        except RateLimited:
            pass
    assert allowed == 4


async def _two_workers(
    make_app: Callable[..., Any], db_url: str, limiter_store: Callable[[Any], Any]
) -> list[Starlette]:
    apps = []
    for _ in range(2):
        engine = make_engine(db_url)
        auth = AuthSettings(jwt_secret=SECRET, session_secret=b"s" * 40)
        apps.append(
            await make_app(
                engine=engine,
                authenticator=JWTAuthenticator(auth),
                auth_settings=auth,
                limiter=RateLimiter(5, anonymous_per_minute=3, store=limiter_store(engine)),
            )
        )
    return apps


async def test_rate_limits_two_app_workers_on_one_database_share_the_limit(
    make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient], db_url: str
) -> None:
    apps = await _two_workers(make_app, db_url, SQLStore)
    await _assert_shared([connect(app) for app in apps])


async def test_rate_limits_two_app_workers_share_the_limit_through_redis(
    make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient], db_url: str
) -> None:
    url = require_redis()
    prefix = f"test-{secrets.token_hex(6)}:"
    apps = await _two_workers(make_app, db_url, lambda _engine: RedisStore(url, prefix=prefix))
    await _assert_shared([connect(app) for app in apps])


async def _assert_shared(clients: list[httpx.AsyncClient]) -> None:
    """Ten requests of one user and six unauthenticated ones, alternating between the two
    workers' clients."""
    statuses = []
    for n in range(10):
        response = await clients[n % 2].post(
            "/chatkit", json={"type": "threads.list", "params": {}}, headers=as_user("ann")
        )
        statuses.append(response.status_code)
    assert statuses.count(200) == 5 and statuses.count(429) == 5, statuses
    # Unauthenticated requests: 3 a minute per address, across both workers.
    anonymous = []
    for n in range(6):
        response = await clients[n % 2].post(
            "/chatkit",
            json={"type": "threads.list", "params": {}},
            headers={"authorization": "Bearer nonsense"},
        )
        anonymous.append(response.status_code)
    assert anonymous == [401, 401, 401, 429, 429, 429], anonymous


@pytest.fixture
async def limited(
    make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient]
) -> AsyncIterator[httpx.AsyncClient]:
    """An app with JWT auth whose limit is 5 a minute per user (3 per unauthenticated address)."""
    auth = AuthSettings(jwt_secret=SECRET, session_secret=b"s" * 40)
    app = await make_app(
        app=TodoApp(),  # its /api/tasks and /mcp go through the same gate
        authenticator=JWTAuthenticator(auth),
        auth_settings=auth,
        limiter=RateLimiter(5, anonymous_per_minute=3),
    )
    async with connect(app) as http:
        yield http


async def _statuses(send: Callable[[], Any], times: int) -> list[int]:
    return [(await send()).status_code for _ in range(times)]


async def test_rate_limits_session_token_issuance_is_limited(
    limited: httpx.AsyncClient,
) -> None:
    statuses = await _statuses(lambda: limited.post("/chatkit/session", headers=as_user("ann")), 8)
    assert statuses == [200] * 5 + [429] * 3


async def test_rate_limits_api_tasks_and_mcp_share_the_users_budget(
    limited: httpx.AsyncClient,
) -> None:
    ann = as_user("ann")
    statuses = [
        (await limited.get("/api/tasks", headers=ann)).status_code,
        (await limited.post("/mcp", json=MCP_INIT, headers={**ann, **MCP_HEADERS})).status_code,
        (await limited.post("/api/tasks", json={"title": "x"}, headers=ann)).status_code,
        (await limited.post("/chatkit/session", headers=ann)).status_code,
        (
            await limited.post("/chatkit", json={"type": "threads.list", "params": {}}, headers=ann)
        ).status_code,
        (await limited.get("/api/tasks", headers=ann)).status_code,
        (await limited.post("/mcp", json=MCP_INIT, headers={**ann, **MCP_HEADERS})).status_code,
    ]
    assert statuses == [200, 200, 201, 200, 200, 429, 429], statuses


async def test_rate_limits_upload_and_preview_urls_are_limited(
    limited: httpx.AsyncClient,
) -> None:
    created = await limited.post(
        "/chatkit",
        json={
            "type": "attachments.create",
            "params": {"name": "a.png", "size": len(PNG), "mime_type": "image/png"},
        },
        headers=as_user("ann"),
    )
    assert created.status_code == 200, created.text
    body = created.json()
    uploaded = await limited.put(body["upload_descriptor"]["url"], content=PNG)
    assert uploaded.status_code == 200, uploaded.text
    statuses = await _statuses(lambda: limited.get(body["preview_url"]), 6)
    assert statuses == [200] * 4 + [429] * 2, statuses
    # Forged tokens count against the address, like any unauthenticated request.
    forged = body["preview_url"].split("token=")[0] + "token=forged"
    assert await _statuses(lambda: limited.get(forged), 4) == [401, 401, 401, 429]


async def test_rate_limits_unauthenticated_requests_are_limited_per_address(
    limited: httpx.AsyncClient,
) -> None:
    statuses = await _statuses(
        lambda: limited.post("/chatkit/session", headers={"authorization": "Bearer x"}), 5
    )
    assert statuses == [401, 401, 401, 429, 429]
    # The user's own budget is separate.
    ok = await limited.post("/chatkit/session", headers=as_user("ann"))
    assert ok.status_code == 200


async def test_rate_limits_the_app_limits_through_its_database_by_default(
    make_app: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    connect: Callable[..., httpx.AsyncClient],
) -> None:
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "2")
    auth = AuthSettings(jwt_secret=SECRET)
    app = await make_app(authenticator=JWTAuthenticator(auth), auth_settings=auth, limiter=None)
    limiter = app.state.services.limiter
    assert isinstance(limiter.store, SQLStore) and limiter.per_minute == 2
    async with connect(app) as http:
        statuses = await _statuses(
            lambda: http.post(
                "/chatkit",
                json={"type": "threads.create", "params": {"input": user_input("hi")}},
                headers=as_user("ann"),
            ),
            3,
        )
    assert statuses == [200, 200, 429]


class _DownStore(MemoryStore):
    """A store whose server went away after start-up."""

    async def take(self, key: str, per_minute: int, now: float) -> float:
        raise ConnectionRefusedError("connection refused")


async def test_rate_limits_a_down_store_is_a_503_on_every_entry_point(
    make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient]
) -> None:
    auth = AuthSettings(jwt_secret=SECRET, session_secret=b"s" * 40)
    app = await make_app(
        app=TodoApp(),
        authenticator=JWTAuthenticator(auth),
        auth_settings=auth,
        limiter=RateLimiter(5, store=_DownStore()),
    )
    async with connect(app) as http:
        for response in (
            await http.post("/chatkit/session", headers=as_user("ann")),
            await http.post(
                "/chatkit", json={"type": "threads.list", "params": {}}, headers=as_user("ann")
            ),
            await http.get("/api/tasks", headers=as_user("ann")),
        ):
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "limiter_unavailable"


async def test_shared_store_retired_tokens_survive_the_sweep(
    store_factory: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The occasional sweep forgets expired retirements only (it once compared with the new
    token's expiry and forgot live ones)."""
    store = await store_factory()
    monkeypatch.setattr("bridge.shared_store.random.randrange", lambda n: 0)  # sweep every time
    now = time.time()
    assert await store.retire("jti-a", now + 100)
    assert await store.retire("jti-b", now + 1000)
    assert await store.is_retired("jti-a", now) and await store.is_retired("jti-b", now)
    assert not await store.retire("jti-a", now + 100)  # once
    assert not await store.is_retired("jti-c", now)


@pytest.mark.postgres
async def test_the_sql_store_counts_on_the_apps_one_pool() -> None:
    """Issue 13: one pool per process; the limiter's statements use the app's engine's pool, in
    autocommit (one round trip each), and closing the store leaves that pool to the app."""
    require_postgres()
    db_url, drop = await _pg_schema_url()
    engine = make_engine(db_url)
    try:
        store = SQLStore(engine)
        await store.start()
        assert store._autocommit.sync_engine.pool is engine.sync_engine.pool
        assert await store.take("user:pool", 60, time.time()) == 0.0
        await store.close()
        assert await store.take("user:pool", 60, time.time()) == 0.0  # the pool still works
        assert engine.sync_engine.pool.checkedout() == 0
    finally:
        await engine.dispose()
        await drop()


# ---- issue 13: a worker takes a user's permits a batch at a time ------------------------------


class Counting:
    """A real store, with its operations counted (and, with `delay`, slowed down, and with
    `failing`, refused as a store that went away would)."""

    def __init__(self, store: SharedStore, delay: float = 0.0) -> None:
        self.store = store
        self.delay = delay
        self.failing = False
        self.takes = 0
        self.reads = 0
        self.in_flight = 0
        self.most_in_flight = 0

    async def _op(self, call: Callable[[], Any]) -> Any:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.failing:
                raise ConnectionRefusedError("connection refused")
            return await call()
        finally:
            self.in_flight -= 1

    async def start(self) -> None:
        await self.store.start()

    async def close(self) -> None:
        await self.store.close()

    async def take(self, key: str, per_minute: int, now: float) -> float:
        self.takes += 1
        wait: float = await self._op(lambda: self.store.take(key, per_minute, now))
        return wait

    async def take_up_to(
        self, key: str, per_minute: int, now: float, most: int
    ) -> tuple[int, float]:
        self.takes += 1
        taken: tuple[int, float] = await self._op(
            lambda: self.store.take_up_to(key, per_minute, now, most)
        )
        return taken

    async def retire(self, jti: str, until: float) -> bool:
        done: bool = await self._op(lambda: self.store.retire(jti, until))
        return done

    async def is_retired(self, jti: str, now: float) -> bool:
        self.reads += 1
        retired: bool = await self._op(lambda: self.store.is_retired(jti, now))
        return retired


async def test_shared_store_take_up_to_takes_what_fits_under_the_burst(
    store_factory: Callable[[], Any],
) -> None:
    store = await store_factory()
    now = 1_000_000.0
    assert await store.take_up_to("user:ann", 10, now, 4) == (4, 0.0)
    assert await store.take_up_to("user:ann", 10, now, 4) == (4, 0.0)
    assert await store.take_up_to("user:ann", 10, now, 4) == (2, 0.0)  # only 2 left of 10
    granted, wait = await store.take_up_to("user:ann", 10, now, 4)
    assert granted == 0 and wait == pytest.approx(6.0)  # one permit every 6 s
    assert await store.take("user:ann", 10, now + 6.0) == 0.0
    assert await store.take_up_to("user:ann", 10, now + 12.0, 4) == (1, 0.0)


async def test_rate_limits_batches_are_exact_across_workers(
    store_factory: Callable[[], Any],
) -> None:
    """Three workers, each taking a user's permits five at a time, admit exactly the limit
    between them: concurrently (their takes racing in the store), then one at a time."""
    clock = Clock()
    workers = [RateLimiter(60, store=await store_factory(), clock=clock) for _ in range(3)]
    assert workers[0].permits.batch(60) == 5

    async def check(limiter: RateLimiter) -> bool:
        try:
            await limiter.check("ann")
            return True
        except RateLimited as refused:
            assert refused.headers == {"Retry-After": "1"}
            return False

    allowed = sum(await asyncio.gather(*(check(workers[n % 3]) for n in range(90))))
    assert allowed <= 60
    for n in range(60):  # the permits some worker still holds are used, none more
        allowed += await check(workers[n % 3])
    for limiter in workers:
        await limiter.close()
    assert allowed == 60
    assert sum(limiter.permits.holding("user:ann") for limiter in workers) == 0


async def test_rate_limits_steady_requests_do_not_wait_for_the_store(
    store_factory: Callable[[], Any],
) -> None:
    """Only the first request awaits the store; later ones are admitted from the worker's
    batch while a refill, started when it runs low, runs in the background."""
    clock = Clock()
    store = Counting(await store_factory())
    limiter = RateLimiter(60, store=store, clock=clock)
    await limiter.check("ann")
    assert store.takes == 1 and limiter.permits.holding("user:ann") == 4
    for _ in range(40):
        before = store.takes
        await limiter.check("ann")  # no store operation runs while a request is admitted
        assert store.takes == before
        await limiter.permits.settle()  # time passes between requests: refills land
    assert limiter.permits.holding("user:ann") >= 3
    # One store operation for every three requests or so, none of them awaited by a request.
    assert 12 <= store.takes <= 16, store.takes
    await limiter.close()


async def test_rate_limits_concurrent_first_requests_share_one_take(
    store_factory: Callable[[], Any],
) -> None:
    store = Counting(await store_factory(), delay=0.02)
    limiter = RateLimiter(60, store=store, clock=Clock())
    await asyncio.gather(*(limiter.check("ann") for _ in range(20)))
    assert store.most_in_flight == 1  # one take in flight per key, never two
    # Not a take per request: the first asks for 5, a refill for at least 3 (it starts when 2
    # are left), and the requests waiting share each one.
    assert store.takes <= 8, store.takes
    await limiter.close()


async def test_rate_limits_a_message_typed_after_the_page_opened_does_not_wait(
    store_factory: Callable[[], Any],
) -> None:
    """The widget's requests when a page opens take a batch; the message the user types two
    minutes later is admitted from it, with no store operation on its way."""
    clock = Clock()
    store = Counting(await store_factory())
    limiter = RateLimiter(60, store=store, clock=clock)
    for _ in range(2):  # threads.list, then threads.get_by_id of the last thread
        await limiter.check("ann")
    await limiter.permits.settle()
    takes = store.takes
    clock.now += 120.0  # reading a long answer, then typing
    await limiter.check("ann")
    assert store.takes == takes
    await limiter.close()


async def test_rate_limits_held_permits_expire(store_factory: Callable[[], Any]) -> None:
    clock = Clock()
    store = Counting(await store_factory())
    limiter = RateLimiter(60, store=store, clock=clock)
    await limiter.check("ann")
    assert limiter.permits.holding("user:ann") == 4
    clock.now += HOLD_SECONDS
    assert limiter.permits.holding("user:ann") == 0
    await limiter.check("ann")  # awaits a take of its own again
    assert store.takes == 2
    await limiter.close()


async def test_rate_limits_a_failed_background_refill_is_logged_and_the_next_request_waits(
    store_factory: Callable[[], Any], caplog: pytest.LogCaptureFixture
) -> None:
    store = Counting(await store_factory())
    limiter = RateLimiter(60, store=store, clock=Clock())
    for _ in range(3):
        await limiter.check("ann")  # 5 taken, 3 used: 2 left, a refill starts
    store.failing = True
    with caplog.at_level(logging.WARNING, logger="bridge.permits"):
        await limiter.permits.settle()
    assert "taking permits from the shared store failed" in caplog.text
    assert "ann" not in caplog.text  # keys name users: not in the log
    for _ in range(2):
        await limiter.check("ann")  # the two held permits
    takes = store.takes
    with pytest.raises(ConnectionRefusedError):  # the gate answers 503 limiter_unavailable
        await limiter.check("ann")  # no permit left: it awaits the store, which fails
    assert store.takes > takes
    store.failing = False
    await limiter.check("ann")
    await limiter.close()


async def test_rate_limits_small_limits_are_counted_request_by_request(
    store_factory: Callable[[], Any],
) -> None:
    """Under 24 a minute a batch would be one permit: no batches, no permits held."""
    store = Counting(await store_factory())
    limiter = RateLimiter(23, store=store, clock=Clock())
    for n in range(1, 4):
        await limiter.check("ann")
        assert store.takes == n and limiter.permits.holding("user:ann") == 0


async def test_rate_limits_a_batched_burst_past_the_limit_is_a_429_with_retry_after(
    make_app: Callable[..., Any], db_url: str, connect: Callable[..., httpx.AsyncClient]
) -> None:
    auth = AuthSettings(jwt_secret=SECRET)
    engine = make_engine(db_url)
    app = await make_app(
        engine=engine,
        authenticator=JWTAuthenticator(auth),
        auth_settings=auth,
        limiter=RateLimiter(60, store=SQLStore(engine), clock=Clock()),
    )
    async with connect(app) as http:
        statuses = []
        for _ in range(63):
            response = await http.post(
                "/chatkit", json={"type": "threads.list", "params": {}}, headers=as_user("ann")
            )
            statuses.append(response.status_code)
        assert statuses == [200] * 60 + [429] * 3, statuses
        assert response.headers["retry-after"] == "1"
        assert response.json()["error"]["code"] == "rate_limited"


@pytest.mark.postgres
async def test_rate_limits_a_store_that_goes_down_is_a_503_before_the_stream(
    make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient]
) -> None:
    """The limiter's PostgreSQL goes away (a proxy in front of it stops): once the worker's
    batch is spent, a turn is refused with 503 before its stream, not admitted unlimited."""
    require_postgres()
    pg_url, drop = await _pg_schema_url()
    auth = AuthSettings(jwt_secret=SECRET)
    try:
        with delay_proxy(pg_url, 0.0) as proxied:
            engine = make_engine(proxied)
            app = await make_app(
                authenticator=JWTAuthenticator(auth),
                auth_settings=auth,
                limiter=RateLimiter(60, store=SQLStore(engine)),
            )
            async with connect(app) as http:
                turn = {"type": "threads.create", "params": {"input": user_input("hi")}}
                first = await http.post("/chatkit", json=turn, headers=as_user("ann"))
                assert first.status_code == 200, first.text
        async with connect(app) as http:  # the proxy has stopped: the store is down
            responses = [
                await http.post("/chatkit", json=turn, headers=as_user("ann")) for _ in range(8)
            ]
        statuses = [r.status_code for r in responses]
        served = statuses.index(503)
        assert served <= 4 and statuses == [200] * served + [503] * (8 - served), statuses
        for refused in responses[served:]:
            assert refused.headers["content-type"].startswith("application/json")
            assert refused.json()["error"]["code"] == "limiter_unavailable"
    finally:
        await engine.dispose()
        await drop()


def _session_request(token: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "POST",
            "path": "/chatkit",
            "headers": [(b"authorization", f"Bearer {token}".encode())],
            "client": ("127.0.0.1", 5000),
        }
    )


async def test_gate_reads_the_retired_token_beside_the_limiters_take(
    store_factory: Callable[[], Any],
) -> None:
    """A bridge session token needs a store read (is it retired?) and the limiter a take: they
    wait together, one round trip, not two; a retired token is still a 401."""
    store = Counting(await store_factory(), delay=0.05)
    settings = AuthSettings(jwt_secret=SECRET, session_secret=b"s" * 40)
    authenticator = JWTAuthenticator(settings)
    gate = Gate(authenticator, RateLimiter(60, store=store), store)
    issued = await issue_session(Principal("ann", {}), settings)
    token = issued["client_secret"]
    assert (await gate.admit(_session_request(token))).user_id == "ann"
    assert store.reads == 1 and store.takes == 1 and store.most_in_flight == 2
    await gate.admit(_session_request(token))  # from the batch: only the read
    assert store.reads == 2 and store.takes == 1
    claims = jwt.decode(token, options={"verify_signature": False})
    await store.retire(claims["jti"], claims["exp"])
    with pytest.raises(Unauthorized) as refused:
        await gate.admit(_session_request(token))
    assert refused.value.code == "token_retired"
    await gate.limiter.close()


async def test_rate_limits_a_shutdown_does_not_wait_for_a_store_that_hangs(
    store_factory: Callable[[], Any],
) -> None:
    store = Counting(await store_factory(), delay=30.0)
    limiter = RateLimiter(60, store=store, clock=Clock())
    waiting = asyncio.create_task(limiter.check("ann"))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await limiter.permits.settle(timeout=0.2)
    assert time.monotonic() - started < 5
    with pytest.raises(asyncio.CancelledError):
        await waiting  # its take was cancelled: the request goes with the shutdown


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_shared_store_a_counter_table_from_before_issue_13_gains_its_column(
    dialect: str, tmp_path: Path
) -> None:
    """Tables made by an earlier version have no `taken` column: start-up adds it, and the
    counts they hold are kept."""
    drop = None
    url = f"sqlite:///{tmp_path}/old.db"
    if dialect == "postgres":
        require_postgres()
        url, drop = await _pg_schema_url()
    engine = make_engine(url)
    real = "DOUBLE PRECISION" if dialect == "postgres" else "REAL"
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(f"CREATE TABLE bridge_rate_limits (key TEXT PRIMARY KEY, tat {real} NOT NULL)")
            )
            await conn.execute(
                text("INSERT INTO bridge_rate_limits (key, tat) VALUES ('user:ann', :tat)"),
                {"tat": 1_000_000.0 + 57.0},  # 57 of 60 spent
            )
        for _ in range(2):  # a second start (another worker) finds it done
            await SQLStore(engine).start()
        store = SQLStore(engine)
        assert await store.take_up_to("user:ann", 60, 1_000_000.0, 5) == (3, 0.0)
        assert (await store.take_up_to("user:ann", 60, 1_000_000.0, 5))[0] == 0
    finally:
        await engine.dispose()
        if drop is not None:
            await drop()
