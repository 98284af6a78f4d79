"""Bug: an app embedded with `uvicorn.run(app, host="0.0.0.0")` and no auth served every
request as the local user with no warning (the bind check lived only in the CLI), and logged
nothing. Fix: without auth, the app itself serves only requests that come over loopback
(whatever the server binds), says so at start-up, and sets up logging when nobody did.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from bridge.auth import LocalAuthenticator

from ..fakes import ScriptedResponder
from ..scripts import run_script

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
"""Who is asking is decided before the database is touched: one database is enough."""


async def _threads_list(http: httpx.AsyncClient) -> httpx.Response:
    return await http.post("/chatkit", json={"type": "threads.list", "params": {}})


@SQLITE_ONLY
@pytest.mark.parametrize(
    "host", ["127.0.0.1", "::1", "::ffff:127.0.0.1", "127.8.9.10"], ids=lambda h: h
)
async def test_no_auth_serves_loopback_clients(
    make_app: Callable[..., Any], connect: Callable[..., Any], host: str
) -> None:
    app = await make_app(authenticator=LocalAuthenticator())
    http = connect(app, client=(host, 50000))
    assert (await _threads_list(http)).status_code == 200


@SQLITE_ONLY
@pytest.mark.parametrize("host", ["203.0.113.9", "10.0.0.2", "::ffff:192.0.2.1", "2001:db8::1"])
async def test_no_auth_refuses_other_machines(
    make_app: Callable[..., Any],
    connect: Callable[..., Any],
    host: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = await make_app(authenticator=LocalAuthenticator())
    http = connect(app, client=(host, 50000))
    for _ in range(2):
        answer = await _threads_list(http)
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "auth_not_configured"
    refusals = [r for r in caplog.records if "refused a request from" in r.getMessage()]
    assert len(refusals) == 1  # said once, not once per request
    assert "BRIDGE_INSECURE_NO_AUTH" in refusals[0].getMessage()


@SQLITE_ONLY
async def test_insecure_no_auth_serves_other_machines(
    make_app: Callable[..., Any], connect: Callable[..., Any]
) -> None:
    app = await make_app(authenticator=LocalAuthenticator(allow_remote=True))
    http = connect(app, client=("203.0.113.9", 50000))
    assert (await _threads_list(http)).status_code == 200


@SQLITE_ONLY
async def test_the_app_routes_are_behind_the_same_check(
    make_app: Callable[..., Any], connect: Callable[..., Any]
) -> None:
    from bridge.todo.todo_app import TodoApp

    app = await make_app(app=TodoApp(), authenticator=LocalAuthenticator())
    http = connect(app, client=("203.0.113.9", 50000))
    assert (await http.get("/api/tasks")).status_code == 403
    http = connect(app, client=("127.0.0.1", 50000))
    assert (await http.get("/api/tasks")).status_code == 200


@SQLITE_ONLY
async def test_start_up_says_there_is_no_auth(
    make_app: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bridge"):
        await make_app(authenticator=LocalAuthenticator())
    said = [r.getMessage() for r in caplog.records if r.name == "bridge"]
    assert any("No authentication configured" in m and "refused" in m for m in said), said


def _outward_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if not loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


@SQLITE_ONLY
async def test_embedded_uvicorn_on_all_interfaces_refuses_a_remote_address(
    make_app: Callable[..., Any],
) -> None:
    """The real case: uvicorn bound to 0.0.0.0, reached over loopback and over the machine's
    own outward address (which is not loopback, like a neighbour's request would be)."""
    outward = _outward_address()
    if outward is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    app = await make_app(responder=ScriptedResponder(), authenticator=LocalAuthenticator())
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            assert not task.done(), "uvicorn did not start"
            await asyncio.sleep(0.01)
        body = {"type": "threads.list", "params": {}}
        async with httpx.AsyncClient(timeout=10) as http:
            near = await http.post(f"http://127.0.0.1:{port}/chatkit", json=body)
            far = await http.post(f"http://{outward}:{port}/chatkit", json=body)
            # A neighbour naming a loopback host passes the Host check (bridge/origins.py);
            # the client address is what refuses it.
            posing = await http.post(
                f"http://{outward}:{port}/chatkit", json=body, headers={"host": "localhost"}
            )
        assert near.status_code == 200
        assert far.status_code == 403, far.text
        assert posing.status_code == 403, posing.text
        assert posing.json()["error"]["code"] == "auth_not_configured"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
        sock.close()


def test_an_embedded_app_sets_up_logging(tmp_path: Path) -> None:
    """Nobody configured logging (a plain script): the bridge's own lines still reach stderr."""
    script = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from bridge import Settings, create_app, stream_text\n"
        "class Quiet:\n"
        "    async def respond(self, turn):\n"
        "        async for e in stream_text(turn, ['ok']):\n"
        "            yield e\n"
        "app = create_app(Settings.from_env(database_url=sys.argv[1], data_dir=Path(sys.argv[2])),"
        " responder=Quiet())\n"
        "async def main():\n"
        "    async with app.router.lifespan_context(app):\n"
        "        pass\n"
        "asyncio.run(main())\n"
    )
    run = run_script(script, tmp_path)
    assert "No authentication configured" in run.stderr, run.stderr
