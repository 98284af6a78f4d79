"""Hot reads compiled once per dialect, and the insert of an item."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import bindparam, insert, literal, select
from sqlalchemy.engine import Dialect

from schemas import HIDDEN_ITEM_TYPES, ThreadItem, encode

from .tables import items, threads

Order = Literal["asc", "desc"]


class Prepared:
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


def _page_statement(order: Order, after: bool) -> Prepared:
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
    return Prepared(query.order_by(ordered).limit(bindparam("limit")))


def _thread_page_statement(order: Order, after: bool) -> Prepared:
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
    return Prepared(query.order_by(ordered).limit(bindparam("limit")))


ITEM_PAGES = {
    (order, after): _page_statement(order, after)
    for order in ("asc", "desc")
    for after in (False, True)
}
THREAD_PAGES = {
    (order, after): _thread_page_statement(order, after)
    for order in ("asc", "desc")
    for after in (False, True)
}
THREAD = Prepared(
    select(threads.c.id, threads.c.title, threads.c.status, threads.c.created_at).where(
        threads.c.id == bindparam("thread_id"), threads.c.user_id == bindparam("user_id")
    )
)


def insert_item(user_id: str, item: ThreadItem, data: str | None = None) -> Any:
    """The insert of an item: its wire JSON and the columns pages are read by."""
    return insert(items).values(
        id=item.id,
        thread_id=item.thread_id,
        user_id=user_id,
        type=item.type,
        created_at=item.created_at,
        data=data if data is not None else encode(item).decode(),
    )
