"""An app plugs in whole: responder, actions, routes behind the bridge's auth, its services
reachable from turns and action handlers, and its lifespan (tables: tests/db/test_app_tables)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bridge import (
    ActionContext,
    ActionRegistry,
    App,
    BadRequest,
    Responder,
    Services,
    Settings,
    Turn,
    create_app,
    endpoint,
    require_user,
    stream_text,
)
from bridge.app import APP_ENV, serve_app
from bridge.auth import AuthSettings, JWTAuthenticator
from schemas import (
    Action,
    AssistantMessageContent,
    AssistantMessageItem,
    ThreadItemDoneEvent,
    ThreadStreamEvent,
    WidgetItem,
    utcnow,
)

from ..conftest import MakeApp, RunningLifespan
from ..wire import stream, user_input

SECRET = "s" * 40


class Counter:
    """The app's own service: what its tools and actions share."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}

    def hit(self, user_id: str) -> int:
        self.hits[user_id] = self.hits.get(user_id, 0) + 1
        return self.hits[user_id]


class CountingResponder:
    async def respond(self, turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        assert isinstance(turn.app, CounterApp)
        count = turn.app.counter.hit(turn.user_id)
        async for event in stream_text(turn, [f"turn {count}"]):
            yield event


async def count_route(request: Request) -> Response:
    user_id = await require_user(request)
    if request.query_params.get("fail"):
        raise BadRequest("asked to fail", code="invalid_params")
    app: CounterApp = request.app.state.services.app
    return JSONResponse({"user": user_id, "count": app.counter.hit(user_id)})


async def count_action(
    ctx: ActionContext, action: Action, sender: WidgetItem | None
) -> AsyncIterator[ThreadStreamEvent]:
    count = ctx.services.app.counter.hit(ctx.user_id)
    yield ThreadItemDoneEvent(
        item=AssistantMessageItem(
            id=ctx.new_id("msg"),
            thread_id=ctx.thread.id,
            created_at=utcnow(),
            content=[AssistantMessageContent(text=f"action {count}")],
        )
    )


class CounterApp(App):
    name = "counter"

    def __init__(self) -> None:
        self.counter = Counter()
        self.lifecycle: list[str] = []

    def responder(self, settings: Settings) -> Responder:
        return CountingResponder()

    def register_actions(self, registry: ActionRegistry) -> None:
        registry.stream("count")(count_action)

    def routes(self, services: Services) -> Sequence[BaseRoute]:
        return [Route("/api/count", endpoint(count_route), methods=["GET"])]

    @asynccontextmanager
    async def _life(self) -> AsyncIterator[None]:
        self.lifecycle.append("start")
        yield
        self.lifecycle.append("stop")

    def lifespan(self, services: Services) -> Any:
        assert services.app is self
        return self._life()


def _bearer(user: str) -> dict[str, str]:
    import time

    import jwt

    token = jwt.encode({"sub": user, "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def counter_app(make_app: Callable[..., Any]) -> tuple[Starlette, CounterApp]:
    plugged = CounterApp()
    auth = JWTAuthenticator(AuthSettings(jwt_secret=SECRET))
    return await make_app(app=plugged, responder=None, authenticator=auth), plugged


async def test_turns_routes_and_actions_share_the_apps_services(
    counter_app: tuple[Starlette, CounterApp], connect: Callable[..., Any]
) -> None:
    app, plugged = counter_app
    http = connect(app, headers=_bearer("ann"))
    events = await stream(http, "threads.create", input=user_input("hi"))
    answers = [e["item"] for e in events if e["type"] == "thread.item.done"]
    assert answers[-1]["content"][0]["text"] == "turn 1"

    counted = await http.get("/api/count")
    assert counted.json() == {"user": "ann", "count": 2}

    thread_id = events[0]["thread"]["id"]
    acted = await stream(
        http, "threads.custom_action", thread_id=thread_id, action={"type": "count"}
    )
    assert [e["item"]["content"][0]["text"] for e in acted if e["type"] == "thread.item.done"] == [
        "action 3"
    ]
    assert plugged.lifecycle == ["start"]


async def test_the_apps_routes_are_behind_the_bridges_auth_and_errors(
    counter_app: tuple[Starlette, CounterApp], connect: Callable[..., Any]
) -> None:
    app, _ = counter_app
    anonymous = await connect(app).get("/api/count")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "missing_token"
    failed = await connect(app, headers=_bearer("bob")).get("/api/count?fail=1")
    assert failed.status_code == 400
    assert failed.json() == {"error": {"code": "invalid_params", "message": "asked to fail"}}


async def test_the_apps_lifespan_runs_inside_the_bridges(make_app: MakeApp) -> None:
    plugged = CounterApp()
    app = await make_app(app=plugged, responder=None, lifespan=False)
    running = RunningLifespan(app)
    await running.start()
    assert plugged.lifecycle == ["start"]
    await running.stop()
    assert plugged.lifecycle == ["start", "stop"]


async def test_an_app_without_a_responder_needs_one(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="needs a responder"):
        create_app(Settings.from_env(data_dir=tmp_path), app=App())


def test_serve_app_plugs_an_app_or_serves_an_asgi_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/b.db")
    monkeypatch.setenv("BRIDGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(APP_ENV, "tests.bridge.cli.echo_app:make")
    served = serve_app()
    assert type(served.state.services.app).__name__ == "EchoApp"
    assert not any(getattr(r, "path", "") == "/api/tasks" for r in served.routes)

    monkeypatch.setenv(APP_ENV, f"{__name__}:_bare_starlette")
    assert serve_app() is _BARE

    monkeypatch.setenv(APP_ENV, f"{__name__}:_not_an_app")
    with pytest.raises(ValueError, match="returned a int, not an App or an ASGI app"):
        serve_app()
    monkeypatch.setenv(APP_ENV, "no_such_module_here:make")
    with pytest.raises(ValueError, match="cannot import 'no_such_module_here'"):
        serve_app()


_BARE = Starlette()


def _bare_starlette() -> Starlette:
    return _BARE


def _not_an_app() -> int:
    return 3
