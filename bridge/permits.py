"""Per-worker permit batches: the shared rate limit without a round trip on the request path.

Counting each request in the shared store (bridge/shared_store.py) is one awaited round trip
before anything else the request does: on a database 20 ms away, 20 ms more before a turn's
first event (issue 13). Instead a worker takes a few permits for a key in one store operation
(`take_up_to`) and admits the key's next requests from them with no round trip; when they run
low it takes more in the background, one take in flight per key, so a key in steady use never
waits for the store. The first request for a key on a worker (or after its permits ran out or
expired) awaits the take, and fails closed like any store failure (503 `limiter_unavailable`).

Exact in count: a permit is counted in the shared store when it is taken, so all workers
together never admit more than the store grants, and a burst past the limit is refused with
the store's Retry-After, as without batches. What batching costs, and why it is bounded:

- permits one worker holds are not usable by another: a key served by several workers may be
  refused while another worker still holds a few of its permits (at most a batch each: a
  refill asks only for what tops the held permits up to a batch);
- a permit may be used after it was counted, up to `HOLD_SECONDS` later (then it expires
  unused and stays counted). Over any span, the requests admitted are the permits taken in
  the span (at most what GCRA grants over it) plus those held when it began: at most what
  GCRA grants plus a batch per worker (at 60 a minute: 5 per worker).

A batch is what the key earns in `BATCH_SECONDS` (5 at 60 a minute, at most `BATCH_MAX`), so a
batch is a small share of the key's burst. Permits are held for `HOLD_SECONDS` (five minutes),
longer than a person takes to read an answer and type the next message: the requests the
widget sends when a page opens take a batch, and the messages that follow within five minutes
are admitted from it without waiting for the store. Under 24 a minute a batch would be one
permit, a large share of so small a limit to leave on one worker: such a key is counted
request by request, each request awaiting the store, as before issue 13.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .shared_store import SharedStore

log = logging.getLogger(__name__)

BATCH_SECONDS = 5.0
HOLD_SECONDS = 300.0
BATCH_MAX = 10
_PRUNE_AT = 10_000


@dataclass(frozen=True)
class _Taken:
    """What one store operation answered, and when it was asked."""

    granted: int
    wait: float
    at: float


@dataclass
class _Held:
    """One key's permits on this worker: (expires, count) chunks, oldest first."""

    chunks: deque[tuple[float, int]] = field(default_factory=deque)
    taking: asyncio.Task[_Taken] | None = None

    def count(self, now: float) -> int:
        while self.chunks and self.chunks[0][0] <= now:
            self.chunks.popleft()
        return sum(n for _, n in self.chunks)

    def use(self, now: float) -> bool:
        if not self.count(now):
            return False
        expires, n = self.chunks[0]
        if n == 1:
            self.chunks.popleft()
        else:
            self.chunks[0] = (expires, n - 1)
        return True


class PermitBatches:
    """A `SharedStore`'s rate limit, taken by this worker a batch at a time."""

    def __init__(
        self,
        store: SharedStore,
        clock: Callable[[], float],
        *,
        hold: float = HOLD_SECONDS,
        earn: float = BATCH_SECONDS,
        most: int = BATCH_MAX,
    ) -> None:
        self.store = store
        self.hold = hold
        self.earn = earn
        self.most = most
        self._clock = clock
        self._held: dict[str, _Held] = {}

    def batch(self, per_minute: int) -> int:
        """How many permits one take asks for: what the key earns in `earn` seconds."""
        return max(1, min(self.most, per_minute, int(per_minute * self.earn / 60.0)))

    def holding(self, key: str) -> int:
        """How many unexpired permits this worker holds for `key`."""
        held = self._held.get(key)
        return held.count(self._clock()) if held is not None else 0

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait for the takes in flight, up to `timeout` s, then cancel what is left (a store
        that stopped answering must not hold up a shutdown)."""
        tasks = {h.taking for h in self._held.values() if h.taking is not None}
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def take(self, key: str, per_minute: int) -> float:
        """Admit one request for `key`: 0, or the seconds until one would be admitted."""
        if self.batch(per_minute) < 2:
            # No batch: each request is counted as it comes (see the module's docstring).
            return await self.store.take(key, per_minute, self._clock())
        held = self._held.get(key)
        if held is None:
            if len(self._held) >= _PRUNE_AT:
                self._prune()
            held = self._held[key] = _Held()
        while True:
            if held.use(self._clock()):
                self._top_up(key, held, per_minute)
                return 0.0
            mine = held.taking is None
            task = held.taking or self._start(key, held, per_minute)
            try:
                # Shielded: a request that goes away leaves the take to finish for the others.
                taken = await asyncio.shield(task)
            except Exception:
                if mine:
                    raise  # the store failed this request's own take: 503
                continue  # a background take failed (it was logged): take for ourselves
            now = self._clock()
            if held.use(now):
                self._top_up(key, held, per_minute)
                return 0.0
            wait = taken.wait - (now - taken.at)
            if not taken.granted and wait > 0:
                return wait
            # Requests that were faster used the permits (or the wait is over): take again.

    def _top_up(self, key: str, held: _Held, per_minute: int) -> None:
        if held.taking is None and held.count(self._clock()) <= self.batch(per_minute) // 2:
            self._start(key, held, per_minute)

    def _start(self, key: str, held: _Held, per_minute: int) -> asyncio.Task[_Taken]:
        want = max(1, self.batch(per_minute) - held.count(self._clock()))
        task = asyncio.create_task(self._take(held, key, per_minute, want))
        task.add_done_callback(_log_failure)
        held.taking = task
        return task

    async def _take(self, held: _Held, key: str, per_minute: int, want: int) -> _Taken:
        now = self._clock()
        try:
            granted, wait = await self.store.take_up_to(key, per_minute, now, want)
        finally:
            held.taking = None
        if granted:
            held.chunks.append((now + self.hold, granted))
        return _Taken(granted, wait, now)

    def _prune(self) -> None:
        now = self._clock()
        self._held = {k: h for k, h in self._held.items() if h.taking is not None or h.count(now)}


def _log_failure(task: asyncio.Task[_Taken]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        # No key in the line: keys name users and addresses.
        log.warning("rate limiter: taking permits from the shared store failed: %r", exc)
