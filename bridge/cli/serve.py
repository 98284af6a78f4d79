"""`serve` (run the bridge under uvicorn) and `migrate` (bring the schema up to date).

Both open the database first, so a wrong URL, a server that does not answer, a wrong password
or a schema behind is one or two plain lines and exit code 2 (see `startup.py`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from .client import DEFAULT_URL
from .startup import StartupError, check_url, guarded, prepare_database, where

DEFAULT_APP = "bridge.app:create_app"
"""The ASGI app factory `serve` runs."""


def add_serve_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`serve` and its options (add new ones here)."""
    serve = sub.add_parser("serve", help="run the bridge", description="Run the bridge.")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--reload", action="store_true", help="restart on code changes")
    serve.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="allow a non-loopback bind with no auth configured (everyone is one user)",
    )
    serve.add_argument(
        "--log-level",
        default=os.environ.get("BRIDGE_LOG_LEVEL", "info"),
        help="debug, info, warning or error (default: BRIDGE_LOG_LEVEL or info)",
    )
    serve.set_defaults(func=serve_command, app=DEFAULT_APP)


def add_migrate_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`migrate` and its options."""
    migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    migrate.add_argument("--database-url", help="default: DATABASE_URL, as `serve` uses")
    migrate.set_defaults(func=migrate_command)


def serve_command(args: argparse.Namespace) -> int:
    """Check the settings and the database, say where the bridge is, then serve it."""
    import uvicorn

    from ..auth import AuthSettings, InsecureBind, check_bind
    from ..http_limits import GuardedHttpToolsProtocol, header_limits
    from ..logs import configure as configure_logs
    from ..settings import Settings

    try:
        settings = Settings.from_env()
        warning = check_bind(AuthSettings.from_env(), args.host, args.insecure_no_auth)
        header_limits()
    except (ValueError, InsecureBind) as exc:
        raise StartupError(str(exc)) from None
    if args.app == DEFAULT_APP:
        prepare_database(settings.database_url)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    model = "OpenAI " + settings.model if settings.uses_openai else "the offline model"
    print(
        ready_lines(args.host, args.port, settings.path, where(settings.database_url), model),
        file=sys.stderr,
    )
    configure_logs(args.log_level)
    uvicorn.run(
        args.app,
        factory=True,
        host=args.host,
        port=args.port,
        reload=args.reload,
        log_level=args.log_level,
        # The bridge writes one structured line per request; uvicorn's would repeat it.
        access_log=False,
        timeout_graceful_shutdown=10,
        # Bounded header size and time (issue 15); uvicorn has no setting for httptools.
        http=GuardedHttpToolsProtocol,
    )
    return 0


def ready_lines(host: str, port: int, path: str, database: str, model: str) -> str:
    """What `serve` prints before it starts: the endpoint, the console, a CLI line to paste."""
    shown = f"[{host}]" if ":" in host else ("127.0.0.1" if host in ("0.0.0.0", "") else host)
    base = f"http://{shown}:{port}"
    endpoint = base + path
    url = "" if endpoint == DEFAULT_URL else f" --url {endpoint}"
    return "\n".join(
        [
            f"chatkit-bridge: ChatKit endpoint {endpoint} ({database}, {model})",
            f"  console:  {base}/   health: {base}/healthz",
            f'  try:      {cli_command()}{url} send "add buy milk"',
        ]
    )


def cli_command() -> str:
    """How to run this CLI from the current folder: `.venv/bin/chatkit-bridge`, or on PATH."""
    script = Path(sys.executable).parent / "chatkit-bridge"
    if shutil.which("chatkit-bridge") == str(script):
        return "chatkit-bridge"
    if script.exists():
        try:
            return str(script.relative_to(Path.cwd()))
        except ValueError:
            return str(script)
    return f"{Path(sys.executable).name} -m bridge"


def migrate_command(args: argparse.Namespace) -> int:
    """Apply the migrations to DATABASE_URL (or --database-url)."""
    from alembic.util import CommandError

    from db.migrations import upgrade

    from ..settings import Settings

    try:
        url = args.database_url or Settings.from_env().database_url
    except ValueError as exc:
        raise StartupError(str(exc)) from None
    check_url(url)
    try:
        guarded(url, lambda: upgrade(url))
    except CommandError as exc:  # Alembic's own: an unknown revision in the database
        raise StartupError(f"cannot migrate {where(url)}: {exc}") from exc
    print(f"chatkit-bridge: {where(url)} is up to date", file=sys.stderr)
    return 0
