"""`chatkit-bridge serve --app module:factory` serves a team's app instead of the todo app."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ...live import free_port
from ...wire import parse_sse, user_input

ROOT = Path(__file__).parents[3]


@pytest.mark.slow
def test_serve_app_serves_the_named_app(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTH_", "BRIDGE_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/bridge.db", BRIDGE_DATA_DIR=str(tmp_path))
    command = [sys.executable, "-m", "bridge", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--app", "tests.bridge.cli.echo_app:make"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        with httpx.Client(base_url=base, timeout=10) as http:
            answer = http.post(
                "/chatkit", json={"type": "threads.create", "params": {"input": user_input("hi")}}
            )
            whoami = http.get("/api/whoami")
            tasks = http.get("/api/tasks")
    finally:
        server.terminate()
        _, err = server.communicate(timeout=15)
    done = [e["item"] for e in parse_sse(answer.text) if e["type"] == "thread.item.done"]
    assert [i["content"][0]["text"] for i in done if i["type"] == "assistant_message"] == [
        "echo: hi"
    ]
    assert whoami.json() == {"user": "local"}
    assert tasks.status_code == 404  # no todo app
    assert "No authentication configured" in err  # the app's own start-up line


def test_serve_app_names_a_factory_that_is_not_there(cli: Callable[..., Any]) -> None:
    result = cli("serve", "--app", "tests.bridge.cli.echo_app:nothing")

    assert result.code == 2
    assert "has no callable 'nothing'" in result.err


def _wait_until_up(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not come up")
