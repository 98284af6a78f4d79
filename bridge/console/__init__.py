"""Pages the bridge serves for people: the debug console (`GET /`) and the real widget (`/widget`).

The console is three plain files (HTML, JS, CSS) with no build step and nothing fetched from
elsewhere, so it works offline. The widget page loads ChatKit from OpenAI's CDN, which is
evergreen and cannot be bundled (widget-facts.md), so it needs a network.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from ..settings import Settings

STATIC = Path(__file__).parent / "static"
ASSET_PREFIX = "/console"
WIDGET_SCRIPT = "https://cdn.platform.openai.com/deployments/chatkit/chatkit.js"
DOMAIN_KEY = "domain_pk_localhost_dev"
TOKEN_KEY = "chatkit-bridge.token"

# The console only ever talks to its own origin; everything it shows is built with textContent.
CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_COMMON_HEADERS = {
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
_ASSETS = {
    "console.js": "text/javascript",
    "console.css": "text/css",
    "favicon.svg": "image/svg+xml",
}


def _script_json(value: object) -> str:
    """JSON safe inside a `<script>` element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def console_routes(settings: Settings) -> list[BaseRoute]:
    """`GET /` (debug console), its assets and favicon, and `GET /widget` (ChatKit's CDN)."""
    console_page = (
        (STATIC / "index.html")
        .read_text(encoding="utf-8")
        .replace("{{chatkit_path}}", html.escape(settings.path, quote=True))
        .replace("{{token_key}}", TOKEN_KEY)
    )
    widget_template = (STATIC / "widget.html").read_text(encoding="utf-8")

    async def console(request: Request) -> Response:
        headers = {**_COMMON_HEADERS, "content-security-policy": CONSOLE_CSP}
        return HTMLResponse(console_page, headers=headers)

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _ASSETS:
            return Response("not found", status_code=404, media_type="text/plain")
        return FileResponse(STATIC / name, media_type=_ASSETS[name], headers=_COMMON_HEADERS)

    async def favicon(request: Request) -> Response:
        # Browsers ask for /favicon.ico whatever the page links; an SVG answers it.
        return FileResponse(
            STATIC / "favicon.svg", media_type="image/svg+xml", headers=_COMMON_HEADERS
        )

    async def widget(request: Request) -> Response:
        base = settings.public_url or str(request.base_url)
        config = {
            "api_url": base.rstrip("/") + settings.path,
            "domain_key": DOMAIN_KEY,
            "token_key": TOKEN_KEY,
            "script": WIDGET_SCRIPT,
        }
        page = widget_template.replace("{{config}}", _script_json(config)).replace(
            "{{script}}", html.escape(WIDGET_SCRIPT, quote=True)
        )
        return HTMLResponse(page, headers=_COMMON_HEADERS)

    return [
        Route("/", console, methods=["GET"], name="console"),
        Route(f"{ASSET_PREFIX}/{{name}}", asset, methods=["GET"], name="console_asset"),
        Route("/widget", widget, methods=["GET"], name="widget"),
        Route("/favicon.ico", favicon, methods=["GET"], name="favicon"),
    ]
