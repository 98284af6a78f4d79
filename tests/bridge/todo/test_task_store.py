"""The todo app's task rows on both databases: numbered per user, never reused, scoped by user."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bridge.app import schemas_of
from bridge.todo.task_store import TaskNotFound, TaskStore
from bridge.todo.todo_app import TodoApp
from db import make_engine
from db.migrations import prepare_schema


@pytest.fixture
async def rows(db_url: str) -> AsyncIterator[TaskStore]:
    engine = make_engine(db_url)
    await prepare_schema(engine, schemas_of(TodoApp()))
    try:
        yield TaskStore(engine)
    finally:
        await engine.dispose()


async def test_tasks_are_numbered_per_user(rows: TaskStore) -> None:
    assert [(await rows.add_task("ann", f"a{n}"))["id"] for n in range(3)] == [1, 2, 3]
    assert (await rows.add_task("bob", "b0"))["id"] == 1
    await rows.delete_task("ann", 2)
    assert (await rows.add_task("ann", "a3"))["id"] == 4
    assert [t["id"] for t in await rows.list_tasks("ann")] == [1, 3, 4]
    assert [t["title"] for t in await rows.list_tasks("bob")] == ["b0"]
    with pytest.raises(TaskNotFound):
        await rows.load_task("bob", 3)
    with pytest.raises(TaskNotFound):
        await rows.update_task("bob", 4, completed=True)
    done = await rows.update_task("ann", 3, completed=True, title="a1 done")
    assert (done["completed"], done["title"]) == (True, "a1 done")
    assert [t["id"] for t in await rows.list_tasks("ann", completed=False)] == [1, 4]


async def test_a_deleted_highest_number_is_not_given_again(rows: TaskStore) -> None:
    for n in range(3):
        await rows.add_task("ann", f"t{n}")
    await rows.delete_task("ann", 3)
    assert (await rows.add_task("ann", "again"))["id"] == 4


async def test_parallel_adds_get_distinct_numbers(rows: TaskStore) -> None:
    made = await asyncio.gather(*(rows.add_task("ann", f"t{n}") for n in range(8)))
    assert sorted(t["id"] for t in made) == list(range(1, 9))


async def test_task_numbers_are_never_reused_under_concurrent_adds_and_deletes(
    rows: TaskStore,
) -> None:
    """Bug: a deleted task's number came back, so "task 11" in an old message pointed at a
    new task. Fix: a per-user counter, taken in the insert's transaction."""
    seen: list[int] = []

    async def add_then_delete(n: int) -> None:
        task = await rows.add_task("ann", f"t{n}")
        seen.append(task["id"])
        if n % 2:
            await rows.delete_task("ann", task["id"])

    for _ in range(3):  # rounds, so deletes of the highest number happen between adds
        await asyncio.gather(*(add_then_delete(n) for n in range(12)))
    other = await asyncio.gather(*(rows.add_task("bob", f"b{n}") for n in range(5)))
    assert sorted(seen) == list(range(1, 37))  # 36 adds, 36 distinct numbers, none reused
    assert sorted(t["id"] for t in other) == [1, 2, 3, 4, 5]
