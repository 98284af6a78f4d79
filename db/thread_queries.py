"""Threads: create (with the first message and the lease), load, rename, list, delete."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, text, update

from schemas import ThreadItem, ThreadMetadata, encode

from .not_found import ThreadNotFound
from .prepared import THREAD, THREAD_PAGES, Order, insert_item
from .records import (
    ItemPage,
    StoredAttachment,
    listed_thread_json,
    now,
    stored_attachment,
    thread_metadata,
)
from .store_base import StoreBase
from .tables import attachments, feedback, items, threads

# The thread, its first item and the lease in one statement: one round trip on PostgreSQL.
_CREATE_WITH_ITEM = text(
    """
    WITH made AS (
        INSERT INTO threads
            (id, user_id, title, status, created_at, updated_at, meta, busy_token, busy_until)
        VALUES
            (:thread_id, :user_id, :title, :status, :created_at, :now, '{}', :token, :until)
        RETURNING id
    )
    INSERT INTO items (id, thread_id, user_id, type, created_at, data)
    SELECT :item_id, made.id, :item_user_id, :item_type, :item_created_at, :data FROM made
    """
)


class ThreadQueries(StoreBase):
    """The thread operations of the Store."""

    async def create_thread(
        self,
        user_id: str,
        thread: ThreadMetadata,
        *,
        first_item: ThreadItem | None = None,
        lease: tuple[str, float] | None = None,
    ) -> None:
        """Insert a new thread; with its first item and its stream lease `(token, ttl)` in the
        same statement, so no thread is ever stored without its first message."""
        at = now()
        values: dict[str, Any] = {
            "id": thread.id,
            "user_id": user_id,
            "title": thread.title,
            "status": encode(thread.status).decode(),
            "created_at": thread.created_at,
            "updated_at": at,
            "meta": "{}",
            "busy_token": lease[0] if lease else None,
            "busy_until": at + timedelta(seconds=lease[1]) if lease else None,
        }
        if self.postgres and first_item is not None:
            async with self._one() as conn:
                await conn.execute(
                    _CREATE_WITH_ITEM,
                    {
                        "thread_id": thread.id,
                        "user_id": user_id,
                        "title": thread.title,
                        "status": values["status"],
                        "created_at": thread.created_at,
                        "now": at,
                        "token": values["busy_token"],
                        "until": values["busy_until"],
                        "item_id": first_item.id,
                        "item_user_id": user_id,
                        "item_type": first_item.type,
                        "item_created_at": first_item.created_at,
                        "data": encode(first_item).decode(),
                    },
                )
            return
        async with self.engine.begin() as conn:
            await conn.execute(insert(threads).values(**values))
            if first_item is not None:
                await conn.execute(insert_item(user_id, first_item))

    async def load_thread(self, user_id: str, thread_id: str) -> ThreadMetadata:
        """A thread's metadata, or ThreadNotFound."""
        rows = await self._fetch(THREAD, thread_id=thread_id, user_id=user_id)
        if not rows:
            raise ThreadNotFound(thread_id)
        return thread_metadata(*rows[0])

    async def save_thread(self, user_id: str, thread: ThreadMetadata) -> None:
        """Store a thread's title and status."""
        async with self._one() as conn:
            result = await conn.execute(
                update(threads)
                .where(threads.c.id == thread.id, threads.c.user_id == user_id)
                .values(
                    title=thread.title,
                    status=encode(thread.status).decode(),
                    updated_at=now(),
                )
            )
        if result.rowcount == 0:
            raise ThreadNotFound(thread.id)

    async def list_threads(
        self, user_id: str, *, limit: int, order: Order = "desc", after: str | None = None
    ) -> ItemPage:
        """A page of the user's threads, by creation order, as wire JSON."""
        params: dict[str, Any] = {"user_id": user_id, "limit": limit + 1}
        if after is not None:
            params["after"] = after
        rows = await self._fetch(THREAD_PAGES[order, after is not None], **params)
        if not rows and after is not None:
            async with self._reading() as conn:
                await self._require_thread(conn, user_id, after)
        has_more = len(rows) > limit
        rows = rows[:limit]
        data = [listed_thread_json(*row) for row in rows]
        return ItemPage(data, has_more, rows[-1][0] if has_more else None)

    async def delete_thread(self, user_id: str, thread_id: str) -> list[StoredAttachment]:
        """Delete a thread with its items, feedback and attachments; returns the attachments."""
        async with self.engine.begin() as conn:
            await self._require_thread(conn, user_id, thread_id)
            rows = (
                await conn.execute(
                    select(attachments).where(
                        attachments.c.thread_id == thread_id, attachments.c.user_id == user_id
                    )
                )
            ).all()
            await conn.execute(delete(feedback).where(feedback.c.thread_id == thread_id))
            await conn.execute(delete(items).where(items.c.thread_id == thread_id))
            await conn.execute(
                delete(attachments).where(
                    attachments.c.thread_id == thread_id, attachments.c.user_id == user_id
                )
            )
            await conn.execute(
                delete(threads).where(threads.c.id == thread_id, threads.c.user_id == user_id)
            )
        return [stored_attachment(row) for row in rows]

    async def load_thread_meta(self, user_id: str, thread_id: str) -> dict[str, Any]:
        """The thread's private server state."""
        async with self._reading() as conn:
            raw = (
                await conn.execute(
                    select(threads.c.meta).where(
                        threads.c.id == thread_id, threads.c.user_id == user_id
                    )
                )
            ).scalar_one_or_none()
        if raw is None:
            raise ThreadNotFound(thread_id)
        value: dict[str, Any] = json.loads(raw)
        return value

    async def save_thread_meta(self, user_id: str, thread_id: str, meta: dict[str, Any]) -> None:
        """Replace the thread's private server state."""
        async with self._one() as conn:
            await conn.execute(
                update(threads)
                .where(threads.c.id == thread_id, threads.c.user_id == user_id)
                .values(meta=json.dumps(meta))
            )
