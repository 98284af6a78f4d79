"""Per-user attachment quota (issue 15): how many pending attachments and bytes a user may hold.

`BRIDGE_MAX_PENDING_ATTACHMENTS` (default 50) caps the attachments not yet in a message (made
by attachments.create or a direct upload, then never sent); `BRIDGE_ATTACHMENT_QUOTA_BYTES`
(default 1 GB) caps the bytes of all of a user's attachments. 0 turns a cap off. Two creates
racing may overshoot a cap by one; the cap is against floods, not an accounting ledger.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, func, select

from db import Store
from db.models import AttachmentRow

from .errors import Conflict, PayloadTooLarge
from .settings import Settings

_attachments = cast(Table, AttachmentRow.__table__)


async def check_quota(store: Store, settings: Settings, user_id: str, size: int) -> None:
    """Refuse a new attachment of `size` bytes that would put `user_id` past a cap."""
    if not settings.max_pending_attachments and not settings.attachment_quota_bytes:
        return
    query = select(
        func.count().filter(_attachments.c.thread_id.is_(None)),
        func.coalesce(func.sum(_attachments.c.size), 0),
    ).where(_attachments.c.user_id == user_id)
    async with store.engine.connect() as conn:
        pending, used = (await conn.execute(query)).one()
    cap = settings.max_pending_attachments
    if cap and pending >= cap:
        raise Conflict(
            f"you have {pending} attachments not yet sent in a message (the limit is {cap}); "
            "send or delete some first",
            code="attachment_quota_exceeded",
        )
    quota = settings.attachment_quota_bytes
    if quota and int(used) + size > quota:
        raise PayloadTooLarge(
            f"your attachments would take {int(used) + size} bytes; the quota is {quota} bytes",
            code="attachment_quota_exceeded",
        )
