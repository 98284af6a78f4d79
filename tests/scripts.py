"""Run a Python script in a fresh interpreter, the way a user's own program would use the bridge."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def run_script(script: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `script` with argv = [database URL, data folder, *args] in `tmp_path`, without the
    caller's AUTH_*/BRIDGE_*/OPENAI_* settings; raises if it fails, naming its stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTH_", "BRIDGE_", "OPENAI_"))}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            f"sqlite:///{tmp_path}/bridge.db",
            str(tmp_path / "data"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    return run
