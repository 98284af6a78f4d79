"""Fixtures for the CLI tests: a live bridge, and the CLI run in-process against it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bridge.cli import main

from ...fakes import ScriptedResponder
from ...live import bridge_app, running


@dataclass
class Result:
    """What one CLI run did."""

    code: int
    out: str
    err: str


@dataclass
class LiveBridge:
    """A bridge served on a loopback port."""

    url: str  # the ChatKit endpoint
    responder: ScriptedResponder


@pytest.fixture
def bridge(tmp_path: Path) -> Iterator[LiveBridge]:
    """The bridge with the scripted responder on a fresh SQLite file, served by uvicorn."""
    responder = ScriptedResponder()
    with running(bridge_app(tmp_path, responder=responder)) as base:
        yield LiveBridge(url=f"{base}/chatkit", responder=responder)


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """`cli("send", "hi", url=…)`: run the CLI in this process and capture what it printed."""
    monkeypatch.delenv("CHATKIT_BRIDGE_TOKEN", raising=False)
    monkeypatch.delenv("CHATKIT_BRIDGE_URL", raising=False)

    def run(*argv: str, url: str | None = None, **_: Any) -> Result:
        capsys.readouterr()
        prefix = ["--url", url] if url else []
        code = main([*prefix, *argv])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
