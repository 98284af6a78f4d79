"""A real uvicorn server on a free 127.0.0.1 port, in the test's own event loop.

For what the in-process ASGITransport cannot show: streaming as it happens, a client that goes
away mid-stream, many concurrent connections, a server another component reaches over HTTP.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx
import uvicorn
from starlette.types import ASGIApp


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
