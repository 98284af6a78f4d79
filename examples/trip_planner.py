"""A trip planner on the bridge, built only on the names `bridge` exports (no todo parts).

- its own state per turn (`TripState`: the user's bookings), reached by tools as
  `ctx.context.state`;
- `search_flights`: a progress line, then a flights card streamed in and updated in place
  (rows appear as results arrive, the summary text streams in);
- `plan_trip`: a workflow whose tasks are added, run and ended, and an entity citation;
- `get_location`: a client tool the page runs (`onClientTool`);
- a "Book" button on every flight (`trip.book`), answered by the app's action handler;
- its own `trip_bookings` table (`AppTables`), next to the bridge's in the same database;
- all of it plugged in whole as a `bridge.App` (`TripApp`; see docs/apps.md).

Run it (offline unless OPENAI_API_KEY is set; the offline model says so and echoes):

    python -m examples.trip_planner --port 8001
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from agents import Agent, RunContextWrapper, function_tool
from agents.models.interface import Model
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from bridge import (
    Action,
    ActionConfig,
    ActionContext,
    ActionRegistry,
    AgentContext,
    AgentResponder,
    App,
    AppTables,
    AssistantMessageContent,
    AssistantMessageItem,
    Badge,
    Button,
    Caption,
    Card,
    ClientTool,
    Col,
    CustomTask,
    EntitySource,
    Responder,
    Row,
    Services,
    Settings,
    Text,
    ThreadItemDoneEvent,
    ThreadItemReplacedEvent,
    ThreadStreamEvent,
    Title,
    Turn,
    TurnFailed,
    WidgetItem,
    create_app,
    utcnow,
    with_progress,
)

# ---- the app's own table ----------------------------------------------------------------------

metadata = sa.MetaData()
bookings_table = sa.Table(
    "trip_bookings",
    metadata,
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.String(255), nullable=False, index=True),
    sa.Column("flight", sa.String(32), nullable=False),
)


@dataclass(frozen=True)
class Bookings:
    """The user's flight bookings, in the app's own table on the bridge's database."""

    engine: AsyncEngine

    async def book(self, user_id: str, flight: str) -> str:
        """Book a flight; returns the booking number."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                bookings_table.insert().values(user_id=user_id, flight=flight)
            )
            number = result.inserted_primary_key[0] if result.inserted_primary_key else 0
        return f"TRIP-{number:04d}"

    async def of(self, user_id: str) -> list[str]:
        """The user's booked flights, oldest first."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(bookings_table.c.flight)
                .where(bookings_table.c.user_id == user_id)
                .order_by(bookings_table.c.number)
            )
            return [row.flight for row in rows]


@dataclass
class TripState:
    """The trip app's state for a turn."""

    bookings: Bookings
    delay: float = 0.0
    """Seconds between flight results arriving (a real search takes time)."""


TripContext = AgentContext[TripState]

# ---- flights ----------------------------------------------------------------------------------

FLIGHTS: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("paris", "rome"): [
        {"id": "AZ331", "departs": "07:10", "price": 89},
        {"id": "AF1404", "departs": "12:35", "price": 124},
        {"id": "FR9012", "departs": "18:50", "price": 41},
    ],
    ("london", "lisbon"): [{"id": "TP1351", "departs": "09:00", "price": 77}],
}

BOOK_ACTION = "trip.book"


def flights_card(
    origin: str, destination: str, flights: list[dict[str, Any]], summary: str, *, done: bool
) -> dict[str, Any]:
    """The flights card: a row per flight with a Book button, and a summary that streams."""
    rows = [
        Row(
            [
                Col(
                    [Text(flight["id"], weight="semibold"), Caption(f"departs {flight['departs']}")]
                ),
                Badge(f"€{flight['price']}", color="info"),
                Button(
                    "Book",
                    size="sm",
                    on_click_action=ActionConfig(BOOK_ACTION, {"flight": flight["id"]}),
                ),
            ],
            key=flight["id"],
            justify="between",
            align="center",
        )
        for flight in flights
    ]
    return Card(
        [
            Title(f"{origin.title()} → {destination.title()}", size="sm"),
            Col(rows, id="flights", gap=2),
            Text(summary, id="summary", streaming=not done, color="secondary"),
        ],
        id="flights-card",
    )


@function_tool
async def search_flights(ctx: RunContextWrapper[TripContext], origin: str, destination: str) -> str:
    """Search flights between two cities; the user sees them on a card with Book buttons.

    Args:
        origin: The city to leave from, such as "Paris".
        destination: The city to fly to, such as "Rome".
    """
    context = ctx.context
    found = FLIGHTS.get((origin.strip().lower(), destination.strip().lower()), [])
    live = context.start_widget(flights_card(origin, destination, [], "", done=False))
    shown: list[dict[str, Any]] = []
    summary = ""
    for flight in found:
        await asyncio.sleep(context.state.delay)  # results arrive one by one
        shown.append(flight)
        summary += f"{flight['id']} at {flight['departs']} for €{flight['price']}. "
        live.update(flights_card(origin, destination, shown, summary, done=False))
    closing = summary + ("Cheapest first? Tap Book." if found else "No flights found.")
    live.update(flights_card(origin, destination, shown, closing, done=True))
    live.done(copy_text=closing)
    if not found:
        return f"No flights from {origin} to {destination}."
    return "Flights shown to the user: " + summary


@function_tool
async def plan_trip(ctx: RunContextWrapper[TripContext], destination: str, days: int) -> str:
    """Plan the days of a trip; the user sees the planning steps as they run.

    Args:
        destination: The city of the trip.
        days: How many days.
    """
    context = ctx.context
    context.start_workflow(expanded=True)
    steps = ["Check the weather", "Pick neighbourhoods", "Draft a day plan"]
    for step in steps:
        index = context.add_workflow_task(CustomTask(title=step, status_indicator="loading"))
        await asyncio.sleep(context.state.delay)
        context.update_workflow_task(CustomTask(title=step, status_indicator="complete"), index)
    context.end_workflow(summary=f"Planned {days} days in {destination.title()}")
    context.cite(
        EntitySource(
            id=f"city:{destination.strip().lower()}",
            title=destination.title(),
            icon="map-pin",
            interactive=True,
        )
    )
    return f"A {days}-day plan for {destination.title()}: museums, markets, a day trip."


GET_LOCATION = ClientTool(
    name="get_location",
    description="Ask the page for the user's current city.",
)

INSTRUCTIONS = """\
You are a trip planner. Search flights with search_flights, plan days with plan_trip, and ask
for the user's city with get_location when you need to know where they are. Answer briefly."""


def trip_agent(turn: Turn) -> Agent[TripContext]:
    """The agent for every turn (the responder sets its model)."""
    return Agent[TripContext](
        name="Trip planner",
        instructions=INSTRUCTIONS,
        tools=[
            with_progress(search_flights, "Searching flights…"),
            with_progress(plan_trip, "Planning your trip…"),
        ],
    )


def register_trip_actions(actions: ActionRegistry) -> None:
    """The Book button: books the flight, marks it booked on the card, and confirms."""

    @actions.stream(BOOK_ACTION)
    async def book(
        ctx: ActionContext, action: Action, sender: WidgetItem | None
    ) -> AsyncIterator[ThreadStreamEvent]:
        payload = action.payload if isinstance(action.payload, dict) else {}
        flight = str(payload.get("flight", ""))
        if not any(flight == f["id"] for found in FLIGHTS.values() for f in found):
            raise TurnFailed(f"There is no flight “{flight}”.")
        trips = ctx.services.app
        assert isinstance(trips, TripApp)  # the app this handler is registered by
        number = await trips.bookings.book(ctx.user_id, flight)
        if sender is not None:
            widget = _mark_booked(sender.widget, flight)
            yield ThreadItemReplacedEvent(item=sender.model_copy(update={"widget": widget}))
        yield ThreadItemDoneEvent(
            item=AssistantMessageItem(
                id=ctx.new_id("msg"),
                thread_id=ctx.thread.id,
                created_at=utcnow(),
                content=[AssistantMessageContent(text=f"Booked {flight}: booking {number}.")],
            )
        )


def _mark_booked(node: Any, flight: str) -> Any:
    """The card with the booked flight's button replaced by a "Booked" badge."""
    if isinstance(node, list):
        return [_mark_booked(child, flight) for child in node]
    if not isinstance(node, dict):
        return node
    action = node.get("onClickAction")
    booked = isinstance(action, dict) and action.get("payload", {}).get("flight") == flight
    if node.get("type") == "Button" and booked:
        return Badge("Booked", color="success")
    return {key: _mark_booked(value, flight) for key, value in node.items()}


class TripApp(App):
    """The trip planner, plugged into the bridge whole: its agent, its Book button, its table."""

    name = "trips"
    # Made beside the bridge's tables; versioned by its own scripts (alembic_version_trips).
    tables = AppTables(metadata, migrations=Path(__file__).parent / "trip_planner_migrations")

    def __init__(self, *, model: Model | None = None, delay: float = 0.3) -> None:
        self.model = model
        self.delay = delay
        self._bookings: Bookings | None = None

    @property
    def bookings(self) -> Bookings:
        """The bookings table (ready once the app runs)."""
        if self._bookings is None:
            raise RuntimeError("the trip app is not running")
        return self._bookings

    def responder(self, settings: Settings) -> Responder:
        """The trip agent, with its own state per turn and the page's `get_location` tool."""
        return AgentResponder(
            settings,
            agent=trip_agent,
            context=lambda turn: TripState(bookings=self.bookings, delay=self.delay),
            model=self.model,
            client_tools=[GET_LOCATION],
        )

    def register_actions(self, registry: ActionRegistry) -> None:
        """The Book button."""
        register_trip_actions(registry)

    def lifespan(self, services: Services) -> AbstractAsyncContextManager[None]:
        """The bookings live on the engine of the bridge's store (closed with the bridge)."""
        return self._running(services)

    @asynccontextmanager
    async def _running(self, services: Services) -> AsyncIterator[None]:
        engine = getattr(services.store, "engine", None)
        if not isinstance(engine, AsyncEngine):
            raise TypeError("the trip app keeps its table beside the SQLAlchemy store's")
        self._bookings = Bookings(engine)
        try:
            yield
        finally:
            self._bookings = None


def build_app(
    settings: Settings | None = None, *, model: Model | None = None, delay: float = 0.3
) -> Starlette:
    """The bridge serving the trip planner."""
    return create_app(settings, app=TripApp(model=model, delay=delay))


def main() -> None:
    """Serve the trip planner (`--port`, or PORT, default 8001)."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8001")))
    args = parser.parse_args()
    uvicorn.run(build_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
