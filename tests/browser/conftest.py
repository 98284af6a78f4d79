"""Browser fixtures: Debian's Chromium driven by Playwright, against a live bridge.

No browser is ever downloaded: the tests use /usr/bin/chromium (`apt-get install chromium`).
Without it (or without Playwright) they skip with the reason, except in CI (`CI` set), where
they fail. Each test leaves a screenshot under test-artifacts/browser/.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ..fakes import ScriptedResponder
from ..live import bridge_app, running

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


# Module scope, not session: sync Playwright keeps an event loop running on this thread
# while it is open, and async tests elsewhere cannot start theirs under it.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium per test module."""
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI runs the browser tests")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Console:
    """A page on a live bridge, and the JavaScript errors it raised."""

    page: Any
    base: str
    responder: Any
    db_url: str
    errors: list[str] = field(default_factory=list)

    def open(self, path: str = "/") -> Any:
        """Load a page of the bridge and wait until the console has listed threads."""
        self.page.goto(self.base + path)
        if path == "/":
            self.page.wait_for_selector("#thread-list > li")
        return self.page


def _artifact_name(node_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", node_id.split("::", 1)[-1])


@pytest.fixture
def make_console(chromium: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """`make_console(responder=…, actions=…, authenticator=…)`: a fresh page on a fresh bridge."""
    stack: list[Any] = []

    def make(**parts: Any) -> Console:
        parts.setdefault("responder", ScriptedResponder())
        server = running(bridge_app(tmp_path, **parts))
        base = server.__enter__()
        stack.append(server)
        context = chromium.new_context(viewport={"width": 1400, "height": 900})
        stack.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        console = Console(page, base, parts["responder"], f"sqlite:///{tmp_path}/bridge.db")
        page.on("pageerror", lambda error: console.errors.append(str(error)))
        stack.append(console)
        return console

    yield make

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    for entry in reversed(stack):
        if isinstance(entry, Console):
            name = _artifact_name(request.node.nodeid)
            entry.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
            errors.extend(entry.errors)
        elif hasattr(entry, "close"):
            entry.close()
        else:
            entry.__exit__(None, None, None)
    assert errors == [], f"JavaScript errors on the page: {errors}"
