"""The todo app: the default app of `create_app()`, plugged in like any team's app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from starlette.routing import BaseRoute, Route

from ..actions import ActionRegistry
from ..auth import LocalAuthenticator
from ..context import Services
from ..origins import configured_hosts, mcp_security
from ..plugin import App, AppTables
from ..responder import Responder
from ..settings import Settings
from .mcp import MCP_PATH, MCPEndpoint
from .tables import TodoBase
from .task_actions import register_todo_actions
from .tasks_api import task_routes


class TodoApp(App):
    """A todo assistant: tools over the tasks table, a task-list widget, `/api/tasks`, `/mcp`."""

    name = "todo"
    tables = AppTables(TodoBase.metadata, migrations=Path(__file__).parent / "migrations")

    def __init__(self) -> None:
        self.mcp: MCPEndpoint | None = None

    def responder(self, settings: Settings) -> Responder:
        """The todo agent on the configured model (the offline todo model without a key)."""
        from .tools import make_responder

        return make_responder(settings)

    def register_actions(self, registry: ActionRegistry) -> None:
        """The task list's buttons."""
        register_todo_actions(registry)

    def routes(self, services: Services) -> Sequence[BaseRoute]:
        """`/api/tasks` and the todo tools over MCP at `/mcp`."""
        # Without auth any DNS name could act as the local user (issue 15): MCP's own
        # rebinding protection is on then; with auth, only when public hosts are configured.
        no_auth = isinstance(services.authenticator, LocalAuthenticator)
        settings = services.settings
        self.mcp = MCPEndpoint(
            services, mcp_security(settings, enabled=no_auth or bool(configured_hosts(settings)))
        )
        return [*task_routes(), Route(MCP_PATH, self.mcp, methods=["GET", "POST", "DELETE"])]

    def lifespan(self, services: Services) -> AbstractAsyncContextManager[None]:
        """The MCP session manager runs while the app runs."""
        return self._running()

    @asynccontextmanager
    async def _running(self) -> AsyncIterator[None]:
        if self.mcp is None:
            yield
            return
        async with self.mcp.running():
            yield
