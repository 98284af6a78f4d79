"""Fixtures for the agent tests: a real SQLite store, a thread, and turns to answer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

import db
from bridge.app import schemas_of
from bridge.ids import new_id
from bridge.responder import Responder, Turn
from bridge.settings import Settings
from bridge.todo.todo_app import TodoApp
from db.migrations import prepare_schema
from schemas import (
    HIDDEN_ITEM_TYPES,
    AssistantMessageContent,
    AssistantMessageItem,
    InferenceOptions,
    ThreadMetadata,
    ThreadStreamEvent,
    UserMessageItem,
    UserMessageTextContent,
    utcnow,
)

USER = "user-1"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[db.Store]:
    engine = db.make_engine(f"sqlite:///{tmp_path}/t.db")
    # The todo app's tables too: these tests drive the agent with the todo tools.
    await prepare_schema(engine, schemas_of(TodoApp()))
    store = db.Store(engine)
    yield store
    await store.close()


@pytest.fixture
def settings() -> Settings:
    return Settings(offline=True)


@pytest.fixture
async def thread(store: db.Store) -> ThreadMetadata:
    meta = ThreadMetadata(id=new_id("thr"), created_at=utcnow())
    await store.create_thread(USER, meta)
    return meta


MakeTurn = Callable[..., Awaitable[Turn]]


@pytest.fixture
def make_turn(store: db.Store, thread: ThreadMetadata, settings: Settings) -> MakeTurn:
    """Store a user message in the thread and return the turn that answers it."""

    async def make(
        text: str, *, inference_options: InferenceOptions | None = None, **fields: Any
    ) -> Turn:
        options = inference_options or InferenceOptions()
        item = UserMessageItem(
            id=new_id("msg"),
            thread_id=thread.id,
            created_at=utcnow(),
            content=[UserMessageTextContent(text=text)],
            inference_options=options,
            **fields,
        )
        await store.add_item(USER, item)
        return Turn(
            user_id=USER,
            thread=thread,
            store=store,
            settings=settings,
            input=item,
            inference_options=options,
        )

    return make


async def collect(
    responder: Responder, turn: Turn, *, save: bool = True
) -> list[ThreadStreamEvent]:
    """The events of a turn as the pipeline sends them (hidden items are stored, never sent);
    with `save`, store finished items as the pipeline would."""
    events = [event async for event in responder.respond(turn)]
    if save:
        for event in events:
            if event.type == "thread.item.done":
                await turn.store.add_item(turn.user_id, event.item)
    return [
        event
        for event in events
        if event.type != "thread.item.done" or event.item.type not in HIDDEN_ITEM_TYPES
    ]


def types(events: list[ThreadStreamEvent]) -> list[str]:
    """Event types, with the update type for `thread.item.updated` and item type for items."""
    out = []
    for event in events:
        if event.type == "thread.item.updated":
            out.append(event.update.type)
        elif event.type in ("thread.item.added", "thread.item.done"):
            out.append(f"{event.type}:{event.item.type}")
        else:
            out.append(event.type)
    return out


def answer_text(events: list[ThreadStreamEvent]) -> str:
    """The text of the assistant messages finished in the events."""
    texts = []
    for event in events:
        if event.type == "thread.item.done" and isinstance(event.item, AssistantMessageItem):
            texts.append("".join(part.text for part in event.item.content))
    return "\n".join(texts)


def assistant(thread_id: str, text: str) -> AssistantMessageItem:
    return AssistantMessageItem(
        id=new_id("msg"),
        thread_id=thread_id,
        created_at=utcnow(),
        content=[AssistantMessageContent(text=text)],
    )


def assert_well_formed(events: list[ThreadStreamEvent]) -> None:
    """The order the widget depends on: updates only for added items, parts before deltas,
    every added item finished, unique item ids, and never a bare progress line at the end."""
    added: set[str] = set()
    done: set[str] = set()
    parts: dict[str, set[int]] = {}
    for event in events:
        if event.type == "thread.item.added":
            assert event.item.id not in added | done, f"item id reused: {event.item.id}"
            added.add(event.item.id)
        elif event.type == "thread.item.updated":
            assert event.item_id in added and event.item_id not in done, event
            update = event.update
            if update.type == "assistant_message.content_part.added":
                parts.setdefault(event.item_id, set()).add(update.content_index)
            elif update.type.startswith("assistant_message.content_part."):
                assert update.content_index in parts.get(event.item_id, set()), event
        elif event.type == "thread.item.done":
            assert event.item.id not in done, f"item finished twice: {event.item.id}"
            done.add(event.item.id)
        if event.type in ("thread.item.added", "thread.item.done"):
            assert not event.item.id.startswith("client_")
            assert "__fake_id__" not in event.item.id
    assert added <= done, f"items added and never finished: {added - done}"
    if events:
        assert events[-1].type != "progress_update"
