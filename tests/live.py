"""A real uvicorn server on a free 127.0.0.1 port: in the test's own event loop (`serve`), in
a thread of its own for synchronous clients such as the CLI and the browser (`running`), or
`chatkit-bridge serve` in a process of its own (`bridge_process`).

For what the in-process ASGITransport cannot show: streaming as it happens, a client that goes
away mid-stream, many concurrent connections, a server another component reaches over HTTP.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, Literal

import httpx
import uvicorn
from starlette.types import ASGIApp

from bridge.app import create_app
from bridge.auth import LocalAuthenticator
from bridge.settings import Settings

from .fakes import ScriptedResponder


@asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Serve an app whose lifespan already runs; yields `http://127.0.0.1:<port>`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan="off", log_level="warning", timeout_graceful_shutdown=5, backlog=256
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
        sock.close()


@contextmanager
def running(app: ASGIApp, *, lifespan: Literal["auto", "on", "off"] = "on") -> Iterator[str]:
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
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def bridge_process(**env: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`chatkit-bridge serve` in its own process on a free port, with `env` over a clean
    environment (no AUTH_*, BRIDGE_*, DATABASE_URL, RATE_LIMIT_*, REDIS_URL of the caller's);
    yields the process and `http://127.0.0.1:<port>` once /healthz answers."""
    port = free_port()
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AUTH_", "BRIDGE_", "DATABASE", "RATE_LIMIT", "REDIS"))
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bridge", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**clean, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, f"the bridge exited with {process.returncode}"
            assert time.monotonic() < deadline, "the bridge did not start in 30 s"
            time.sleep(0.1)
        yield process, base
    finally:
        process.terminate()
        process.wait(timeout=15)
