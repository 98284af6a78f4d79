"""Attachments: registered before their bytes arrive, updated on upload, read, deleted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update

from schemas import Attachment, encode

from .not_found import AttachmentNotFound
from .records import StoredAttachment, now, stored_attachment
from .store_base import StoreBase
from .tables import attachments


class AttachmentQueries(StoreBase):
    """The attachment operations of the Store."""

    async def add_attachment(
        self, user_id: str, attachment: Attachment, *, size: int, storage: str
    ) -> None:
        """Register an attachment whose bytes have not arrived yet."""
        async with self._one() as conn:
            await conn.execute(
                insert(attachments).values(
                    id=attachment.id,
                    user_id=user_id,
                    thread_id=attachment.thread_id,
                    name=attachment.name,
                    mime_type=attachment.mime_type,
                    size=size,
                    uploaded=False,
                    storage=storage,
                    created_at=now(),
                    data=encode(attachment).decode(),
                )
            )

    async def load_attachment(self, user_id: str, attachment_id: str) -> StoredAttachment:
        """An attachment, or AttachmentNotFound."""
        async with self._reading() as conn:
            row = await _attachment_row(conn, user_id, attachment_id)
        return stored_attachment(row)

    async def save_attachment(
        self,
        user_id: str,
        attachment: Attachment,
        *,
        size: int | None = None,
        uploaded: bool | None = None,
        content: bytes | None = None,
    ) -> None:
        """Update an attachment's wire JSON and thread, and optionally its size, state, bytes."""
        values: dict[str, Any] = {
            "data": encode(attachment).decode(),
            "thread_id": attachment.thread_id,
        }
        if size is not None:
            values["size"] = size
        if uploaded is not None:
            values["uploaded"] = uploaded
        if content is not None:
            values["content"] = content
        async with self._one() as conn:
            result = await conn.execute(
                update(attachments)
                .where(attachments.c.id == attachment.id, attachments.c.user_id == user_id)
                .values(**values)
            )
        if result.rowcount == 0:
            raise AttachmentNotFound(attachment.id)

    async def load_attachment_content(self, user_id: str, attachment_id: str) -> bytes | None:
        """The bytes of an attachment stored in the database."""
        async with self._reading() as conn:
            row = (
                await conn.execute(
                    select(attachments.c.content).where(
                        attachments.c.id == attachment_id, attachments.c.user_id == user_id
                    )
                )
            ).first()
        if row is None:
            raise AttachmentNotFound(attachment_id)
        content: bytes | None = row.content
        return content

    async def delete_attachment(self, user_id: str, attachment_id: str) -> StoredAttachment:
        """Remove an attachment's record; returns it so its file can be removed."""
        async with self.engine.begin() as conn:
            row = await _attachment_row(conn, user_id, attachment_id)
            await conn.execute(delete(attachments).where(attachments.c.id == attachment_id))
        return stored_attachment(row)


async def _attachment_row(conn: Any, user_id: str, attachment_id: str) -> Any:
    """The user's attachment row, or AttachmentNotFound."""
    row = (
        await conn.execute(
            select(attachments).where(
                attachments.c.id == attachment_id, attachments.c.user_id == user_id
            )
        )
    ).first()
    if row is None:
        raise AttachmentNotFound(attachment_id)
    return row
