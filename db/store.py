"""The Store: every read and write of threads, items, attachments, feedback and tasks.

Every method takes the owner's `user_id` and puts it in the query itself, so another user's
rows are exactly as absent as rows that do not exist. Reads of items return the stored wire
JSON, which handlers send as is.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, cast

from pydantic import TypeAdapter
from sqlalchemy import Table, and_, bindparam, delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas import (
    HIDDEN_ITEM_TYPES,
    Attachment,
    Thread,
    ThreadItem,
    ThreadMetadata,
    encode,
)

from .models import AttachmentRow, FeedbackRow, ItemRow, TaskCounterRow, TaskRow, ThreadRow
from .session import postgres_reader, sqlite_reader

Order = Literal["asc", "desc"]

_item_adapter: TypeAdapter[ThreadItem] = TypeAdapter(ThreadItem)
_attachment_adapter: TypeAdapter[Attachment] = TypeAdapter(Attachment)

threads = cast(Table, ThreadRow.__table__)
items = cast(Table, ItemRow.__table__)
attachments = cast(Table, AttachmentRow.__table__)
feedback = cast(Table, FeedbackRow.__table__)
tasks = cast(Table, TaskRow.__table__)
task_counters = cast(Table, TaskCounterRow.__table__)


class NotFound(LookupError):
    """Base of the store's not-found errors (a 404 to the client)."""

    kind = "record"

    def __init__(self, record_id: str) -> None:
        super().__init__(f"{self.kind} {record_id!r} not found")
        self.record_id = record_id


class ThreadNotFound(NotFound):
    """No such thread for this user."""

    kind = "thread"


class ItemNotFound(NotFound):
    """No such item in this user's thread."""

    kind = "item"


class AttachmentNotFound(NotFound):
    """No such attachment for this user."""

    kind = "attachment"


class TaskNotFound(NotFound):
    """No such task for this user."""

    kind = "task"


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


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything the bridge stores is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def _thread_metadata(
    thread_id: str, title: str | None, status: str, created_at: Any
) -> ThreadMetadata:
    """A thread's metadata from its stored columns."""
    return ThreadMetadata.model_validate(
        {
            "id": thread_id,
            "title": title,
            "created_at": _timestamp(created_at),
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


class _Prepared:
    """A hot read built once, compiled once per dialect, then run by the driver directly.

    Building and compiling a SQLAlchemy statement costs more than the query itself on an
    indexed page read (issue #7); the SQL and its parameter order are kept per dialect.
    """

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}

    def bind(self, dialect: Dialect, params: dict[str, Any]) -> tuple[str, Any]:
        """The dialect's SQL and its arguments (a tuple or a dict, as its driver wants)."""
        entry = self._compiled.get(dialect.name)
        if entry is None:
            compiled = self.statement.compile(dialect=dialect)
            positions = tuple(compiled.positiontup) if compiled.positiontup else None
            entry = (compiled.string, positions, dict(compiled.params))
            self._compiled[dialect.name] = entry
        sql, positions, defaults = entry
        values = {**defaults, **params}
        if positions is not None:
            return sql, tuple(values[name] for name in positions)
        return sql, values


def _visible() -> list[Any]:
    # Plain comparisons rather than NOT IN: an expanding IN cannot be compiled ahead.
    return [items.c.type != literal(kind) for kind in sorted(HIDDEN_ITEM_TYPES)]


def _page_statement(order: Order, after: bool) -> _Prepared:
    query = select(items.c.id, items.c.data).where(
        items.c.thread_id == bindparam("thread_id"),
        items.c.user_id == bindparam("user_id"),
        *_visible(),
    )
    if after:
        anchor = (
            select(items.c.seq)
            .where(items.c.thread_id == bindparam("thread_id"), items.c.id == bindparam("after"))
            .scalar_subquery()
        )
        query = query.where(items.c.seq > anchor if order == "asc" else items.c.seq < anchor)
    ordered = items.c.seq.asc() if order == "asc" else items.c.seq.desc()
    return _Prepared(query.order_by(ordered).limit(bindparam("limit")))


_PAGES = {
    (order, after): _page_statement(order, after)
    for order in ("asc", "desc")
    for after in (False, True)
}
_THREAD = _Prepared(
    select(threads.c.id, threads.c.title, threads.c.status, threads.c.created_at).where(
        threads.c.id == bindparam("thread_id"), threads.c.user_id == bindparam("user_id")
    )
)


def _insert_item(user_id: str, item: ThreadItem, data: str | None = None) -> Any:
    """The insert of an item: its wire JSON and the columns pages are read by."""
    return insert(items).values(
        id=item.id,
        thread_id=item.thread_id,
        user_id=user_id,
        type=item.type,
        created_at=item.created_at,
        data=data if data is not None else encode(item).decode(),
    )


def _thread_page_statement(order: Order, after: bool) -> _Prepared:
    query = select(threads.c.id, threads.c.title, threads.c.status, threads.c.created_at).where(
        threads.c.user_id == bindparam("user_id")
    )
    if after:
        anchor = (
            select(threads.c.seq)
            .where(threads.c.id == bindparam("after"), threads.c.user_id == bindparam("user_id"))
            .scalar_subquery()
        )
        query = query.where(threads.c.seq < anchor if order == "desc" else threads.c.seq > anchor)
    ordered = threads.c.seq.desc() if order == "desc" else threads.c.seq.asc()
    return _Prepared(query.order_by(ordered).limit(bindparam("limit")))


_THREAD_PAGES = {
    (order, after): _thread_page_statement(order, after)
    for order in ("asc", "desc")
    for after in (False, True)
}
_datetime_json: TypeAdapter[datetime] = TypeAdapter(datetime)


def _listed_thread_json(thread_id: str, title: str | None, status: str, created_at: Any) -> str:
    """`thread_json` of a stored row, built from its columns (the status is stored as wire
    JSON): validating and dumping a model per row made threads.list 3x slower than items.list."""
    parts = ['{"id":', json.dumps(thread_id, ensure_ascii=False)]
    if title is not None:
        parts += [',"title":', json.dumps(title, ensure_ascii=False)]
    parts += [
        ',"created_at":',
        _datetime_json.dump_json(_timestamp(created_at)).decode(),
        ',"status":',
        status,
        ',"metadata":{},"items":{"data":[],"has_more":false}}',
    ]
    return "".join(parts)


def _timestamp(value: Any) -> datetime:
    # The raw sqlite3 path hands back SQLAlchemy's text form of a DateTime.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _aware(value)


class _OnLoop:
    """A synchronous SQLite connection used directly on the event loop, behind the async API.

    SQLAlchemy's aiosqlite adapter hops to a worker thread several times per query (about
    450 µs per page read under load, issue #7); a plain sqlite3 read of an indexed page takes
    tens of µs. In WAL mode readers never wait for the writer, so a read cannot stall the loop
    behind a write. Writes stay on the async engine.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def execute(self, statement: Any) -> Any:
        return self._conn.execute(statement)


class Store:
    """All persistence of the bridge, on one async engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._reader: Engine | None = sqlite_reader(engine)
        self._raw: sqlite3.Connection | None = None
        self._pg_reader: AsyncEngine | None = postgres_reader(engine)

    async def _fetch(self, query: _Prepared, **params: Any) -> list[Any]:
        """Rows of a prepared read: raw sqlite3 on the loop, or the driver via the engine."""
        if self._reader is not None:
            sql, args = query.bind(self._reader.dialect, params)
            if self._raw is None:
                self._raw = self._reader.raw_connection().driver_connection
            return self._raw.execute(sql, args).fetchall()  # type: ignore[union-attr]
        reader = self._pg_reader or self.engine
        sql, args = query.bind(reader.dialect, params)
        for attempt in (1, 2):
            try:
                async with reader.connect() as conn:
                    return list((await conn.exec_driver_sql(sql, args)).all())
            except DBAPIError as exc:
                # Without a pre-ping, a connection the server closed fails on first use; the
                # pool has dropped it, so one more try gets a fresh one.
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        """Release the read connection and the engine's pool."""
        if self._reader is not None:
            self._raw = None
            self._reader.dispose()
        if self._pg_reader is not None:
            await self._pg_reader.dispose()
        await self.engine.dispose()

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[Any]:
        """A connection for reads: on the loop for a SQLite file, else the async engine."""
        if self._reader is None:
            async with self.engine.connect() as conn:
                yield conn
            return
        with self._reader.connect() as conn:
            yield _OnLoop(conn)

    # ---- threads ----------------------------------------------------------------------------

    async def create_thread(
        self,
        user_id: str,
        thread: ThreadMetadata,
        *,
        first_item: ThreadItem | None = None,
        lease: tuple[str, float] | None = None,
    ) -> None:
        """Insert a new thread; with its first item and its stream lease `(token, ttl)` in the
        same transaction, so no thread is ever stored without its first message."""
        now = _now()
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(threads).values(
                    id=thread.id,
                    user_id=user_id,
                    title=thread.title,
                    status=encode(thread.status).decode(),
                    created_at=thread.created_at,
                    updated_at=now,
                    meta="{}",
                    busy_token=lease[0] if lease else None,
                    busy_until=now + timedelta(seconds=lease[1]) if lease else None,
                )
            )
            if first_item is not None:
                await conn.execute(_insert_item(user_id, first_item))

    async def load_thread(self, user_id: str, thread_id: str) -> ThreadMetadata:
        """A thread's metadata, or ThreadNotFound."""
        rows = await self._fetch(_THREAD, thread_id=thread_id, user_id=user_id)
        if not rows:
            raise ThreadNotFound(thread_id)
        return _thread_metadata(*rows[0])

    async def save_thread(self, user_id: str, thread: ThreadMetadata) -> None:
        """Store a thread's title and status."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(threads)
                .where(threads.c.id == thread.id, threads.c.user_id == user_id)
                .values(
                    title=thread.title,
                    status=encode(thread.status).decode(),
                    updated_at=_now(),
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
        rows = await self._fetch(_THREAD_PAGES[order, after is not None], **params)
        if not rows and after is not None:
            async with self._reading() as conn:
                await self._require_thread(conn, user_id, after)
        has_more = len(rows) > limit
        rows = rows[:limit]
        data = [_listed_thread_json(*row) for row in rows]
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
        return [_stored_attachment(row) for row in rows]

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
        async with self.engine.begin() as conn:
            await conn.execute(
                update(threads)
                .where(threads.c.id == thread_id, threads.c.user_id == user_id)
                .values(meta=json.dumps(meta))
            )

    async def _require_thread(
        self, conn: AsyncConnection | _OnLoop, user_id: str, thread_id: str
    ) -> None:
        found = (
            await conn.execute(
                select(threads.c.seq).where(threads.c.id == thread_id, threads.c.user_id == user_id)
            )
        ).first()
        if found is None:
            raise ThreadNotFound(thread_id)

    # ---- the busy lease ---------------------------------------------------------------------

    async def acquire_thread(self, user_id: str, thread_id: str, token: str, ttl: float) -> bool:
        """Take the thread's stream lease unless another live stream holds it.

        The lease is a row update, so it works across workers and machines on PostgreSQL;
        an expired lease (a crashed worker) is taken over.
        """
        now = _now()
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(threads)
                .where(
                    threads.c.id == thread_id,
                    threads.c.user_id == user_id,
                    (threads.c.busy_token.is_(None)) | (threads.c.busy_until < now),
                )
                .values(busy_token=token, busy_until=now + timedelta(seconds=ttl))
            )
            if result.rowcount == 1:
                return True
            await self._require_thread(conn, user_id, thread_id)
        return False

    async def renew_thread(self, thread_id: str, token: str, ttl: float) -> None:
        """Extend a lease this stream holds."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(threads)
                .where(threads.c.id == thread_id, threads.c.busy_token == token)
                .values(busy_until=_now() + timedelta(seconds=ttl))
            )

    async def release_thread(self, thread_id: str, token: str) -> None:
        """Give the lease back (only if this stream still holds it)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(threads)
                .where(threads.c.id == thread_id, threads.c.busy_token == token)
                .values(busy_token=None, busy_until=None)
            )

    # ---- items ------------------------------------------------------------------------------

    async def add_item(self, user_id: str, item: ThreadItem) -> None:
        """Append an item (its wire JSON) to its thread."""
        async with self.engine.begin() as conn:
            await conn.execute(_insert_item(user_id, item))

    async def save_item(self, user_id: str, item: ThreadItem) -> None:
        """Replace an item in place (keeping its position), or append it if it is new."""
        data = encode(item).decode()
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(items)
                .where(
                    items.c.thread_id == item.thread_id,
                    items.c.id == item.id,
                    items.c.user_id == user_id,
                )
                .values(type=item.type, data=data)
            )
            if result.rowcount == 0:
                await conn.execute(_insert_item(user_id, item, data))

    async def load_item(self, user_id: str, thread_id: str, item_id: str) -> ThreadItem:
        """One item, or ItemNotFound."""
        async with self._reading() as conn:
            raw = (
                await conn.execute(
                    select(items.c.data).where(
                        items.c.thread_id == thread_id,
                        items.c.id == item_id,
                        items.c.user_id == user_id,
                    )
                )
            ).scalar_one_or_none()
        if raw is None:
            raise ItemNotFound(item_id)
        return _item_adapter.validate_json(raw)

    async def delete_item(self, user_id: str, thread_id: str, item_id: str) -> None:
        """Remove one item (no error if it is already gone)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(items).where(
                    items.c.thread_id == thread_id,
                    items.c.id == item_id,
                    items.c.user_id == user_id,
                )
            )

    async def delete_items_after(self, user_id: str, thread_id: str, item_id: str) -> list[str]:
        """Remove every item after `item_id`; returns the removed ids, oldest first."""
        async with self.engine.begin() as conn:
            anchor = (
                await conn.execute(
                    select(items.c.seq).where(
                        items.c.thread_id == thread_id,
                        items.c.id == item_id,
                        items.c.user_id == user_id,
                    )
                )
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
        rows = await self._fetch(_PAGES[order, after is not None], **params)
        if not rows:
            async with self._reading() as conn:
                await self._require_thread(conn, user_id, thread_id)
                if after is not None:
                    await self._require_item(conn, user_id, thread_id, after)
        has_more = len(rows) > limit
        rows = rows[:limit]
        return ItemPage([row[1] for row in rows], has_more, rows[-1][0] if has_more else None)

    async def _require_item(
        self, conn: AsyncConnection | _OnLoop, user_id: str, thread_id: str, item_id: str
    ) -> None:
        found = (
            await conn.execute(
                select(items.c.seq).where(
                    items.c.thread_id == thread_id,
                    items.c.id == item_id,
                    items.c.user_id == user_id,
                )
            )
        ).first()
        if found is None:
            raise ItemNotFound(item_id)

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
        loaded = [_item_adapter.validate_json(raw) for raw in rows]
        if last is not None:
            loaded.reverse()
        return loaded

    # ---- attachments ------------------------------------------------------------------------

    async def add_attachment(
        self, user_id: str, attachment: Attachment, *, size: int, storage: str
    ) -> None:
        """Register an attachment whose bytes have not arrived yet."""
        async with self.engine.begin() as conn:
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
                    created_at=_now(),
                    data=encode(attachment).decode(),
                )
            )

    async def load_attachment(self, user_id: str, attachment_id: str) -> StoredAttachment:
        """An attachment, or AttachmentNotFound."""
        async with self._reading() as conn:
            row = await _attachment_row(conn, user_id, attachment_id)
        return _stored_attachment(row)

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
        async with self.engine.begin() as conn:
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
        return _stored_attachment(row)

    # ---- feedback ---------------------------------------------------------------------------

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
            now = _now()
            for item_id in dict.fromkeys(item_ids):
                await conn.execute(
                    insert(feedback).values(
                        user_id=user_id,
                        thread_id=thread_id,
                        item_id=item_id,
                        kind=kind,
                        created_at=now,
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

    # ---- tasks ------------------------------------------------------------------------------

    async def add_task(
        self,
        user_id: str,
        title: str,
        description: str | None = None,
        due_date: date | None = None,
    ) -> dict[str, Any]:
        """Create a task with the user's next number; a number is never given twice."""
        now = _now()
        async with self.engine.begin() as conn:
            number = await _next_task_number(conn, user_id)
            await conn.execute(
                insert(tasks).values(
                    user_id=user_id,
                    number=number,
                    title=title,
                    description=description,
                    due_date=due_date,
                    completed=False,
                    created_at=now,
                    updated_at=now,
                )
            )
        return await self.load_task(user_id, number)

    async def load_task(self, user_id: str, number: int) -> dict[str, Any]:
        """One task, or TaskNotFound."""
        async with self._reading() as conn:
            row = (
                await conn.execute(
                    select(tasks).where(tasks.c.user_id == user_id, tasks.c.number == number)
                )
            ).first()
        if row is None:
            raise TaskNotFound(str(number))
        return _task_dict(row)

    async def list_tasks(self, user_id: str, completed: bool | None = None) -> list[dict[str, Any]]:
        """The user's tasks in number order, optionally only (not) completed ones."""
        query = select(tasks).where(tasks.c.user_id == user_id)
        if completed is not None:
            query = query.where(tasks.c.completed == completed)
        async with self._reading() as conn:
            rows = (await conn.execute(query.order_by(tasks.c.number))).all()
        return [_task_dict(row) for row in rows]

    async def update_task(self, user_id: str, number: int, **changes: Any) -> dict[str, Any]:
        """Change a task's fields (title, description, due_date, completed)."""
        allowed = {"title", "description", "due_date", "completed"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}")
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(tasks)
                .where(tasks.c.user_id == user_id, tasks.c.number == number)
                .values(**changes, updated_at=_now())
            )
        if result.rowcount == 0:
            raise TaskNotFound(str(number))
        return await self.load_task(user_id, number)

    async def delete_task(self, user_id: str, number: int) -> dict[str, Any]:
        """Delete a task; returns what it was."""
        task = await self.load_task(user_id, number)
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(tasks).where(tasks.c.user_id == user_id, tasks.c.number == number)
            )
        return task

    # ---- health -----------------------------------------------------------------------------

    async def ping(self) -> None:
        """Raise if the database does not answer."""
        async with self.engine.connect() as conn:  # the write path: what start-up needs
            await conn.execute(select(1))


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


def _stored_attachment(row: Any) -> StoredAttachment:
    return StoredAttachment(
        attachment=_attachment_adapter.validate_json(row.data),
        size=row.size,
        uploaded=row.uploaded,
        storage=row.storage,
    )


async def _next_task_number(conn: AsyncConnection, user_id: str) -> int:
    """Take the user's next task number, in the caller's transaction.

    One upsert on the user's counter row: PostgreSQL locks that row and SQLite the database
    until the transaction ends, so concurrent adds queue for it instead of clashing. A user
    without a counter (tables made before counters) starts after the highest number held.
    """
    insert_ = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    first = select(func.coalesce(func.max(tasks.c.number), 0) + 1).where(tasks.c.user_id == user_id)
    upsert = (
        insert_(task_counters)
        .values(user_id=user_id, last_number=first.scalar_subquery())
        .on_conflict_do_update(
            index_elements=[task_counters.c.user_id],
            set_={"last_number": task_counters.c.last_number + 1},
        )
        .returning(task_counters.c.last_number)
    )
    return int((await conn.execute(upsert)).scalar_one())


def _task_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.number,
        "title": row.title,
        "description": row.description,
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "completed": row.completed,
        "created_at": _aware(row.created_at).isoformat(),
        "updated_at": _aware(row.updated_at).isoformat(),
    }
