"""The Store on both databases where HTTP tests do not reach: paging, deletes, tasks, leases."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from db import ItemNotFound, Store, TaskNotFound, ThreadNotFound
from schemas import (
    AssistantMessageContent,
    AssistantMessageItem,
    SDKHiddenContextItem,
    ThreadMetadata,
    UserMessageItem,
    UserMessageTextContent,
)

TIE = datetime(2026, 1, 1, tzinfo=UTC)  # every item made at the same instant: order is by seq


async def _thread(store: Store, thread_id: str = "thr_1", user: str = "ann") -> str:
    await store.create_thread(user, ThreadMetadata(id=thread_id, created_at=TIE))
    return thread_id


def _message(
    thread_id: str, n: int, *, user_side: bool = True
) -> UserMessageItem | AssistantMessageItem:
    if user_side:
        return UserMessageItem(
            id=f"msg_{n:04d}",
            thread_id=thread_id,
            created_at=TIE,
            content=[UserMessageTextContent(text=f"m{n}")],
        )
    return AssistantMessageItem(
        id=f"msg_{n:04d}",
        thread_id=thread_id,
        created_at=TIE,
        content=[AssistantMessageContent(text=f"m{n}")],
    )


async def _page_all(store: Store, thread_id: str, order: str, limit: int) -> list[str]:
    seen: list[str] = []
    after = None
    for _ in range(1000):
        page = await store.list_items("ann", thread_id, limit=limit, order=order, after=after)  # type: ignore[arg-type]
        seen += [json.loads(raw)["id"] for raw in page.data]
        if not page.has_more:
            return seen
        after = page.after
    raise AssertionError("paging did not end")


# ---- keyset pagination ----------------------------------------------------------------------


@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_keyset_pages_are_stable_with_many_items_made_at_the_same_instant(
    proto_bare_store: Store, order: str
) -> None:
    thread_id = await _thread(proto_bare_store)
    ids = []
    for n in range(157):
        # Ids that do not sort in insertion order: a page keyed on id or time would shuffle.
        item = _message(thread_id, (n * 7919) % 1000, user_side=n % 2 == 0)
        await proto_bare_store.add_item("ann", item)
        ids.append(item.id)
    assert ids != sorted(ids)
    seen = await _page_all(proto_bare_store, thread_id, order, limit=10)
    assert seen == (ids if order == "asc" else ids[::-1])


async def test_items_added_while_paging_asc_appear_at_the_end_once(proto_bare_store: Store) -> None:
    thread_id = await _thread(proto_bare_store)
    for n in range(10):
        await proto_bare_store.add_item("ann", _message(thread_id, n))
    first = await proto_bare_store.list_items("ann", thread_id, limit=4, order="asc")
    for n in range(10, 13):
        await proto_bare_store.add_item("ann", _message(thread_id, n))
    rest: list[str] = []
    after = first.after
    while True:
        page = await proto_bare_store.list_items(
            "ann", thread_id, limit=4, order="asc", after=after
        )
        rest += [json.loads(raw)["id"] for raw in page.data]
        if not page.has_more:
            break
        after = page.after
    assert [json.loads(r)["id"] for r in first.data] + rest == [f"msg_{n:04d}" for n in range(13)]


async def test_save_item_replaces_in_place_and_keeps_the_position(proto_bare_store: Store) -> None:
    thread_id = await _thread(proto_bare_store)
    for n in range(3):
        await proto_bare_store.add_item("ann", _message(thread_id, n, user_side=False))
    edited = _message(thread_id, 0, user_side=False)
    assert isinstance(edited, AssistantMessageItem)
    edited.content[0].text = "edited"
    await proto_bare_store.save_item("ann", edited)
    items = await proto_bare_store.load_items("ann", thread_id)
    assert [(i.id, i.content[0].text) for i in items] == [  # type: ignore[union-attr]
        ("msg_0000", "edited"),
        ("msg_0001", "m1"),
        ("msg_0002", "m2"),
    ]


async def test_list_items_leaves_hidden_items_out_and_keeps_pages_full(
    proto_bare_store: Store,
) -> None:
    thread_id = await _thread(proto_bare_store)
    for n in range(6):
        await proto_bare_store.add_item("ann", _message(thread_id, n))
        await proto_bare_store.add_item(
            "ann",
            SDKHiddenContextItem(id=f"hid_{n}", thread_id=thread_id, created_at=TIE, content="x"),
        )
    page = await proto_bare_store.list_items("ann", thread_id, limit=4, order="asc")
    assert [json.loads(r)["id"] for r in page.data] == [f"msg_{n:04d}" for n in range(4)]
    assert page.has_more is True
    assert len(await proto_bare_store.load_items("ann", thread_id)) == 12
    assert [i.id for i in await proto_bare_store.load_items("ann", thread_id, last=3)] == [
        "hid_4",
        "msg_0005",
        "hid_5",
    ]


async def test_list_threads_pages_by_creation_order_per_user(proto_bare_store: Store) -> None:
    for n in range(9):
        await _thread(proto_bare_store, f"thr_{n}", "ann")
        await _thread(proto_bare_store, f"thr_bob_{n}", "bob")
    seen: list[str] = []
    after = None
    while True:
        page = await proto_bare_store.list_threads("ann", limit=4, order="desc", after=after)
        seen += [json.loads(raw)["id"] for raw in page.data]
        if not page.has_more:
            break
        after = page.after
    assert seen == [f"thr_{n}" for n in reversed(range(9))]
    with pytest.raises(ThreadNotFound):
        await proto_bare_store.list_threads("ann", limit=4, after="thr_bob_3")


# ---- delete_items_after ---------------------------------------------------------------------


async def test_delete_items_after_removes_later_items_and_their_feedback_only(
    proto_bare_store: Store,
) -> None:
    store = proto_bare_store
    thread_id = await _thread(store)
    other = await _thread(store, "thr_2")
    for n in range(6):
        await store.add_item("ann", _message(thread_id, n, user_side=n % 2 == 0))
        await store.add_item("ann", _message(other, 100 + n))
    await store.add_feedback("ann", thread_id, ["msg_0001", "msg_0003", "msg_0005"], "positive")
    await store.add_feedback("ann", other, ["msg_0101"], "negative")

    removed = await store.delete_items_after("ann", thread_id, "msg_0002")
    assert removed == ["msg_0003", "msg_0004", "msg_0005"]
    assert [i.id for i in await store.load_items("ann", thread_id)] == [
        "msg_0000",
        "msg_0001",
        "msg_0002",
    ]
    assert await store.load_feedback("ann", thread_id) == {"msg_0001": "positive"}
    assert len(await store.load_items("ann", other)) == 6
    assert await store.load_feedback("ann", other) == {"msg_0101": "negative"}

    assert await store.delete_items_after("ann", thread_id, "msg_0002") == []
    with pytest.raises(ItemNotFound):
        await store.delete_items_after("ann", thread_id, "msg_0005")
    with pytest.raises(ItemNotFound):
        await store.delete_items_after("bob", thread_id, "msg_0000")
    assert len(await store.load_items("ann", thread_id)) == 3


# ---- tasks ----------------------------------------------------------------------------------


async def test_tasks_are_numbered_per_user(proto_bare_store: Store) -> None:
    store = proto_bare_store
    assert [(await store.add_task("ann", f"a{n}"))["id"] for n in range(3)] == [1, 2, 3]
    assert (await store.add_task("bob", "b0"))["id"] == 1
    await store.delete_task("ann", 2)
    assert (await store.add_task("ann", "a3"))["id"] == 4  # numbers follow the highest
    assert [t["id"] for t in await store.list_tasks("ann")] == [1, 3, 4]
    await store.delete_task("ann", 4)
    assert (await store.add_task("ann", "a4"))["id"] == 5  # never the deleted highest again
    await store.delete_task("ann", 5)
    assert [t["title"] for t in await store.list_tasks("bob")] == ["b0"]
    with pytest.raises(TaskNotFound):
        await store.load_task("bob", 3)
    with pytest.raises(TaskNotFound):
        await store.update_task("bob", 4, completed=True)
    done = await store.update_task("ann", 3, completed=True, title="a1 done")
    assert (done["completed"], done["title"]) == (True, "a1 done")
    assert [t["id"] for t in await store.list_tasks("ann", completed=False)] == [1]


async def test_parallel_add_task_no_longer_runs_out_of_numbering_attempts(
    proto_bare_store: Store,
) -> None:
    made = await asyncio.gather(*(proto_bare_store.add_task("ann", f"t{n}") for n in range(8)))
    assert sorted(t["id"] for t in made) == list(range(1, 9))


async def test_task_numbers_are_never_reused_under_concurrent_adds_and_deletes(
    proto_bare_store: Store,
) -> None:
    """Bug: a deleted task's number came back, so "task 11" in an old message pointed at a
    new task. Fix: a per-user counter, taken in the insert's transaction."""
    store = proto_bare_store
    seen: list[int] = []

    async def add_then_delete(n: int) -> None:
        task = await store.add_task("ann", f"t{n}")
        seen.append(task["id"])
        if n % 2:
            await store.delete_task("ann", task["id"])

    for _ in range(3):  # rounds, so deletes of the highest number happen between adds
        await asyncio.gather(*(add_then_delete(n) for n in range(12)))
    other = await asyncio.gather(*(store.add_task("bob", f"b{n}") for n in range(5)))
    assert sorted(seen) == list(range(1, 37))  # 36 adds, 36 distinct numbers, none reused
    assert sorted(t["id"] for t in other) == [1, 2, 3, 4, 5]


# ---- the stream lease -----------------------------------------------------------------------


async def _lease(store: Store, thread_id: str) -> tuple[str | None, datetime | None]:
    from sqlalchemy import select

    from db.models import ThreadRow

    async with store.engine.connect() as conn:
        row = (
            await conn.execute(
                select(ThreadRow.busy_token, ThreadRow.busy_until).where(ThreadRow.id == thread_id)
            )
        ).one()
    until = row.busy_until
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    return row.busy_token, until


async def test_lease_acquire_is_exclusive_and_release_needs_the_token(
    proto_bare_store: Store,
) -> None:
    store = proto_bare_store
    thread_id = await _thread(store)
    assert await store.acquire_thread("ann", thread_id, "lease_a", 60) is True
    assert await store.acquire_thread("ann", thread_id, "lease_b", 60) is False
    await store.release_thread(thread_id, "lease_b")  # not the holder: no effect
    assert (await _lease(store, thread_id))[0] == "lease_a"
    assert await store.acquire_thread("ann", thread_id, "lease_b", 60) is False
    await store.release_thread(thread_id, "lease_a")
    assert await _lease(store, thread_id) == (None, None)
    assert await store.acquire_thread("ann", thread_id, "lease_b", 60) is True


async def test_lease_renew_extends_only_for_the_holder(proto_bare_store: Store) -> None:
    store = proto_bare_store
    thread_id = await _thread(store)
    assert await store.acquire_thread("ann", thread_id, "lease_a", 5)
    _, first_until = await _lease(store, thread_id)
    assert first_until is not None
    await store.renew_thread(thread_id, "lease_a", 600)
    _, renewed = await _lease(store, thread_id)
    assert renewed is not None and renewed - first_until > timedelta(seconds=500)
    await store.renew_thread(thread_id, "lease_other", 6000)
    assert (await _lease(store, thread_id))[1] == renewed


async def test_expired_lease_is_taken_over_and_the_old_holder_cannot_release_it(
    proto_bare_store: Store,
) -> None:
    store = proto_bare_store
    thread_id = await _thread(store)
    assert await store.acquire_thread("ann", thread_id, "lease_crashed", 0.2)
    assert await store.acquire_thread("ann", thread_id, "lease_new", 60) is False
    await asyncio.sleep(0.3)
    assert await store.acquire_thread("ann", thread_id, "lease_new", 60) is True
    await store.release_thread(thread_id, "lease_crashed")  # the old stream ends late
    await store.renew_thread(thread_id, "lease_crashed", 0.01)
    token, until = await _lease(store, thread_id)
    assert token == "lease_new"
    assert until is not None and until > datetime.now(UTC) + timedelta(seconds=30)
    assert await store.acquire_thread("ann", thread_id, "lease_third", 60) is False


async def test_lease_on_unknown_or_another_users_thread_is_not_found(
    proto_bare_store: Store,
) -> None:
    thread_id = await _thread(proto_bare_store)
    with pytest.raises(ThreadNotFound):
        await proto_bare_store.acquire_thread("ann", "thr_missing", "lease_a", 60)
    with pytest.raises(ThreadNotFound):
        await proto_bare_store.acquire_thread("bob", thread_id, "lease_a", 60)
    assert (await _lease(proto_bare_store, thread_id))[0] is None


# ---- users are isolated ---------------------------------------------------------------------


async def test_another_users_records_are_absent(proto_bare_store: Store) -> None:
    store = proto_bare_store
    thread_id = await _thread(store)
    await store.add_item("ann", _message(thread_id, 0))
    with pytest.raises(ThreadNotFound):
        await store.load_thread("bob", thread_id)
    with pytest.raises(ItemNotFound):
        await store.load_item("bob", thread_id, "msg_0000")
    with pytest.raises(ThreadNotFound):
        await store.list_items("bob", thread_id, limit=10)
    with pytest.raises(ThreadNotFound):
        await store.delete_thread("bob", thread_id)
    with pytest.raises(ThreadNotFound):
        await store.add_feedback("bob", thread_id, ["msg_0000"], "positive")
    assert await store.load_items("bob", thread_id) == []
    assert len(await store.load_items("ann", thread_id)) == 1


async def test_listed_thread_json_is_byte_identical_to_the_model_encoding(db_url: str) -> None:
    """threads.list builds each thread's JSON from its columns; it must equal `thread_json`."""
    from datetime import UTC, datetime

    from db import make_engine
    from db.migrations import prepare_schema
    from db.store import Store, thread_json
    from schemas import LockedStatus, ThreadMetadata

    engine = make_engine(db_url)
    await prepare_schema(engine)
    store = Store(engine)
    try:
        made = [
            ThreadMetadata(id="thr_untitled", created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
            ThreadMetadata(
                id="thr_unicode",
                title='Café "quotes" \\ ünïcode ☕',
                created_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
            ),
            ThreadMetadata(
                id="thr_locked",
                title="locked",
                created_at=datetime(2026, 5, 6, 7, 8, 9, 1, tzinfo=UTC),
                status=LockedStatus(reason="read only"),
            ),
        ]
        for thread in made:
            await store.create_thread("u", thread)
        page = await store.list_threads("u", limit=10, order="asc")
        expected = [thread_json(await store.load_thread("u", t.id)) for t in made]
        assert page.data == expected
        assert '"title":"Café' in page.data[1] and '"reason":"read only"' in page.data[2]
    finally:
        await store.close()
