"""`make run`: serves on PORT, passes ARGS to `serve`, and prints the endpoint and a CLI line
that works when pasted."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ...live import free_port

ROOT = Path(__file__).resolve().parents[3]


def test_make_run_passes_port_and_args() -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    dry = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-n",
            "-o",
            ".venv/.installed",
            "run",
            "PORT=8123",
            "ARGS=--reload --log-level debug",
        ],
        cwd=ROOT,
        # Run as a user would, not as a sub-make of `make test` (which passes its MAKEFLAGS).
        env={k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")},
        capture_output=True,
        text=True,
        check=True,
    )
    command = dry.stdout.strip().splitlines()[-1]
    assert command.endswith(
        "-m bridge serve --host 127.0.0.1 --port 8123 --reload --log-level debug"
    ), command


def test_serve_prints_the_endpoint_and_a_command_that_works(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "AUTH_"))}
    server = subprocess.Popen(
        [sys.executable, "-m", "bridge", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while not any("try:" in line for line in lines):
            assert time.monotonic() < deadline and server.poll() is None, "".join(lines)
            lines.append(server.stderr.readline())
        base = f"http://127.0.0.1:{port}"
        assert f"ChatKit endpoint {base}/chatkit (sqlite:///data/bridge.db, the offline model)" in (
            lines[-3] if len(lines) >= 3 else ""
        ), lines
        assert f"console:  {base}/" in lines[-2]
        pasted = lines[-1].split("try:", 1)[1].strip()
        assert f"--url {base}/chatkit send" in pasted
        while True:  # ready once /healthz answers
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the bridge did not start"
                time.sleep(0.2)
        result = subprocess.run(
            shlex.split(pasted), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
    finally:
        server.terminate()
        server.wait(15)
        if server.stderr is not None:
            server.stderr.close()
    assert result.returncode == 0, result.stderr
    assert "Added" in result.stdout or "buy milk" in result.stdout, result.stdout
