"""An app on the bridge: what it brings, whole (responder, actions, routes, services, tables).

The bridge is the ChatKit engine; an app is what a team builds on it. The todo assistant
(`bridge/todo/`) is one, built exactly like this:

    class TripApp(App):
        name = "trips"
        tables = AppTables(Base.metadata, migrations=Path(__file__).parent / "migrations")

        def responder(self, settings: Settings) -> Responder:
            return AgentResponder(settings, agent=trip_agent)

        def register_actions(self, registry: ActionRegistry) -> None:
            registry.stream("trips.book")(book)

        def routes(self, services: Services) -> Sequence[BaseRoute]:
            return [Route("/api/bookings", endpoint(list_bookings), methods=["GET"])]

    app = create_app(app=TripApp())

Every part is optional. The app object is the app's services: `create_app` puts it on
`Services.app`, every turn's `Turn.app` and every action's `ActionContext.services.app`, so
tools and action handlers reach what the app keeps (a client, a cache, a service). Its
routes authenticate with `await require_user(request)` (`bridge/routes.py`): the bridge's own
auth and rate limit, and errors answered as the bridge's JSON errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import MetaData
from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from .actions import ActionRegistry
    from .context import Services
    from .responder import Responder
    from .settings import Settings


@dataclass(frozen=True)
class AppTables:
    """An app's own tables, beside the bridge's, and the Alembic scripts that version them.

    A new database gets `metadata.create_all` and is stamped at the app's head; an existing
    one is checked against it. `migrations` is an Alembic script folder (`env.py`,
    `script.py.mako`, `versions/`) whose revisions are recorded in a version table of the
    app's own (`alembic_version_<app name>`), so the app's history never mixes with the
    bridge's. `None`: the tables are created when missing, never migrated.
    """

    metadata: MetaData
    migrations: Path | None = None


class App:
    """An app on the bridge. Subclass it and override what your app brings."""

    name: ClassVar[str] = "app"
    """Names the app in logs and its migrations' version table."""
    tables: ClassVar[AppTables | None] = None

    def responder(self, settings: Settings) -> Responder | None:
        """What answers the turns; None leaves it to `create_app(responder=…)`."""
        return None

    def register_actions(self, registry: ActionRegistry) -> None:
        """Add the app's widget and client actions (`registry.stream`, `registry.sync`)."""

    def routes(self, services: Services) -> Sequence[BaseRoute]:
        """The app's own HTTP routes (wrap endpoints with `bridge.routes.endpoint`)."""
        return ()

    def lifespan(self, services: Services) -> AbstractAsyncContextManager[None]:
        """Runs for the app's lifetime, inside the bridge's (after the database is ready)."""
        return nullcontext()
