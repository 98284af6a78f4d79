"""The todo tools over MCP (streamable HTTP at `/mcp`), with the bridge's own auth.

A thin ASGI wrapper authenticates each request before MCP sees it (401 JSON otherwise) and
puts the user on the request's state; every tool then works on that user's tasks only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from db import NotFound

from ..context import Services
from ..errors import BridgeError
from .tasks import TaskService

MCP_PATH = "/mcp"


def _tasks(services: Services, ctx: Context) -> TaskService:
    request = ctx.request_context.request
    user_id = getattr(getattr(request, "state", None), "user_id", None)
    if not user_id:  # the wrapper always sets it; never serve a tool without a user
        raise ToolError("not authenticated")
    return TaskService(services.store, user_id)


async def _call(coro: Any) -> Any:
    try:
        return await coro
    except (BridgeError, NotFound) as exc:
        raise ToolError(str(exc)) from None


def build_server(services: Services) -> MCPServer[Any]:
    """An MCP server with the todo tools on the given services."""
    # MCPServer runs logging.basicConfig(level=log_level) when the root logger has no
    # handler: at its default INFO that turns on an unformatted line per request (issue #7).
    server: MCPServer[Any] = MCPServer(
        "chatkit-bridge-todo",
        instructions="Manage the signed-in user's todo list.",
        log_level="WARNING",
    )

    @server.tool()
    async def add_task(
        ctx: Context, title: str, description: str | None = None, due_date: str | None = None
    ) -> dict[str, Any]:
        """Add a task (due_date as YYYY-MM-DD)."""
        result: dict[str, Any] = await _call(
            _tasks(services, ctx).add(title, description, due_date)
        )
        return result

    @server.tool()
    async def list_tasks(ctx: Context, status: str = "all") -> list[dict[str, Any]]:
        """List tasks: status is all, open or completed."""
        result: list[dict[str, Any]] = await _call(_tasks(services, ctx).list(status))
        return result

    @server.tool()
    async def complete_task(ctx: Context, task_id: int) -> dict[str, Any]:
        """Mark a task done."""
        result: dict[str, Any] = await _call(_tasks(services, ctx).complete(task_id))
        return result

    @server.tool()
    async def update_task(
        ctx: Context,
        task_id: int,
        title: str | None = None,
        description: str | None = None,
        due_date: str | None = None,
        completed: bool | None = None,
    ) -> dict[str, Any]:
        """Change a task's title, description, due date or completed state."""
        result: dict[str, Any] = await _call(
            _tasks(services, ctx).update(
                task_id,
                title=title,
                description=description,
                due_date=due_date,
                completed=completed,
            )
        )
        return result

    @server.tool()
    async def delete_task(ctx: Context, task_id: int) -> dict[str, Any]:
        """Delete a task."""
        result: dict[str, Any] = await _call(_tasks(services, ctx).delete(task_id))
        return result

    return server


class MCPEndpoint:
    """ASGI endpoint for `/mcp`: authenticate, then hand the request to the MCP app."""

    def __init__(
        self, services: Services, security: TransportSecuritySettings | None = None
    ) -> None:
        self.services = services
        self.server = build_server(services)
        # DNS rebinding protection (issue 15): the app passes the hosts it answers.
        self.security = security or TransportSecuritySettings()
        self.app = self.server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            stateless_http=True,
            json_response=True,
            transport_security=self.security,
        )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the MCP session manager (for the app's lifespan)."""
        async with self.server.session_manager.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from ..routes import error_response

        request = Request(scope, receive)
        try:
            principal = await self.services.gate.admit(request)
        except BridgeError as exc:
            await error_response(exc)(scope, receive, send)
            return
        scope.setdefault("state", {})["user_id"] = principal.user_id
        await self.app(scope, receive, send)
