"""The store the engine needs: threads, items, attachments, feedback and the stream lease.

`db.Store` (SQLAlchemy on SQLite or PostgreSQL) implements it; a team may bring its own and
give it to `create_app(store=...)`. The contract every implementation keeps:

- every method takes the owner's `user_id` (the lease methods take the thread's token
  instead) and treats another user's records exactly as absent: `db.ThreadNotFound`,
  `ItemNotFound`, `AttachmentNotFound` (subclasses of `db.NotFound`, answered 404);
- items are stored as their wire JSON and read back as `schemas.ThreadItem`; `list_items`
  and `list_threads` return pages of stored JSON strings (`db.ItemPage`), which the handlers
  send as they are;
- the lease is one token per thread with an expiry: `acquire_thread` / `start_turn` /
  `create_thread(lease=...)` take it (or an expired one), `renew_thread` extends it,
  `release_thread` gives it back; only one stream runs per thread, on any worker, and the
  `*_fenced` writes and `title_thread` change nothing once another token holds the thread
  (bridge/lease.py).

An app's own tables are not here: they belong to the app (`bridge/plugin.py` AppTables).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

from db import ItemPage
from db.store import StoredAttachment
from schemas import Attachment, ThreadItem, ThreadMetadata

Order = Literal["asc", "desc"]


class Store(Protocol):
    """What handlers, the turn pipeline and the lease call; see the module's contract."""

    # ---- threads -----------------------------------------------------------------------------

    async def create_thread(
        self,
        user_id: str,
        thread: ThreadMetadata,
        *,
        first_item: ThreadItem | None = None,
        lease: tuple[str, float] | None = None,
    ) -> None:
        """Create a thread, with its first item and its lease (token, ttl) in one write."""

    async def load_thread(self, user_id: str, thread_id: str) -> ThreadMetadata:
        """The thread, or ThreadNotFound."""
        ...

    async def save_thread(self, user_id: str, thread: ThreadMetadata) -> None:
        """Store the thread's title, status and metadata."""

    async def list_threads(
        self, user_id: str, *, limit: int, order: Order = "desc", after: str | None = None
    ) -> ItemPage:
        """A page of the user's threads as wire JSON, newest first by default."""
        ...

    async def delete_thread(self, user_id: str, thread_id: str) -> list[StoredAttachment]:
        """Delete the thread and its items; returns its attachments, whose bytes go next."""
        ...

    async def load_thread_meta(self, user_id: str, thread_id: str) -> dict[str, Any]:
        """The bridge's private notes on a thread (not sent to the widget)."""
        ...

    async def save_thread_meta(self, user_id: str, thread_id: str, meta: dict[str, Any]) -> None:
        """Replace the bridge's private notes on a thread."""

    # ---- the stream lease --------------------------------------------------------------------

    async def acquire_thread(self, user_id: str, thread_id: str, token: str, ttl: float) -> bool:
        """Take the thread's lease for `ttl` seconds; False if another live stream holds it."""
        ...

    async def start_turn(
        self, user_id: str, thread_id: str, token: str, ttl: float, item: ThreadItem | None
    ) -> tuple[ThreadMetadata, bool]:
        """Take an active thread's lease and store `item` with it, in one write; returns the
        thread and whether the lease was taken (ThreadNotFound for no such thread)."""
        ...

    async def renew_thread(self, thread_id: str, token: str, ttl: float) -> bool:
        """Extend the lease this token holds; False if another stream holds the thread now."""
        ...

    async def release_thread(self, thread_id: str, token: str) -> None:
        """Give back the lease this token holds (nothing if it is not held)."""

    async def save_item_fenced(self, user_id: str, item: ThreadItem, token: str) -> bool:
        """`save_item` while the thread carries `token`; False (nothing written) if not."""
        ...

    async def delete_item_fenced(
        self, user_id: str, thread_id: str, item_id: str, token: str
    ) -> bool:
        """`delete_item` while the thread carries `token`; False (nothing deleted) if not."""
        ...

    async def title_thread(self, user_id: str, thread_id: str, title: str, token: str) -> bool:
        """Title an untitled thread while the stream holds it; whether it was set."""
        ...

    # ---- items -------------------------------------------------------------------------------

    async def add_item(self, user_id: str, item: ThreadItem) -> None:
        """Append an item to its thread."""

    async def save_item(self, user_id: str, item: ThreadItem) -> None:
        """Store an item, replacing one with its id in place (its position kept)."""

    async def load_item(self, user_id: str, thread_id: str, item_id: str) -> ThreadItem:
        """One item, or ItemNotFound."""
        ...

    async def delete_item(self, user_id: str, thread_id: str, item_id: str) -> None:
        """Delete one item."""

    async def delete_items_after(self, user_id: str, thread_id: str, item_id: str) -> list[str]:
        """Delete the items after `item_id` (a retry); returns their ids."""
        ...

    async def list_items(
        self,
        user_id: str,
        thread_id: str,
        *,
        limit: int,
        order: Order = "asc",
        after: str | None = None,
    ) -> ItemPage:
        """A page of the thread's visible items as wire JSON (hidden items left out)."""
        ...

    async def load_items(
        self, user_id: str, thread_id: str, *, last: int | None = None
    ) -> list[ThreadItem]:
        """The thread's items, hidden ones included, oldest first (the model's history)."""
        ...

    # ---- attachments -------------------------------------------------------------------------

    async def add_attachment(
        self, user_id: str, attachment: Attachment, *, size: int, storage: str
    ) -> None:
        """Record a new attachment (its bytes come later, on disk or in `save_attachment`)."""

    async def load_attachment(self, user_id: str, attachment_id: str) -> StoredAttachment:
        """The attachment, or AttachmentNotFound."""
        ...

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

    async def attachment_usage(self, user_id: str) -> tuple[int, int]:
        """How many of the user's attachments are in no thread yet, and all their bytes (the
        quota of `bridge/attachment_quota.py`)."""
        ...

    async def load_attachment_content(self, user_id: str, attachment_id: str) -> bytes | None:
        """The bytes kept in the database (None when they are on disk)."""
        ...

    async def delete_attachment(self, user_id: str, attachment_id: str) -> StoredAttachment:
        """Delete the attachment; returns what it was."""
        ...

    # ---- feedback ----------------------------------------------------------------------------

    async def add_feedback(
        self, user_id: str, thread_id: str, item_ids: Sequence[str], kind: str
    ) -> None:
        """Record `positive` or `negative` feedback on the thread's items."""

    async def load_feedback(self, user_id: str, thread_id: str) -> dict[str, str]:
        """Item id → feedback kind, for the thread."""
        ...

    # ---- health and life ---------------------------------------------------------------------

    async def ping(self) -> None:
        """Raise if the database does not answer."""

    async def close(self) -> None:
        """Release connections (the app's shutdown)."""
