"""The stream lease of a thread: taken before a turn's stream, held while it runs, released
when it ends, and the fence on every write the turn makes.

One stream per thread, on any worker: the lease is a token on the thread's row that expires
`ttl` seconds after it was last renewed (15 s by default, renewed every `ttl / 3`), so a
worker killed mid-stream blocks its thread for at most `ttl` (issue #15). A worker that was
paused past its lease (SIGSTOP, a frozen VM) may find its thread taken by another stream:
every write goes through `Lease`, whose fenced statements change nothing once another token
holds the thread, and before each event the turn calls `ensure()`, which re-checks the lease
with the database whenever the local clock says it may have expired. Either way the old
stream raises `LeaseLost`, stops, and writes nothing more.

    handler:  lease = Lease.new(...) → take() / start_turn(item) / create_thread(...)  (4xx)
    run_turn: start() … ensure() · save_item() · delete_item() · title() … release()
    response: on_close → release()  (the generator's own finally never runs when the client
              left before the body started; release is idempotent)
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import anyio

from db import LeaseLost, Store
from schemas import ThreadItem, ThreadMetadata

from .ids import new_id

log = logging.getLogger("bridge.lease")

CLEANUP_SECONDS = 10.0
TRUSTED_FRACTION = 2 / 3
"""Of the lease's ttl, how long after a confirmation it is trusted without asking the
database: the rest is the margin for clock differences between workers."""

__all__ = ["Lease", "LeaseLost"]


@dataclass
class Lease:
    """A turn's lease on its thread (see the module docstring)."""

    store: Store
    user_id: str
    thread_id: str
    token: str
    ttl: float
    lost: bool = False
    _trusted_until: float = field(default=0.0, repr=False)
    _renewer: asyncio.Task[None] | None = field(default=None, repr=False)
    _retrier: asyncio.Task[None] | None = field(default=None, repr=False)
    _released: bool = field(default=False, repr=False)

    @classmethod
    def new(cls, store: Store, user_id: str, thread_id: str, ttl: float) -> Lease:
        """A lease not taken yet, with a fresh token."""
        return cls(store, user_id, thread_id, new_id("lease"), ttl)

    # ---- taking it (before the stream: failures are 4xx) ----------------------------------

    async def take(self) -> bool:
        """Take the lease on an existing thread; False if another live stream holds it."""
        sent = self._now()
        taken = await self.store.acquire_thread(self.user_id, self.thread_id, self.token, self.ttl)
        if taken:
            self._confirmed(sent)
        return taken

    async def start_turn(self, item: ThreadItem | None) -> tuple[ThreadMetadata, bool]:
        """Take the lease and store `item` in one round trip; the thread and whether taken."""
        sent = self._now()
        thread, taken = await self.store.start_turn(
            self.user_id, self.thread_id, self.token, self.ttl, item
        )
        if taken:
            self._confirmed(sent)
        return thread, taken

    async def create_thread(self, thread: ThreadMetadata, first_item: ThreadItem) -> None:
        """Store a new thread with its first item, this lease already held on it."""
        sent = self._now()
        await self.store.create_thread(
            self.user_id, thread, first_item=first_item, lease=(self.token, self.ttl)
        )
        self._confirmed(sent)

    # ---- holding it -----------------------------------------------------------------------

    def start(self) -> None:
        """Begin renewing the lease in the background."""
        if self._renewer is None and not self._released:
            self._renewer = asyncio.get_running_loop().create_task(self._renew_forever())

    async def ensure(self) -> None:
        """Raise LeaseLost if another stream took the thread; costs a round trip only when
        the lease has not been confirmed for a while (the process was paused, or renewals
        failed)."""
        if self.lost:
            raise LeaseLost(self.thread_id)
        if self._now() >= self._trusted_until:
            await self._renew()
            if self.lost:
                raise LeaseLost(self.thread_id)

    async def save_item(self, item: ThreadItem) -> None:
        """Store (insert or replace) an item of the turn, fenced."""
        if self.lost or not await self.store.save_item_fenced(self.user_id, item, self.token):
            self.lost = True
            raise LeaseLost(self.thread_id)

    async def delete_item(self, item_id: str) -> None:
        """Remove an item of the thread, fenced."""
        if self.lost or not await self.store.delete_item_fenced(
            self.user_id, self.thread_id, item_id, self.token
        ):
            self.lost = True
            raise LeaseLost(self.thread_id)

    async def save_thread(self, thread: ThreadMetadata, meta: dict[str, Any]) -> None:
        """Store the thread's title and status as the app set them (and its server-side
        metadata when given); checked against the lease first."""
        await self.ensure()
        await self.store.save_thread(self.user_id, thread)
        if meta:  # the app's server-side data: stored, never sent
            await self.store.save_thread_meta(self.user_id, thread.id, meta)

    async def title(self, title: str) -> bool:
        """Title the thread if it has no title yet and the lease is held; whether it did."""
        if self.lost:
            return False
        return await self.store.title_thread(self.user_id, self.thread_id, title, self.token)

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                await self._renew()
            except Exception:  # a failed renewal only shortens the lease
                log.warning("could not renew the lease of thread %s", self.thread_id)
            if self.lost:
                log.warning("thread %s was taken over by another stream", self.thread_id)
                return

    async def _renew(self) -> None:
        sent = self._now()
        if await self.store.renew_thread(self.thread_id, self.token, self.ttl):
            self._confirmed(sent)
        else:
            self.lost = True

    def _confirmed(self, sent: float) -> None:
        self._trusted_until = sent + self.ttl * TRUSTED_FRACTION

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    # ---- giving it back -------------------------------------------------------------------

    async def release(self) -> None:
        """Stop renewing and give the lease back; safe to call twice; never raises.

        If the database is away, the release is retried in the background until it works or
        the lease has expired anyway, so the thread is usable as soon as the database is back.
        A lost lease is not released: the thread is another stream's now.
        """
        if self._renewer is not None:
            self._renewer.cancel()
            self._renewer = None
        if self._released:  # the stream's end and the response's close both call this
            return
        self._released = True
        if self.lost:
            return
        with anyio.CancelScope(shield=True), anyio.move_on_after(CLEANUP_SECONDS):
            try:
                await self.store.release_thread(self.thread_id, self.token)
            except Exception:
                log.warning("could not release the lease of thread %s; retrying", self.thread_id)
                self._retrier = asyncio.get_running_loop().create_task(self._release_later())

    async def _release_later(self) -> None:
        deadline = self._now() + self.ttl
        pause = 0.2
        while self._now() < deadline:
            await asyncio.sleep(pause)
            try:
                await self.store.release_thread(self.thread_id, self.token)
                return
            except Exception:
                pause = min(pause * 2, 2.0)
