"""examples/trip_planner.py, driven offline over HTTP by a scripted model: its own state,
a progress line then a flights card streamed and updated in place, a workflow with a
citation, a client tool, a Book action writing its own table, and memory of the search."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from starlette.applications import Starlette

from bridge import Call, EchoModel, Say
from bridge.app import schemas_of
from bridge.auth import LOCAL_USER
from db.migrations import sync_url, upgrade
from examples import trip_planner

from ..conftest import Connect, MakeApp
from ..wire import post, stream, user_input
from .conftest import Start


@pytest.fixture
def start(make_app: MakeApp, connect: Connect) -> Start:
    """`await start(model)` → (app, client): the trip planner built offline, started."""

    async def started(model: Any = None) -> tuple[Starlette, httpx.AsyncClient]:
        build = partial(trip_planner.build_app, model=model, delay=0.0)
        app = await make_app(build=build, offline=True)
        return app, connect(app)

    return started


def _kinds(events: list[dict[str, Any]]) -> list[str]:
    out = []
    for e in events:
        if e["type"] == "thread.item.updated":
            out.append(e["update"]["type"])
        elif e["type"] in ("thread.item.added", "thread.item.done"):
            out.append(f"{e['type']}:{e['item']['type']}")
        else:
            out.append(e["type"])
    return out


def _texts(events: list[dict[str, Any]]) -> list[str]:
    return [
        "".join(part["text"] for part in e["item"]["content"])
        for e in events
        if e["type"] == "thread.item.done" and e["item"]["type"] == "assistant_message"
    ]


async def test_without_a_key_the_trip_app_says_it_is_offline(start: Any) -> None:
    _, client = await start()

    events = await stream(client, "threads.create", input=user_input("fly me to Rome"))

    [answer] = _texts(events)
    assert "Offline model" in answer and "fly me to Rome" in answer
    assert "todo" not in answer.lower() and "task" not in answer.lower()


async def test_flights_stream_in_a_card_updated_in_place(start: Any) -> None:
    model = EchoModel(
        [Call("search_flights", {"origin": "Paris", "destination": "Rome"}), Say("Three.")]
    )
    _, client = await start(model)

    events = await stream(client, "threads.create", input=user_input("flights paris rome"))

    kinds = _kinds(events)
    start_at = kinds.index("progress_update")
    assert events[start_at]["text"] == "Searching flights…"
    assert kinds[start_at + 1] == "thread.item.added:widget"
    card_id = events[start_at + 1]["item"]["id"]
    updates = [e for e in events if e["type"] == "thread.item.updated" and e["item_id"] == card_id]
    components = [u["update"] for u in updates if u["update"]["type"] == "widget.component.updated"]
    deltas = [
        u["update"] for u in updates if u["update"]["type"] == "widget.streaming_text.value_delta"
    ]
    # A row per result, each time the list of rows is sent, never the whole card.
    assert [len(c["component"]["children"]) for c in components] == [1, 2, 3]
    assert {c["component_id"] for c in components} == {"flights"}
    assert all(d["component_id"] == "summary" for d in deltas)
    assert [d["done"] for d in deltas] == [False, False, False, True]
    assert not any(u["update"]["type"] == "widget.root.updated" for u in updates)
    [done] = [e for e in events if e["type"] == "thread.item.done" and e["item"]["id"] == card_id]
    summary = done["item"]["widget"]["children"][2]
    assert summary["value"] == "".join(d["delta"] for d in deltas)
    assert summary["streaming"] is False
    assert done["item"]["copy_text"].startswith("AZ331 at 07:10")
    assert kinds.index("thread.item.done:widget") < kinds.index(
        "thread.item.added:assistant_message"
    )
    assert _texts(events)[-1].endswith("Three.")


async def test_plan_is_a_workflow_and_cites_the_city(start: Any) -> None:
    model = EchoModel([Call("plan_trip", {"destination": "rome", "days": 2}), Say("Enjoy Rome!")])
    _, client = await start(model)

    events = await stream(client, "threads.create", input=user_input("plan two days in rome"))

    kinds = _kinds(events)
    flow = kinds[
        kinds.index("thread.item.added:workflow") : kinds.index("thread.item.done:workflow") + 1
    ]
    assert flow == [
        "thread.item.added:workflow",
        *["workflow.task.added", "workflow.task.updated"] * 3,
        "thread.item.done:workflow",
    ]
    done = next(
        e for e in events if e["type"] == "thread.item.done" and e["item"]["type"] == "workflow"
    )
    workflow = done["item"]["workflow"]
    assert workflow["summary"] == {"title": "Planned 2 days in Rome"}
    assert [t["status_indicator"] for t in workflow["tasks"]] == ["complete"] * 3
    message = next(
        e
        for e in events
        if e["type"] == "thread.item.done" and e["item"]["type"] == "assistant_message"
    )
    [annotation] = message["item"]["content"][0]["annotations"]
    assert annotation["source"]["type"] == "entity" and annotation["source"]["id"] == "city:rome"
    assert "assistant_message.content_part.annotation_added" in kinds


async def test_client_tool_then_booking_into_its_own_table(start: Any) -> None:
    model = EchoModel(
        [
            Call("get_location"),
            Call("search_flights", {"origin": "Paris", "destination": "Rome"}),
            Say("Pick one."),
            Say("Your booking is TRIP-0001."),
        ]
    )
    app, client = await start(model)

    asked = await stream(client, "threads.create", input=user_input("where can I fly?"))
    thread_id = asked[0]["thread"]["id"]
    pending = [e["item"] for e in asked if e.get("item", {}).get("type") == "client_tool_call"]
    assert [(c["name"], c["status"]) for c in pending] == [("get_location", "pending")]

    found = await stream(
        client, "threads.add_client_tool_output", thread_id=thread_id, result={"city": "Paris"}
    )
    card = next(
        e["item"]
        for e in found
        if e["type"] == "thread.item.done" and e["item"]["type"] == "widget"
    )

    booked = await stream(
        client,
        "threads.custom_action",
        thread_id=thread_id,
        item_id=card["id"],
        action={"type": "trip.book", "payload": {"flight": "FR9012"}},
    )
    assert _kinds(booked)[1:] == ["thread.item.replaced", "thread.item.done:assistant_message"]
    assert _texts(booked) == ["Booked FR9012: booking TRIP-0001."]
    replaced = booked[1]["item"]["widget"]
    assert "Booked" in str(replaced) and "'flight': 'FR9012'" not in str(replaced)
    assert await app.state.services.app.bookings.of(LOCAL_USER) == ["FR9012"]

    # The next turn's model input remembers the search: its call and its output.
    await stream(client, "threads.add_user_message", thread_id=thread_id, input=user_input("ok?"))
    remembered = model.inputs[-1]
    call = next(i for i in remembered if i.get("type") == "function_call")
    output = next(i for i in remembered if i.get("type") == "function_call_output")
    assert call["name"] == "get_location" or call["name"] == "search_flights"
    searched = [i for i in remembered if i.get("name") == "search_flights"]
    assert searched and "FR9012" in next(
        o["output"]
        for o in remembered
        if o.get("type") == "function_call_output" and o["call_id"] == searched[0]["call_id"]
    )
    assert output["call_id"] == call["call_id"]


async def test_unknown_flight_is_an_error_in_the_thread(start: Any) -> None:
    _, client = await start()
    created = await stream(client, "threads.create", input=user_input("hi"))

    failed = await stream(
        client,
        "threads.custom_action",
        thread_id=created[0]["thread"]["id"],
        action={"type": "trip.book", "payload": {"flight": "XX1"}},
    )

    assert failed[-1]["type"] == "error" and "XX1" in failed[-1]["message"]
    sync = await post(
        client,
        "threads.sync_custom_action",
        thread_id=created[0]["thread"]["id"],
        action={"type": "tasks.complete", "payload": {"task_id": 1}},
    )
    assert sync.status_code == 400  # no todo action in this app


def test_the_bookings_migrations_make_the_bookings_model(tmp_path: Path) -> None:
    """The app's table through its own Alembic scripts: the same table as its model."""
    [schema] = schemas_of(trip_planner.TripApp())
    url = f"sqlite:///{tmp_path}/trips.db"
    mine = set(trip_planner.metadata.tables)
    upgrade(url, "head", [schema])  # the bridge's tables and the app's, at their heads
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            versions = MigrationContext.configure(
                conn, opts={"version_table": "alembic_version_trips"}
            )
            assert versions.get_current_revision() == "trip001"
            assert "trip_bookings" in inspect(conn).get_table_names()
            # Only the app's table is the app's to judge (not the bridge's, nor version tables).
            own = MigrationContext.configure(
                conn, opts={"include_name": lambda name, kind, _: kind != "table" or name in mine}
            )
            diff = compare_metadata(own, trip_planner.metadata)
    finally:
        engine.dispose()
    assert diff == []
