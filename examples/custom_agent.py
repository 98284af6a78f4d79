"""A team's own agent and widget action on the bridge, using only the names `bridge` exports.

- the agent: its own instructions, its own tool (`book_stock`, with its own progress line),
  and a client tool the page runs (`open_cart`, see onClientTool);
- the model: whatever BRIDGE_MODEL / OPENAI_API_KEY say (offline without a key: the offline
  model says so and echoes), or any `agents` Model object passed to `build_app(model=…)`;
- an action: a widget button `{"type": "shop.reserve", "payload": {"title": …}}` answered by
  the team's handler.

Run it (offline unless OPENAI_API_KEY is set):

    python -m examples.custom_agent --port 8001      # or PORT=8001; default 8000
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from datetime import date

from agents import Agent, RunContextWrapper, function_tool
from agents.models.interface import Model
from starlette.applications import Starlette

from bridge import (
    Action,
    ActionContext,
    ActionRegistry,
    AgentContext,
    AgentResponder,
    AssistantMessageContent,
    AssistantMessageItem,
    ClientTool,
    Settings,
    ThreadItemDoneEvent,
    ThreadStreamEvent,
    Turn,
    TurnFailed,
    WidgetItem,
    create_app,
    utcnow,
    with_progress,
)

STOCK = {"the hobbit": 3, "dune": 0, "emma": 1}

INSTRUCTIONS = """\
You are Shelf, the assistant of a small bookshop. You answer questions about books in stock
with book_stock, and open the cart with open_cart when the customer wants to buy. Answer
briefly. Today is {today}."""


@function_tool
async def book_stock(ctx: RunContextWrapper[AgentContext[None]], title: str) -> str:
    """How many copies of a book the shop has.

    Args:
        title: The book's title, such as "Dune".
    """
    copies = STOCK.get(title.strip().lower())
    if copies is None:
        return f"The shop does not sell “{title}”."
    return f"“{title}”: {copies} in stock." if copies else f"“{title}” is sold out."


OPEN_CART = ClientTool(
    name="open_cart",
    description="Open the shop's cart in the page with a book in it.",
    params_json_schema={
        "type": "object",
        "properties": {"title": {"type": "string"}},
        "required": ["title"],
        "additionalProperties": False,
    },
)


def shop_agent(turn: Turn) -> Agent[AgentContext[None]]:
    """The agent for every turn: the responder sets its model (and a composer tool choice)."""
    return Agent[AgentContext[None]](
        name="Shelf",
        instructions=INSTRUCTIONS.format(today=date.today().isoformat()),
        tools=[with_progress(book_stock, "Checking the shelves…")],
    )


actions = ActionRegistry()


@actions.stream("shop.reserve")
async def reserve(
    ctx: ActionContext, action: Action, sender: WidgetItem | None
) -> AsyncIterator[ThreadStreamEvent]:
    """A widget's Reserve button: answer in the thread (the item is stored by the bridge)."""
    payload = action.payload if isinstance(action.payload, dict) else {}
    title = str(payload.get("title", "")).strip()
    if title.lower() not in STOCK:
        raise TurnFailed(f"The shop does not sell “{title}”.")
    yield ThreadItemDoneEvent(
        item=AssistantMessageItem(
            id=ctx.new_id("msg"),
            thread_id=ctx.thread.id,
            created_at=utcnow(),
            content=[AssistantMessageContent(text=f"Reserved “{title}” for you.")],
        )
    )


def build_app(settings: Settings | None = None, *, model: Model | None = None) -> Starlette:
    """The bridge with the shop's agent and actions."""
    settings = settings or Settings.from_env()
    responder = AgentResponder(settings, agent=shop_agent, model=model, client_tools=[OPEN_CART])
    return create_app(settings, responder=responder, actions=actions)


def main() -> None:
    """Serve the example (`--host`, `--port`, or HOST / PORT; default 127.0.0.1:8000)."""
    import uvicorn

    parser = argparse.ArgumentParser(description="The bookshop example on the bridge.")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args()
    uvicorn.run(build_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
