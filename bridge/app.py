"""The ASGI app: `create_app()` wires settings, store, responder, actions and auth."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route

from db import Store, make_engine
from db.migrations import prepare_schema
from db.session import pool_options

from .actions import ActionRegistry
from .attachment_files import AttachmentFiles, load_secret
from .auth import (
    Authenticator,
    AuthSettings,
    LocalAuthenticator,
    make_authenticator,
    session_endpoint,
    session_refresh_endpoint,
)
from .console import console_routes
from .context import Services
from .gate import Gate
from .limits import RateLimiter
from .metrics import metrics_route
from .origins import OriginGuard, configured_hosts, mcp_security
from .responder import Responder
from .routes import routes
from .settings import Settings
from .shared_store import SharedStore, make_shared_store
from .todo.mcp import MCP_PATH, MCPEndpoint

log = logging.getLogger("bridge")

# The widget's custom header forces a preflight; these are the headers it sends.
CORS_HEADERS = ["content-type", "authorization", "chatkit-frame-instance-id", "accept-language"]


class DatabaseUnavailable(RuntimeError):
    """The database could not be opened at start-up (the message names it, never a password)."""


def default_actions() -> ActionRegistry:
    """The registry with the todo app's actions."""
    registry = ActionRegistry()
    try:
        from .todo.task_actions import register_todo_actions
    except ImportError:
        return registry
    register_todo_actions(registry)
    return registry


def default_responder(settings: Settings) -> Responder:
    """The Agents SDK responder (offline model when no API key is set)."""
    from .todo.tools import make_responder

    return make_responder(settings)


def responder_running(services: Services) -> AbstractAsyncContextManager[Any]:
    """The responder's own start-up and shut-down, if it has any.

    A responder with `running(files=…)` (an async context manager, like AgentResponder's) is
    given the app's attachment files and keeps its connections (MCP servers) open for the
    app's lifetime.
    """
    running = getattr(services.responder, "running", None)
    if running is None:
        return nullcontext()
    started: AbstractAsyncContextManager[Any] = running(files=services.files)
    return started


def default_limiter(shared: SharedStore) -> RateLimiter:
    """The rate limiter the environment configures, counting in the app's shared store."""
    return RateLimiter.from_env(store=shared)


def create_app(
    settings: Settings | None = None,
    *,
    engine: AsyncEngine | None = None,
    responder: Responder | None = None,
    actions: ActionRegistry | None = None,
    authenticator: Authenticator | None = None,
    auth_settings: AuthSettings | None = None,
    limiter: RateLimiter | None = None,
) -> Starlette:
    """The bridge as an ASGI app; every part can be given instead of made from settings."""
    settings = settings or Settings.from_env()
    auth_settings = auth_settings or AuthSettings.from_env()
    authenticator = authenticator or make_authenticator(auth_settings)
    engine = engine or make_engine(
        settings.database_url,
        **pool_options(settings.database_url, settings.pool_size, settings.pool_timeout),
    )
    store = Store(engine)
    # Rate limits and retired session tokens, seen by every worker (issue 15).
    shared = make_shared_store(engine, settings.redis_url)
    limiter = limiter if limiter is not None else default_limiter(shared)
    services = Services(
        settings=settings,
        store=store,
        responder=responder or default_responder(settings),
        actions=actions if actions is not None else default_actions(),
        files=AttachmentFiles(
            store,
            storage=settings.attachment_storage,
            folder=settings.data_dir / "attachments",
            secret=load_secret(settings.data_dir, settings.secret_key),
        ),
        authenticator=authenticator,
        limiter=limiter,
        shared=shared,
        gate=Gate(authenticator, limiter, shared),
    )

    services.metrics.watch_pool("main", engine.pool)
    extra_routes = []
    if settings.metrics:
        extra_routes.append(metrics_route(services.metrics, settings.metrics_token))
    # Without auth, any page or DNS name could act as the local user (issue 15): refuse foreign
    # Hosts and Origins. With auth, MCP checks hosts only when the public ones are configured.
    no_auth = isinstance(authenticator, LocalAuthenticator)
    mcp = MCPEndpoint(
        services,
        mcp_security(settings, enabled=no_auth or bool(configured_hosts(settings))),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            app.state.schema = await prepare_schema(engine)
        except Exception as exc:
            await store.close()
            where = engine.url.render_as_string(hide_password=True)
            raise DatabaseUnavailable(f"cannot open the database {where}: {exc}") from exc
        stores = [shared] if limiter.store is shared else [shared, limiter.store]
        try:
            for one in stores:
                await one.start()
            async with mcp.running(), responder_running(services):
                yield
        finally:
            for one in stores:
                await one.close()
            await store.close()

    middleware = []
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "PUT", "OPTIONS"],
                allow_headers=CORS_HEADERS,
                max_age=600,
            )
        )
    # Inside CORS, so a stranger's preflight still gets CORS's own answer.
    if no_auth:
        middleware.append(
            Middleware(
                OriginGuard,
                hosts=configured_hosts(settings),
                origins=frozenset(settings.cors_origins),
            )
        )
    app = Starlette(
        routes=[
            *routes(settings.path),
            Route(MCP_PATH, mcp, methods=["GET", "POST", "DELETE"]),
            Route(
                f"{settings.path}/session",
                session_endpoint(authenticator, auth_settings, services.gate),
                methods=["POST"],
            ),
            Route(
                f"{settings.path}/session/refresh",
                session_refresh_endpoint(auth_settings, shared, services.gate),
                methods=["POST"],
            ),
            *console_routes(settings),
            *extra_routes,
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.mcp_endpoint = mcp
    return app
