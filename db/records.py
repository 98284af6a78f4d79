"""What the store hands back: pages of stored JSON, attachments, threads built from columns."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter

from schemas import Attachment, Thread, ThreadItem, ThreadMetadata, encode

item_adapter: TypeAdapter[ThreadItem] = TypeAdapter(ThreadItem)
attachment_adapter: TypeAdapter[Attachment] = TypeAdapter(Attachment)
_datetime_json: TypeAdapter[datetime] = TypeAdapter(datetime)


@dataclass(frozen=True, slots=True)
class ItemPage:
    """A page of records as stored JSON strings; `after` (the last id) only when `has_more`."""

    data: list[str]
    has_more: bool
    after: str | None

    def to_json(self) -> bytes:
        """The wire `Page` body, assembled from the stored JSON without re-encoding it."""
        parts = ['{"data":[', ",".join(self.data), '],"has_more":']
        parts.append("true" if self.has_more else "false")
        if self.after is not None:
            parts.append(',"after":')
            parts.append(json.dumps(self.after))
        parts.append("}")
        return "".join(parts).encode()


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    """An attachment's wire model and where its bytes are."""

    attachment: Attachment
    size: int
    uploaded: bool
    storage: str


def stored_attachment(row: Any) -> StoredAttachment:
    """A StoredAttachment from its row."""
    return StoredAttachment(
        attachment=attachment_adapter.validate_json(row.data),
        size=row.size,
        uploaded=row.uploaded,
        storage=row.storage,
    )


def aware(value: datetime) -> datetime:
    """A stored datetime as UTC-aware (SQLite hands back naive ones; all are UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def now() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


def timestamp(value: Any) -> datetime:
    """A stored datetime; the raw sqlite3 path hands back SQLAlchemy's text form."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return aware(value)


def thread_metadata(
    thread_id: str, title: str | None, status: str, created_at: Any
) -> ThreadMetadata:
    """A thread's metadata from its stored columns."""
    return ThreadMetadata.model_validate(
        {
            "id": thread_id,
            "title": title,
            "created_at": timestamp(created_at),
            "status": json.loads(status),
        }
    )


def wire_thread(thread: ThreadMetadata) -> Thread:
    """A thread as the wire wants it in lists and events: an empty item page, and
    `metadata: {}` as the reference server sends it (the bridge's own thread state is private).
    """
    return Thread(**thread.model_dump(exclude={"metadata"}), metadata={})


def thread_json(thread: ThreadMetadata) -> str:
    """`wire_thread` as JSON (`items` last: get_by_id puts the real page in its place)."""
    return encode(wire_thread(thread)).decode()


def listed_thread_json(thread_id: str, title: str | None, status: str, created_at: Any) -> str:
    """`thread_json` of a stored row, built from its columns (the status is stored as wire
    JSON): validating and dumping a model per row made threads.list 3x slower than items.list."""
    parts = ['{"id":', json.dumps(thread_id, ensure_ascii=False)]
    if title is not None:
        parts += [',"title":', json.dumps(title, ensure_ascii=False)]
    parts += [
        ',"created_at":',
        _datetime_json.dump_json(timestamp(created_at)).decode(),
        ',"status":',
        status,
        ',"metadata":{},"items":{"data":[],"has_more":false}}',
    ]
    return "".join(parts)
