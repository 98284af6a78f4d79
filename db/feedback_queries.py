"""Feedback on items: the latest kind per item wins."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select

from schemas import HIDDEN_ITEM_TYPES

from .not_found import ItemNotFound
from .records import now
from .store_base import StoreBase
from .tables import feedback, items


class FeedbackQueries(StoreBase):
    """The feedback operations of the Store."""

    async def add_feedback(
        self, user_id: str, thread_id: str, item_ids: Sequence[str], kind: str
    ) -> None:
        """Record feedback on items of the user's thread (the latest kind wins)."""
        async with self.engine.begin() as conn:
            await self._require_thread(conn, user_id, thread_id)
            known = set(
                (
                    await conn.execute(
                        select(items.c.id).where(
                            items.c.thread_id == thread_id,
                            items.c.id.in_(list(item_ids)),
                            items.c.type.not_in(HIDDEN_ITEM_TYPES),
                        )
                    )
                ).scalars()
            )
            missing = [item_id for item_id in item_ids if item_id not in known]
            if missing:
                raise ItemNotFound(missing[0])
            await conn.execute(
                delete(feedback).where(
                    feedback.c.thread_id == thread_id, feedback.c.item_id.in_(list(item_ids))
                )
            )
            at = now()
            for item_id in dict.fromkeys(item_ids):
                await conn.execute(
                    insert(feedback).values(
                        user_id=user_id,
                        thread_id=thread_id,
                        item_id=item_id,
                        kind=kind,
                        created_at=at,
                    )
                )

    async def load_feedback(self, user_id: str, thread_id: str) -> dict[str, str]:
        """The feedback on a thread's items: item id to kind."""
        async with self._reading() as conn:
            rows = (
                await conn.execute(
                    select(feedback.c.item_id, feedback.c.kind).where(
                        feedback.c.thread_id == thread_id, feedback.c.user_id == user_id
                    )
                )
            ).all()
        return {row.item_id: row.kind for row in rows}
