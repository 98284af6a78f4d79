"""A real uvicorn server on a free loopback port, in a thread of its own.

The CLI and the browser are synchronous clients, so the server cannot share their thread's
event loop (tests/bridge/support.py's `serve` runs in the test's own loop).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from bridge.app import create_app
from bridge.auth import LocalAuthenticator
from bridge.settings import Settings

from ..fakes import ScriptedResponder


@contextmanager
def running(app: ASGIApp, *, lifespan: str = "on") -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL (`http://127.0.0.1:<port>`)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan=lifespan, log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def bridge_app(tmp_path: Path, **parts: Any) -> Any:
    """The bridge on a fresh SQLite file, with the scripted responder unless told otherwise."""
    parts.setdefault("responder", ScriptedResponder())
    parts.setdefault("authenticator", LocalAuthenticator())
    settings = Settings.from_env(
        database_url=f"sqlite:///{tmp_path}/bridge.db", data_dir=tmp_path / "data"
    )
    return create_app(settings, **parts)


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
