"""The stream lease on a thread, and the fenced writes of a streaming turn.

A thread has at most one live stream, on any worker: the stream's lease is a row update
(`busy_token`, `busy_until`), taken only when no other unexpired token holds it. A worker
that dies leaves a lease that expires; a worker that was paused past its lease finds, on its
next write, that another token holds the thread: every write of a turn is fenced (it
happens only while the thread still carries the turn's token) and a fenced write that finds
another token changes nothing and reports it, so the old stream stops (issue #15).

On PostgreSQL each of these is one statement, so one round trip (issue #13):
`start_turn` authorises, takes the lease and stores the user message at once; the fence is a
`FOR SHARE` lock on the thread row inside the write, so a takeover waits for the write or the
write sees the takeover, never both. SQLite serialises writers, so its versions are plain
transactions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, bindparam, delete, select, text, update

from schemas import ActiveStatus, ThreadItem, ThreadMetadata, encode

from .not_found import ThreadNotFound
from .prepared import insert_item
from .records import now, thread_metadata
from .store_base import StoreBase
from .tables import items, one_item, threads

ACTIVE = encode(ActiveStatus()).decode()
"""How an active thread's status is stored: only active threads take new turns."""

_START = """
    WITH taken AS (
        UPDATE threads SET busy_token = :token, busy_until = :until
        WHERE id = :thread_id AND user_id = :user_id AND status = :active
          AND (busy_token IS NULL OR busy_until < :now)
        RETURNING id
    ){added}
    SELECT id, title, status, created_at, (SELECT count(*) FROM taken) AS taken
    FROM threads WHERE id = :thread_id AND user_id = :user_id
"""
_ADDED = """, added AS (
        INSERT INTO items (id, thread_id, user_id, type, created_at, data)
        SELECT :item_id, taken.id, :item_user_id, :item_type, :item_created_at, :data FROM taken
        RETURNING id
    )"""
_START_WITH_ITEM = text(_START.format(added=_ADDED))
_START_ONLY = text(_START.format(added=""))

_FENCED_UPSERT = """
    INSERT INTO items (id, thread_id, user_id, type, created_at, data)
    SELECT :id, :thread_id, :user_id, :type, :created_at, :data
    WHERE EXISTS (SELECT 1 FROM threads WHERE id = :held_thread AND busy_token = :token{lock})
    ON CONFLICT (thread_id, id) DO UPDATE SET type = excluded.type, data = excluded.data
    WHERE items.user_id = excluded.user_id
"""
_STAMP = DateTime(timezone=True)
_UPSERTS = {
    postgres: text(_FENCED_UPSERT.format(lock=" FOR SHARE" if postgres else "")).bindparams(
        bindparam("created_at", type_=_STAMP)
    )
    for postgres in (True, False)
}


class LeaseQueries(StoreBase):
    """The lease operations of the Store, and the turn's fenced writes."""

    async def start_turn(
        self, user_id: str, thread_id: str, token: str, ttl: float, item: ThreadItem | None
    ) -> tuple[ThreadMetadata, bool]:
        """Take an active thread's lease and store `item` with it, in one statement.

        Returns the thread as it was and whether the lease was taken (and the item stored);
        ThreadNotFound for another user's or no thread. Nothing changes unless the thread is
        active and no other live stream holds it.
        """
        at = now()
        until = at + timedelta(seconds=ttl)
        if not self.postgres:
            return await self._start_turn_sqlite(user_id, thread_id, token, at, until, item)
        params: dict[str, Any] = {
            "token": token,
            "until": until,
            "now": at,
            "thread_id": thread_id,
            "user_id": user_id,
            "active": ACTIVE,
        }
        if item is not None:
            params |= {
                "item_id": item.id,
                "item_user_id": user_id,
                "item_type": item.type,
                "item_created_at": item.created_at,
                "data": encode(item).decode(),
            }
        async with self._one() as conn:
            row = (
                await conn.execute(_START_WITH_ITEM if item is not None else _START_ONLY, params)
            ).first()
        if row is None:
            raise ThreadNotFound(thread_id)
        return thread_metadata(*row[:4]), bool(row[4])

    async def _start_turn_sqlite(
        self,
        user_id: str,
        thread_id: str,
        token: str,
        at: datetime,
        until: datetime,
        item: ThreadItem | None,
    ) -> tuple[ThreadMetadata, bool]:
        async with self.engine.begin() as conn:
            taken = (
                await conn.execute(
                    update(threads)
                    .where(
                        threads.c.id == thread_id,
                        threads.c.user_id == user_id,
                        threads.c.status == ACTIVE,
                        threads.c.busy_token.is_(None) | (threads.c.busy_until < at),
                    )
                    .values(busy_token=token, busy_until=until)
                )
            ).rowcount == 1
            row = (
                await conn.execute(
                    select(
                        threads.c.id, threads.c.title, threads.c.status, threads.c.created_at
                    ).where(threads.c.id == thread_id, threads.c.user_id == user_id)
                )
            ).first()
            if row is None:
                raise ThreadNotFound(thread_id)
            if taken and item is not None:
                await conn.execute(insert_item(user_id, item))
        return thread_metadata(*row), taken

    async def acquire_thread(self, user_id: str, thread_id: str, token: str, ttl: float) -> bool:
        """Take the thread's stream lease unless another live stream holds it.

        The lease is a row update, so it works across workers and machines on PostgreSQL;
        an expired lease (a crashed worker) is taken over.
        """
        at = now()
        async with self._one() as conn:
            result = await conn.execute(
                update(threads)
                .where(
                    threads.c.id == thread_id,
                    threads.c.user_id == user_id,
                    (threads.c.busy_token.is_(None)) | (threads.c.busy_until < at),
                )
                .values(busy_token=token, busy_until=at + timedelta(seconds=ttl))
            )
        if result.rowcount == 1:
            return True
        async with self._reading() as conn:
            await self._require_thread(conn, user_id, thread_id)
        return False

    async def renew_thread(self, thread_id: str, token: str, ttl: float) -> bool:
        """Extend a lease this stream holds; False if another stream holds the thread now."""
        async with self._one() as conn:
            result = await conn.execute(
                update(threads)
                .where(threads.c.id == thread_id, threads.c.busy_token == token)
                .values(busy_until=now() + timedelta(seconds=ttl))
            )
        return bool(result.rowcount == 1)

    async def release_thread(self, thread_id: str, token: str) -> None:
        """Give the lease back (only if this stream still holds it)."""
        async with self._one() as conn:
            await conn.execute(
                update(threads)
                .where(threads.c.id == thread_id, threads.c.busy_token == token)
                .values(busy_token=None, busy_until=None)
            )

    # ---- fenced writes: each changes nothing and returns False once the lease is lost -----

    async def save_item_fenced(self, user_id: str, item: ThreadItem, token: str) -> bool:
        """`save_item` while the thread carries `token`; False (nothing written) if not."""
        async with self._one() as conn:
            result = await conn.execute(
                _UPSERTS[self.postgres],
                {
                    "id": item.id,
                    "thread_id": item.thread_id,
                    "user_id": user_id,
                    "type": item.type,
                    "created_at": item.created_at,
                    "data": encode(item).decode(),
                    "held_thread": item.thread_id,
                    "token": token,
                },
            )
        return bool(result.rowcount == 1)

    async def delete_item_fenced(
        self, user_id: str, thread_id: str, item_id: str, token: str
    ) -> bool:
        """`delete_item` while the thread carries `token`; False (nothing deleted) if not."""
        held = select(threads.c.id).where(threads.c.id == thread_id, threads.c.busy_token == token)
        if self.postgres:
            held = held.with_for_update(read=True)
        async with self.engine.begin() as conn:
            if (await conn.execute(held)).first() is None:
                return False
            await conn.execute(delete(items).where(one_item(user_id, thread_id, item_id)))
        return True

    async def title_thread(self, user_id: str, thread_id: str, title: str, token: str) -> bool:
        """Give an untitled thread `title` while the stream holds it; whether it was set
        (a title the user gave meanwhile wins)."""
        async with self._one() as conn:
            result = await conn.execute(
                update(threads)
                .where(
                    threads.c.id == thread_id,
                    threads.c.user_id == user_id,
                    threads.c.title.is_(None),
                    threads.c.busy_token == token,
                )
                .values(title=title, updated_at=now())
            )
        return bool(result.rowcount == 1)
