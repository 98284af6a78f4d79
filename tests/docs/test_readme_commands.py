"""Every `sh` block of the README works when pasted into a fresh shell next to a running bridge.

The bridge runs as `make run` runs it (`python -m bridge serve`, SQLite, the offline model)
in a scratch folder whose `.venv` is this test's virtualenv, on a free port; the blocks then
run in `bash -e` from that folder. The README's `127.0.0.1:8000` becomes the real port (and
`CHATKIT_BRIDGE_URL`, which the README documents, points the CLI at it). The bridge runs with
`BRIDGE_METRICS=on`, as the metrics line in the README says it needs. Blocks that start
servers, need other services or are for another machine are listed in SKIPPED with why; a
new block runs unless it is listed there.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..live import free_port

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

SKIPPED = {
    "make run    # creates .venv": "make run and make test: how this test got here",
    "DATABASE_URL='postgresql://user:password@ep-xyz": "needs a Neon database",
    "OPENAI_API_KEY=sk-... make run": "needs an OpenAI key or an Ollama server",
    "DATABASE_URL=postgresql://... BRIDGE_SECRET_KEY": "placeholders for a deployment",
    "make test                      # everything": "runs the whole suite (and bench)",
}


def sh_blocks() -> list[tuple[int, str]]:
    """(line number, text) of every ```sh block in the README."""
    text = README.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, match.start()) + 1, match.group(1))
        for match in re.finditer(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)
    ]


def skip_reason(block: str) -> str | None:
    return next((why for start, why in SKIPPED.items() if block.startswith(start)), None)


def test_every_skipped_block_is_still_in_the_readme() -> None:
    blocks = [block for _, block in sh_blocks()]
    for start in SKIPPED:
        assert any(block.startswith(start) for block in blocks), f"stale SKIPPED entry {start!r}"


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """`make run`'s command in a scratch project folder; yields (folder, base URL)."""
    if not (Path(sys.prefix) / "bin" / "activate").exists():
        pytest.skip("the tests are not running in a virtualenv (make test makes one)")
    folder = tmp_path_factory.mktemp("fresh-shell")
    (folder / ".venv").symlink_to(Path(sys.prefix))
    port = free_port()
    env = clean_env() | {"BRIDGE_METRICS": "on"}
    server = subprocess.Popen(
        [sys.executable, "-m", "bridge", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the bridge did not start"
            time.sleep(0.2)
        yield folder, base
    finally:
        server.terminate()
        server.wait(15)
        if server.stderr is not None:
            server.stderr.close()


def clean_env() -> dict[str, str]:
    """A fresh shell's environment: no virtualenv active, no bridge settings."""
    drop = ("VIRTUAL_ENV", "DATABASE_URL", "CHATKIT_BRIDGE_", "AUTH_", "BRIDGE_", "OPENAI_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    venv_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env


@pytest.mark.parametrize(
    ("line", "block"), [pytest.param(n, b, id=f"README:{n}") for n, b in sh_blocks()]
)
def test_readme_block(bridge: tuple[Path, str], line: int, block: str) -> None:
    reason = skip_reason(block)
    if reason:
        pytest.skip(reason)
    folder, base = bridge
    script = block.replace("http://127.0.0.1:8000", base)
    env = clean_env() | {"CHATKIT_BRIDGE_URL": f"{base}/chatkit"}
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        f"README line {line}:\n{script}\n---\n{result.stdout}\n{result.stderr}"
    )
    assert result.stdout.strip(), f"README line {line} printed nothing:\n{result.stderr}"
    assert "Traceback" not in result.stderr
