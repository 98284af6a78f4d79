"""The engine needs only the Store protocol (bridge/storage.py): db.Store implements it, and a
store that offers nothing else serves every op (a team's own store would do the same)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bridge.storage import Store as StoreProtocol
from db import Store, make_engine
from db.migrations import prepare_schema

from ..fakes import ScriptedResponder
from ..wire import post, stream, user_input

MEMBERS = sorted(
    name
    for name, value in vars(StoreProtocol).items()
    if inspect.iscoroutinefunction(value) and not name.startswith("_")
)


def test_db_store_has_every_method_of_the_protocol_with_its_parameters() -> None:
    for name in MEMBERS:
        wanted = inspect.signature(getattr(StoreProtocol, name)).parameters
        found = inspect.signature(getattr(Store, name)).parameters
        shape = [(p.name, p.kind, p.default) for p in wanted.values()]
        assert [(p.name, p.kind, p.default) for p in found.values()] == shape, name
    assert len(MEMBERS) >= 25


class OnlyTheProtocol:
    """Delegates the protocol's methods, and nothing else, to a db.Store."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner


def _delegate(name: str) -> Callable[..., Any]:
    async def call(self: OnlyTheProtocol, *args: Any, **kwargs: Any) -> Any:
        return await getattr(self._inner, name)(*args, **kwargs)

    return call


for _name in MEMBERS:
    setattr(OnlyTheProtocol, _name, _delegate(_name))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the store below is its own
async def test_a_store_with_only_the_protocol_serves_every_op(
    make_app: Callable[..., Any], connect: Callable[..., Any], tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/own.db")
    await prepare_schema(engine)  # a store the caller brings keeps its own schema
    own = OnlyTheProtocol(Store(engine))
    app = await make_app(store=own, responder=ScriptedResponder())
    http = connect(app)

    created = await stream(http, "threads.create", input=user_input("hello"))
    thread_id = created[0]["thread"]["id"]
    more = await stream(
        http, "threads.add_user_message", thread_id=thread_id, input=user_input("again")
    )
    assert more[-1]["type"] == "thread.item.done"
    items = (await post(http, "items.list", thread_id=thread_id, order="asc")).json()
    assert [i["type"] for i in items["data"]] == [
        "user_message",
        "assistant_message",
        "user_message",
        "assistant_message",
    ]
    answer_id = items["data"][1]["id"]
    assert (
        await post(
            http, "items.feedback", thread_id=thread_id, item_ids=[answer_id], kind="positive"
        )
    ).status_code == 200
    retried = await stream(
        http, "threads.retry_after_item", thread_id=thread_id, item_id=items["data"][2]["id"]
    )
    assert retried[-1]["type"] == "thread.item.done"
    assert (
        await post(http, "threads.update", thread_id=thread_id, title="renamed")
    ).status_code == 200
    listed = (await post(http, "threads.list")).json()
    assert [t["title"] for t in listed["data"]] == ["renamed"]
    made = await post(http, "attachments.create", name="a.txt", size=3, mime_type="text/plain")
    assert made.status_code == 200, made.text
    assert (
        await post(http, "attachments.delete", attachment_id=made.json()["id"])
    ).status_code == 200
    assert (await post(http, "threads.delete", thread_id=thread_id)).status_code == 200
    assert (await post(http, "threads.get_by_id", thread_id=thread_id)).status_code == 404
    await engine.dispose()
