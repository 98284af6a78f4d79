"""Node.js packages for tests: installed from a committed lockfile into a cache folder.

A folder with `package.json` + `package-lock.json` is copied to
`$BRIDGE_TEST_CACHE` (default `~/.cache/chatkit-bridge-tests`) under a name made from the
lockfile's hash, and `npm ci` runs there once; later runs reuse it. Without Node.js or npm (or
without the network for a first install) the test skips with the reason, except in CI
(`CI` or `TEST_REQUIRE_NODE` set), where it fails.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REQUIRE_NODE = bool(os.environ.get("TEST_REQUIRE_NODE") or os.environ.get("CI"))
CACHE = Path(os.environ.get("BRIDGE_TEST_CACHE") or Path.home() / ".cache/chatkit-bridge-tests")


def unavailable(reason: str) -> None:
    """Skip with `reason`, or fail in CI, where every Node.js test must run."""
    if REQUIRE_NODE:
        pytest.fail(f"{reason} (CI requires Node.js)")
    pytest.skip(reason)


def node() -> str:
    """The `node` executable (or skip/fail)."""
    found = shutil.which("node")
    if found is None or shutil.which("npm") is None:
        unavailable("Node.js 20 and npm are not installed")
    assert found is not None
    return found


def installed(project: Path, *extra: str) -> Path:
    """A copy of `project` (its package files and `extra` files) with `npm ci` run in it."""
    node()
    lock = (project / "package-lock.json").read_bytes()
    digest = hashlib.sha256(lock + (project / "package.json").read_bytes()).hexdigest()[:16]
    target = CACHE / f"{project.name}-{digest}"
    for name in ("package.json", "package-lock.json", *extra):
        source = project / name
        if source.is_dir():
            shutil.rmtree(target / name, ignore_errors=True)  # files deleted here go there too
            shutil.copytree(source, target / name)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    stamp = target / "node_modules/.installed"
    if stamp.exists():
        return target
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        tail = " ".join((result.stderr or result.stdout).split())[-400:]
        unavailable(f"npm ci in {target} failed (no network?): {tail}")
    stamp.write_text("ok\n")
    return target
