"""The ASGI app: `create_app()` wires settings, store, the app (responder, actions, routes)."""

from __future__ import annotations

import gc
import importlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route

from db import Store as SQLStore
from db import make_engine
from db.migrations import Schema, app_schema, prepare_schema
from db.session import pool_options

from .actions import ActionRegistry
from .attachment_files import AttachmentFiles, load_secret
from .auth import (
    LOCAL_USER,
    Authenticator,
    AuthSettings,
    LocalAuthenticator,
    make_authenticator,
    session_endpoint,
    session_refresh_endpoint,
)
from .console import console_routes
from .context import Services
from .env import Env
from .gate import Gate
from .limits import RateLimiter
from .logs import configure as configure_logs
from .metrics import metrics_route
from .origins import OriginGuard, configured_hosts
from .plugin import App
from .responder import Responder
from .routes import routes
from .settings import Settings
from .shared_store import MemoryStore, SharedStore, make_shared_store
from .storage import Store

log = logging.getLogger("bridge")

# The widget's custom header forces a preflight; these are the headers it sends.
CORS_HEADERS = ["content-type", "authorization", "chatkit-frame-instance-id", "accept-language"]


class DatabaseUnavailable(RuntimeError):
    """The database could not be opened at start-up (the message names it, never a password)."""


def default_app() -> App:
    """The app `create_app()` serves when given no app and no responder: the todo assistant."""
    from .todo.todo_app import TodoApp

    return TodoApp()


APP_ENV = "BRIDGE_APP"
"""`module:factory` of the app to serve (`chatkit-bridge serve --app` sets it)."""


def load_factory(spec: str) -> Callable[[], Any]:
    """The callable named by `module:attribute` (ValueError naming what is wrong)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{APP_ENV}: expected module:factory, got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"{APP_ENV}: cannot import {module_name!r}: {exc}") from exc
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise ValueError(f"{APP_ENV}: {module_name!r} has no callable {attribute!r}")
    return cast(Callable[[], Any], factory)


def app_from_env() -> Any:
    """What `BRIDGE_APP` names, made: an `App`, or an ASGI app; the todo app when unset."""
    spec = Env().text(APP_ENV)
    if spec is None:
        return default_app()
    made = load_factory(spec)()
    if not isinstance(made, App) and not callable(made):
        kind = type(made).__name__
        raise ValueError(f"{APP_ENV}: {spec} returned a {kind}, not an App or an ASGI app")
    return made


def serve_app() -> Any:
    """The ASGI app the CLI serves (a uvicorn factory): `app_from_env()`, plugged into
    `create_app` when it is an `App`."""
    made = app_from_env()
    return create_app(app=made) if isinstance(made, App) else made


def schemas_of(app: App | None) -> list[Schema]:
    """The app's tables as a migration schema (none for no app, or an app without tables)."""
    if app is None or app.tables is None:
        return []
    return [app_schema(app.name, app.tables.metadata, app.tables.migrations)]


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


def _freeze_start_up_heap() -> None:
    """Take what import and start-up built (modules, schemas, the pool) out of the garbage
    collector's scans, once per process.

    The bridge's heap is large (pydantic schemas, SQLAlchemy, the agents SDK) and lives as long
    as the process; every collection that reaches the older generations walks all of it. Frozen
    after a collection, it is still freed by reference counting, just never scanned: ~25 µs of
    CPU less per items.list on PostgreSQL (issue #13). A second app in the same process (tests)
    leaves the first freeze as it is.
    """
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


def default_limiter(shared: SharedStore) -> RateLimiter:
    """The rate limiter the environment configures, counting in the app's shared store."""
    return RateLimiter.from_env(store=shared)


def create_app(
    settings: Settings | None = None,
    *,
    app: App | None = None,
    engine: AsyncEngine | None = None,
    store: Store | None = None,
    responder: Responder | None = None,
    actions: ActionRegistry | None = None,
    authenticator: Authenticator | None = None,
    auth_settings: AuthSettings | None = None,
    limiter: RateLimiter | None = None,
) -> Starlette:
    """The bridge as an ASGI app; every part can be given instead of made from settings.

    `store` is any implementation of `bridge/storage.py` (default: `db.Store` on `engine`,
    itself made from `DATABASE_URL`); a store given keeps its own schema, and an app's tables
    are then made on `engine` only if one is given.

    `app` plugs an app in whole (`bridge/plugin.py`); `responder` and `actions` win over the
    app's. With neither an app nor a responder, the todo app is served (`bridge/todo/`);
    with only a responder, the bare engine: no todo routes, tools, tables or MCP server.
    """
    settings = settings or Settings.from_env()
    if app is None and responder is None:
        app = default_app()
    if responder is None and app is not None:
        responder = app.responder(settings)
    if responder is None:
        raise TypeError("create_app needs a responder, or an app that brings one")
    if actions is None:
        actions = ActionRegistry()
        if app is not None:
            app.register_actions(actions)
    auth_settings = auth_settings or AuthSettings.from_env()
    authenticator = authenticator or make_authenticator(auth_settings)
    own_schema = store is None  # a store the caller brings keeps its own schema
    if store is None:
        engine = engine or make_engine(
            settings.database_url,
            **pool_options(settings.database_url, settings.pool_size, settings.pool_timeout),
        )
        store = SQLStore(engine)
    # Rate limits and retired session tokens, seen by every worker (issue 15); a store of the
    # caller's own without an engine counts in memory unless Redis is configured.
    shared: SharedStore = (
        MemoryStore()
        if engine is None and not settings.redis_url
        else make_shared_store(cast(AsyncEngine, engine), settings.redis_url)
    )
    limiter = limiter if limiter is not None else default_limiter(shared)
    services = Services(
        settings=settings,
        store=store,
        responder=responder,
        actions=actions,
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
        app=app,
    )
    app_routes = list(app.routes(services)) if app is not None else []
    app_schemas = schemas_of(app)
    app_lifespan = app.lifespan if app is not None else (lambda services: nullcontext())
    if engine is not None:
        services.metrics.watch_pool("main", engine.pool)
    extra_routes = []
    if settings.metrics:
        extra_routes.append(metrics_route(services.metrics, settings.metrics_token))

    @asynccontextmanager
    async def lifespan(asgi: Starlette) -> AsyncIterator[None]:
        if not logging.getLogger().handlers:  # embedded (`uvicorn.run(app)`): nobody set it up
            configure_logs()
        if isinstance(authenticator, LocalAuthenticator):
            log.warning(
                "No authentication configured (AUTH_JWKS_URL, AUTH_JWT_SECRET): every request "
                "is the user '%s'; %s",
                LOCAL_USER,
                "requests from any address are served (BRIDGE_INSECURE_NO_AUTH)"
                if authenticator.allow_remote
                else "requests from other machines are refused",
            )
        asgi.state.schema = None  # a store of the caller's own: its schema is its own
        if engine is not None:
            try:
                asgi.state.schema = await prepare_schema(
                    engine, app_schemas, include_bridge=own_schema
                )
            except Exception as exc:
                await store.close()
                where = engine.url.render_as_string(hide_password=True)
                raise DatabaseUnavailable(f"cannot open the database {where}: {exc}") from exc
        stores = [shared] if limiter.store is shared else [shared, limiter.store]
        try:
            for one in stores:
                await one.start()
            async with app_lifespan(services), responder_running(services):
                _freeze_start_up_heap()
                yield
        finally:
            await limiter.close()  # its takes in flight finish before their store closes
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
    # Without auth, any page or DNS name could act as the local user (issue 15): refuse foreign
    # Hosts and Origins (inside CORS, so a stranger's preflight still gets CORS's own answer).
    if isinstance(authenticator, LocalAuthenticator):
        middleware.append(
            Middleware(
                OriginGuard,
                hosts=configured_hosts(settings),
                origins=frozenset(settings.cors_origins),
            )
        )
    asgi = Starlette(
        routes=[
            *routes(settings.path),
            *app_routes,
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
    asgi.state.services = services
    return asgi
