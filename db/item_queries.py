"""Items: append, replace in place, read one or a page, delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from schemas import ThreadItem, encode

from .not_found import ItemNotFound
from .prepared import ITEM_PAGES, Order, insert_item
from .records import ItemPage, item_adapter
from .store_base import StoreBase
from .tables import feedback, items, one_item


def upsert_item(postgres: bool, user_id: str, item: ThreadItem, data: str | None = None) -> Any:
    """Insert an item, or replace the stored one with the same id (keeping its position)."""
    dialect_insert = postgresql.insert if postgres else sqlite.insert
    data = data if data is not None else encode(item).decode()
    statement = dialect_insert(items).values(
        id=item.id,
        thread_id=item.thread_id,
        user_id=user_id,
        type=item.type,
        created_at=item.created_at,
        data=data,
    )
    return statement.on_conflict_do_update(
        index_elements=[items.c.thread_id, items.c.id],
        set_={"type": statement.excluded.type, "data": statement.excluded.data},
        where=items.c.user_id == statement.excluded.user_id,
    )


class ItemQueries(StoreBase):
    """The item operations of the Store."""

    async def add_item(self, user_id: str, item: ThreadItem) -> None:
        """Append an item (its wire JSON) to its thread."""
        async with self._one() as conn:
            await conn.execute(insert_item(user_id, item))

    async def save_item(self, user_id: str, item: ThreadItem) -> None:
        """Replace an item in place (keeping its position), or append it if it is new."""
        async with self._one() as conn:
            await conn.execute(upsert_item(self.postgres, user_id, item))

    async def load_item(self, user_id: str, thread_id: str, item_id: str) -> ThreadItem:
        """One item, or ItemNotFound."""
        async with self._reading() as conn:
            raw = (
                await conn.execute(
                    select(items.c.data).where(one_item(user_id, thread_id, item_id))
                )
            ).scalar_one_or_none()
        if raw is None:
            raise ItemNotFound(item_id)
        return item_adapter.validate_json(raw)

    async def delete_item(self, user_id: str, thread_id: str, item_id: str) -> None:
        """Remove one item (no error if it is already gone)."""
        async with self._one() as conn:
            await conn.execute(delete(items).where(one_item(user_id, thread_id, item_id)))

    async def delete_items_after(self, user_id: str, thread_id: str, item_id: str) -> list[str]:
        """Remove every item after `item_id`; returns the removed ids, oldest first."""
        async with self.engine.begin() as conn:
            anchor = (
                await conn.execute(select(items.c.seq).where(one_item(user_id, thread_id, item_id)))
            ).scalar_one_or_none()
            if anchor is None:
                raise ItemNotFound(item_id)
            later = and_(items.c.thread_id == thread_id, items.c.seq > anchor)
            removed = (
                (await conn.execute(select(items.c.id).where(later).order_by(items.c.seq)))
                .scalars()
                .all()
            )
            await conn.execute(delete(items).where(later))
            await conn.execute(
                delete(feedback).where(
                    feedback.c.thread_id == thread_id, feedback.c.item_id.in_(removed)
                )
            )
        return list(removed)

    async def list_items(
        self,
        user_id: str,
        thread_id: str,
        *,
        limit: int,
        order: Order = "asc",
        after: str | None = None,
    ) -> ItemPage:
        """A page of the items a client may see, as stored JSON, in one query.

        Hidden items are left out in SQL, so pages stay full. Only an empty page costs a
        second query, to tell an unknown thread (404) from an empty one.
        """
        params: dict[str, Any] = {"thread_id": thread_id, "user_id": user_id, "limit": limit + 1}
        if after is not None:
            params["after"] = after
        rows = await self._fetch(ITEM_PAGES[order, after is not None], **params)
        if not rows:
            async with self._reading() as conn:
                await self._require_thread(conn, user_id, thread_id)
                if after is not None:
                    await self._require_item(conn, user_id, thread_id, after)
        has_more = len(rows) > limit
        rows = rows[:limit]
        return ItemPage([row[1] for row in rows], has_more, rows[-1][0] if has_more else None)

    async def load_items(
        self, user_id: str, thread_id: str, *, last: int | None = None
    ) -> list[ThreadItem]:
        """The thread's items, hidden ones included, oldest first (the last `last` if given)."""
        query = select(items.c.data).where(
            items.c.thread_id == thread_id, items.c.user_id == user_id
        )
        if last is not None:
            query = query.order_by(items.c.seq.desc()).limit(last)
        else:
            query = query.order_by(items.c.seq.asc())
        async with self._reading() as conn:
            rows = (await conn.execute(query)).scalars().all()
        loaded = [item_adapter.validate_json(raw) for raw in rows]
        if last is not None:
            loaded.reverse()
        return loaded
