"""A small app for `serve --app`: echoes messages and has one route of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bridge import App, Responder, Services, Settings, Turn, endpoint, require_user, stream_text
from schemas import ThreadStreamEvent


class Echo:
    """Answers with what was said."""

    async def respond(self, turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        said = turn.input.content[0].text if turn.input and turn.input.content else ""
        async for event in stream_text(turn, ["echo: ", said]):
            yield event


async def whoami(request: Request) -> Response:
    return JSONResponse({"user": await require_user(request)})


class EchoApp(App):
    name = "echo"

    def responder(self, settings: Settings) -> Responder:
        return Echo()

    def routes(self, services: Services) -> Sequence[BaseRoute]:
        return [Route("/api/whoami", endpoint(whoami), methods=["GET"])]


def make() -> App:
    """The factory `serve --app tests.bridge.cli.echo_app:make` calls."""
    return EchoApp()
