"""examples/react: its TypeScript checks against the pinned (newest) ChatKit types, and its dev
server signs users in with Better Auth and reaches the bridge through its proxy.

The example's packages come from its committed lockfile, installed by `npm ci` into the test
cache (tests/node.py). Skips without Node.js, except in CI.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ..live import free_port
from ..node import installed

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "react"
FILES = ("tsconfig.json", "index.html", "vite.config.ts", "src", "server")


@pytest.fixture(scope="module")
def project() -> Path:
    """The example installed from its lockfile (cached between runs)."""
    return installed(EXAMPLE, *FILES)


def test_the_lockfile_pins_the_newest_chatkit_types() -> None:
    lock = json.loads((EXAMPLE / "package-lock.json").read_text())
    chatkit = lock["packages"]["node_modules/@openai/chatkit"]["version"]
    react = lock["packages"]["node_modules/@openai/chatkit-react"]["version"]
    assert chatkit.startswith("1.9."), chatkit
    assert (
        react
        == json.loads((EXAMPLE / "package.json").read_text())["dependencies"][
            "@openai/chatkit-react"
        ]
    )


def test_typecheck(project: Path) -> None:
    result = subprocess.run(
        ["npm", "run", "typecheck"], cwd=project, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


@contextmanager
def process(argv: list[str], cwd: Path, env: dict[str, str], ready: str) -> Iterator[None]:
    """Run a server until the block ends; waits for `ready` in its output (3 min at most)."""
    # A session of its own: `npm run dev` starts vite as a child, and both must stop.
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    # A thread reads the output: select() on the pipe misses lines already in Python's buffer.
    reader = threading.Thread(target=lambda: seen.extend(proc.stdout or ()), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 180
        while not any(ready in line for line in list(seen)):
            assert proc.poll() is None, "".join(seen)
            assert time.monotonic() < deadline, "".join(seen)
            time.sleep(0.1)
        yield
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
        reader.join(15)
        proc.stdout.close()


@pytest.mark.slow
def test_dev_server_signs_in_and_reaches_the_bridge(project: Path, tmp_path: Path) -> None:
    vite_port, bridge_port = free_port(), free_port()
    app = f"http://127.0.0.1:{vite_port}"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTH_", "DATABASE_"))}
    bridge_env = base_env | {"AUTH_JWKS_URL": f"{app}/api/auth/jwks", "CORS_ORIGINS": app}
    vite_env = base_env | {"PORT": str(vite_port), "BRIDGE_URL": f"http://127.0.0.1:{bridge_port}"}
    serve = [sys.executable, "-m", "bridge", "serve", "--port", str(bridge_port)]

    with (
        process(serve, tmp_path, bridge_env, "Uvicorn running"),
        process(["npm", "run", "dev"], project, vite_env, "ready in"),
        httpx.Client(base_url=app, timeout=30, headers={"origin": app}) as http,
    ):
        email = f"user-{secrets.token_hex(4)}@example.com"
        signed_up = http.post(
            "/api/auth/sign-up/email",
            json={"email": email, "password": "password1234", "name": "user"},
        )
        assert signed_up.status_code == 200, signed_up.text
        token = http.get("/api/auth/token").json()["token"]
        auth = {"authorization": f"Bearer {token}"}
        body = {
            "type": "threads.create",
            "params": {
                "input": {
                    "content": [{"type": "input_text", "text": "add buy milk"}],
                    "attachments": [],
                    "inference_options": {},
                }
            },
        }
        stream = http.post("/chatkit", json=body, headers=auth)
        tasks = http.get("/api/tasks", headers=auth)
        anonymous = http.get("/api/tasks")

    assert stream.status_code == 200 and stream.headers["content-type"].startswith(
        "text/event-stream"
    )
    assert '"name":"tasks.changed"' in stream.text  # what the app's onEffect refreshes on
    assert [task["title"] for task in tasks.json()["data"]] == ["buy milk"]
    assert anonymous.status_code == 401
