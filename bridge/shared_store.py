"""State every worker of one bridge shares: rate-limit counters and retired session tokens.

One store per deployment, picked by `make_shared_store`:

- `RedisStore` when `REDIS_URL` is set (the `redis` package's asyncio client, one Lua script);
- `SQLStore` otherwise, on the bridge's own database: PostgreSQL (an UNLOGGED table: losing
  counters in a crash loses nothing that matters) or SQLite (the same file every worker opens);
- `MemoryStore` for one process (tests, embedded apps), or when nothing else is given.

Rate limits use GCRA (the generic cell rate algorithm): one number per key, the "theoretical
arrival time" `tat`, updated in one atomic statement. A key allows bursts of `per_minute` and
refills at `per_minute` a minute, like a token bucket, but needs no read-modify-write. One
statement may take several permits at once (`take_up_to`: as many as the burst has room for),
which is how a worker takes a batch (bridge/permits.py).
"""

from __future__ import annotations

import math
import random
import time
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

_TABLES = {
    "postgresql": (
        "CREATE UNLOGGED TABLE IF NOT EXISTS bridge_rate_limits "
        "(key TEXT PRIMARY KEY, tat DOUBLE PRECISION NOT NULL)",
        "CREATE UNLOGGED TABLE IF NOT EXISTS bridge_retired_tokens "
        "(jti TEXT PRIMARY KEY, until DOUBLE PRECISION NOT NULL)",
    ),
    "sqlite": (
        "CREATE TABLE IF NOT EXISTS bridge_rate_limits (key TEXT PRIMARY KEY, tat REAL NOT NULL)",
        "CREATE TABLE IF NOT EXISTS bridge_retired_tokens "
        "(jti TEXT PRIMARY KEY, until REAL NOT NULL)",
    ),
}
# How many permits the last take granted (issue 13: a take may grant several); added to
# tables made before it.
_TAKEN = "ALTER TABLE bridge_rate_limits ADD COLUMN taken INTEGER NOT NULL DEFAULT 1"
# Full buckets and expired tokens are forgotten now and then (they change no answer).
_SWEEP_ONE_IN = 500


class SharedStore(Protocol):
    """What the rate limiter and session tokens keep where every worker sees it."""

    async def start(self) -> None:
        """Prepare (create tables, connect); called once at start-up."""

    async def close(self) -> None:
        """Release connections."""

    async def take(self, key: str, per_minute: int, now: float) -> float:
        """Count one request for `key`: 0 if allowed, else the seconds until it would be."""

    async def take_up_to(
        self, key: str, per_minute: int, now: float, most: int
    ) -> tuple[int, float]:
        """Count up to `most` requests for `key` at once, as many as the burst has room for:
        (how many, 0), or (0, the seconds until one would be allowed). `most <= per_minute`."""

    async def retire(self, jti: str, until: float) -> bool:
        """Retire a token id until `until`; False if it was already retired."""

    async def is_retired(self, jti: str, now: float) -> bool:
        """Whether a token id was retired (and has not expired since)."""


def _gcra(tat: float | None, per_minute: int, now: float) -> tuple[float, float]:
    """(new tat, 0) if allowed, else (old tat, seconds to wait)."""
    interval = 60.0 / per_minute
    new = max(tat if tat is not None else now, now) + interval
    over = new - now - 60.0
    return (new, 0.0) if over <= 1e-9 else (tat if tat is not None else now, over)


class MemoryStore:
    """One process's store (each worker would have its own: not shared)."""

    _PRUNE_AT = 10_000

    def __init__(self) -> None:
        self._tats: dict[str, float] = {}
        self._retired: dict[str, float] = {}

    async def start(self) -> None:
        """Nothing to prepare."""

    async def close(self) -> None:
        """Nothing to release."""

    async def take(self, key: str, per_minute: int, now: float) -> float:
        """See SharedStore.take."""
        tat, wait = _gcra(self._tats.get(key), per_minute, now)
        if wait == 0.0:
            self._tats[key] = tat
            if len(self._tats) > self._PRUNE_AT:  # forget full buckets
                self._tats = {k: v for k, v in self._tats.items() if v > now}
        return wait

    async def take_up_to(
        self, key: str, per_minute: int, now: float, most: int
    ) -> tuple[int, float]:
        """See SharedStore.take_up_to (one `take` at a time: nothing else runs in between)."""
        granted = 0
        while granted < most:
            wait = await self.take(key, per_minute, now)
            if wait > 0:
                return (granted, 0.0) if granted else (0, wait)
            granted += 1
        return granted, 0.0

    async def retire(self, jti: str, until: float) -> bool:
        """See SharedStore.retire."""
        if jti in self._retired:
            return False
        self._retired[jti] = until
        return True

    async def is_retired(self, jti: str, now: float) -> bool:
        """See SharedStore.is_retired."""
        return self._retired.get(jti, 0.0) > now


class SQLStore:
    """Shared through the bridge's database (PostgreSQL or SQLite)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        if self.dialect not in _TABLES:
            raise ValueError(f"no shared store for {self.dialect}")
        # Each statement is atomic on its own. On PostgreSQL it runs in autocommit on the app's
        # own pool (issue 13: one pool per process), without a pre-ping, so one is a single
        # round trip (a transaction would add BEGIN and COMMIT: several network latencies on
        # Neon); a statement that meets a dropped connection is retried once.
        self._autocommit: AsyncEngine = engine
        if self.dialect == "postgresql":
            self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        pg = self.dialect == "postgresql"
        greatest, least = ("GREATEST", "LEAST") if pg else ("MAX", "MIN")
        floor = "FLOOR({})" if pg else "CAST({} AS INTEGER)"  # positive: SQLite truncates
        base = f"{greatest}(bridge_rate_limits.tat, :now)"
        # As many of `most` as fit under the burst (at least one, once the WHERE let it in).
        fits = floor.format(f"(:now + 60.000000001 - {base}) / :interval")
        granted = f"{least}(:most, {greatest}(1, {fits}))"
        # Allowed: the row is written and returned. Refused: nothing is written or returned.
        # The SET expressions all read the row as it was; `taken` says how many were granted.
        self._take = text(
            "INSERT INTO bridge_rate_limits (key, tat, taken) "
            "VALUES (:key, :now + :interval * :most, :most) "
            f"ON CONFLICT (key) DO UPDATE SET tat = {base} + :interval * {granted}, "
            f"taken = {granted} "
            f"WHERE {base} + :interval - :now <= 60.000000001 "
            "RETURNING taken"
        )

    async def start(self) -> None:
        """Create the tables if they are not there (two workers may race: both succeed)."""
        for statement in _TABLES[self.dialect]:
            table = statement.split("EXISTS ")[1].split()[0]
            await self._ddl(statement, f"SELECT 1 FROM {table} LIMIT 1")
        taken = "SELECT taken FROM bridge_rate_limits LIMIT 1"
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text(taken))
        except DBAPIError:  # a table made before issue 13
            await self._ddl(_TAKEN, taken)

    async def _ddl(self, statement: str, check: str) -> None:
        try:
            async with self.engine.begin() as conn:
                await conn.execute(text(statement))
        except DBAPIError:
            # Another worker made it between our check and ours (PostgreSQL's IF NOT EXISTS is
            # not atomic against a concurrent CREATE): fine if it is there now.
            async with self.engine.connect() as conn:
                await conn.execute(text(check))

    async def close(self) -> None:
        """Nothing to close: the pool is the app's engine's, and the app disposes it."""

    async def take(self, key: str, per_minute: int, now: float) -> float:
        """See SharedStore.take."""
        return (await self.take_up_to(key, per_minute, now, 1))[1]

    async def take_up_to(
        self, key: str, per_minute: int, now: float, most: int
    ) -> tuple[int, float]:
        """See SharedStore.take_up_to."""
        interval = 60.0 / per_minute
        params = {"key": key, "now": now, "interval": interval, "most": most}
        for attempt in (1, 2):
            try:
                async with self._autocommit.begin() as conn:
                    taken = (await conn.execute(self._take, params)).scalar()
                    if taken is not None:
                        if random.randrange(_SWEEP_ONE_IN) == 0:
                            await conn.execute(
                                text("DELETE FROM bridge_rate_limits WHERE tat < :now"),
                                {"now": now},
                            )
                        return int(taken), 0.0
                    tat = (
                        await conn.execute(
                            text("SELECT tat FROM bridge_rate_limits WHERE key = :key"),
                            {"key": key},
                        )
                    ).scalar_one()
                return 0, max(float(tat), now) + interval - now - 60.0
            except DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    async def retire(self, jti: str, until: float) -> bool:
        """See SharedStore.retire."""
        async with self.engine.begin() as conn:
            inserted = (
                await conn.execute(
                    text(
                        "INSERT INTO bridge_retired_tokens (jti, until) VALUES (:jti, :until) "
                        "ON CONFLICT (jti) DO NOTHING RETURNING jti"
                    ),
                    {"jti": jti, "until": until},
                )
            ).first()
            if random.randrange(_SWEEP_ONE_IN) == 0:
                await conn.execute(
                    text("DELETE FROM bridge_retired_tokens WHERE until < :now"),
                    {"now": time.time()},
                )
        return inserted is not None

    async def is_retired(self, jti: str, now: float) -> bool:
        """See SharedStore.is_retired."""
        async with self._autocommit.connect() as conn:
            until = (
                await conn.execute(
                    text("SELECT until FROM bridge_retired_tokens WHERE jti = :jti"), {"jti": jti}
                )
            ).scalar()
        return until is not None and float(until) > now


# KEYS[1]: the counter; ARGV: now, interval, most. Returns {granted, "0"} when allowed (as many
# of `most` as fit under the burst), else {0, the seconds to wait}.
_GCRA_LUA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
local base = math.max(tat, now)
local over = base + interval - now - 60.0
if over > 0.000000001 then return {0, tostring(over)} end
local fits = math.floor((now + 60.000000001 - base) / interval)
local n = math.min(tonumber(ARGV[3]), math.max(1, fits))
local new = base + n * interval
redis.call('SET', KEYS[1], tostring(new), 'PX', math.ceil((new - now) * 1000))
return {n, '0'}
"""


class RedisStore:
    """Shared through Redis (`REDIS_URL`)."""

    def __init__(self, url: str, *, prefix: str = "chatkit-bridge:") -> None:
        import redis.asyncio as redis

        self.url = url
        self.prefix = prefix
        self.client = redis.Redis.from_url(url, decode_responses=True)
        self._script = self.client.register_script(_GCRA_LUA)

    async def start(self) -> None:
        """Fail at start-up, naming the URL, if Redis does not answer."""
        await self.client.ping()

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()

    async def take(self, key: str, per_minute: int, now: float) -> float:
        """See SharedStore.take."""
        return (await self.take_up_to(key, per_minute, now, 1))[1]

    async def take_up_to(
        self, key: str, per_minute: int, now: float, most: int
    ) -> tuple[int, float]:
        """See SharedStore.take_up_to."""
        granted, wait = await self._script(
            keys=[f"{self.prefix}rl:{key}"], args=[now, 60.0 / per_minute, most]
        )
        return int(granted), float(wait)

    async def retire(self, jti: str, until: float) -> bool:
        """See SharedStore.retire."""
        ttl = max(1, math.ceil(until - time.time()))
        done = await self.client.set(f"{self.prefix}retired:{jti}", "1", ex=ttl, nx=True)
        return bool(done)

    async def is_retired(self, jti: str, now: float) -> bool:
        """See SharedStore.is_retired."""
        return bool(await self.client.exists(f"{self.prefix}retired:{jti}"))


def make_shared_store(engine: AsyncEngine, redis_url: str | None) -> SharedStore:
    """Redis when a URL is given, else the bridge's database."""
    if redis_url:
        return RedisStore(redis_url)
    return SQLStore(engine)
