"""The CLI against a live bridge: send, raw, listings, tasks, and its errors and exit codes."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bridge.auth import AuthSettings, JWTAuthenticator
from bridge.cli import EXIT_UNREACHABLE, Spinner, build_parser
from bridge.errors import TurnFailed
from bridge.responder import Turn
from schemas import (
    ClientEffectEvent,
    ProgressUpdateEvent,
    ThreadItemDoneEvent,
    ThreadStreamEvent,
    WidgetItem,
    utcnow,
)

from ...fakes import stream_text
from ...live import bridge_app, free_port, running
from .conftest import LiveBridge, Result

Cli = Callable[..., Result]
ROOT = Path(__file__).resolve().parents[3]


def thread_ids(out: str) -> list[str]:
    """The ids of `thread <id>` lines."""
    return [line.split()[1] for line in out.splitlines() if line.startswith("thread ")]


# ---- send -----------------------------------------------------------------------------------


def test_send_creates_a_thread_and_prints_the_answer(bridge: LiveBridge, cli: Cli) -> None:
    result = cli("send", "hello there", url=bridge.url)

    assert result.code == 0, result.err
    [thread_id] = thread_ids(result.out)
    assert thread_id.startswith("thr_")
    assert "assistant: You said: hello there\n" in result.out
    assert f"--thread {thread_id}" in result.err  # how to continue
    assert "data:" not in result.out


def test_send_with_thread_continues_it(bridge: LiveBridge, cli: Cli) -> None:
    [thread_id] = thread_ids(cli("send", "first", url=bridge.url).out)

    result = cli("send", "second", "--thread", thread_id, url=bridge.url)

    assert result.code == 0, result.err
    assert "You said: second" in result.out
    assert thread_ids(result.out) == []  # no new thread
    assert [turn.thread.id for turn in bridge.responder.turns] == [thread_id, thread_id]


def test_last_names_the_newest_thread(bridge: LiveBridge, cli: Cli) -> None:
    cli("send", "older", url=bridge.url)
    [newest] = thread_ids(cli("send", "newer", url=bridge.url).out)

    sent = cli("send", "again", "--thread", "last", url=bridge.url)
    items = cli("items", "last", url=bridge.url)

    assert sent.code == items.code == 0, sent.err + items.err
    assert [turn.thread.id for turn in bridge.responder.turns][-1] == newest
    assert "user: again" in items.out and "user: older" not in items.out


def test_last_without_threads_says_so(bridge: LiveBridge, cli: Cli) -> None:
    result = cli("items", "last", url=bridge.url)
    assert result.code == 1
    assert "there is no thread yet" in result.err


def test_send_json_prints_each_frame_raw(bridge: LiveBridge, cli: Cli) -> None:
    result = cli("send", "--json", "hi", url=bridge.url)

    assert result.code == 0, result.err
    events = [json.loads(line) for line in result.out.splitlines()]
    kinds = [event["type"] for event in events]
    assert kinds[0] == "thread.created"
    assert kinds[1] == "thread.item.done" and events[1]["item"]["type"] == "user_message"
    deltas = [
        e["update"]["delta"]
        for e in events
        if e["type"] == "thread.item.updated"
        and e["update"]["type"] == "assistant_message.content_part.text_delta"
    ]
    assert "".join(deltas) == "You said: hi"
    assert kinds[-2:] in (["thread.item.done", "thread.updated"], ["thread.item.done"])


async def _busy_turn(turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
    yield ProgressUpdateEvent(text="looking it up")
    yield ThreadItemDoneEvent(
        item=WidgetItem(
            id=turn.new_id("wdg"),
            thread_id=turn.thread.id,
            created_at=utcnow(),
            widget={
                "type": "Card",
                "children": [{"type": "Text", "value": "Two tasks"}],
            },
        )
    )
    yield ClientEffectEvent(name="tasks.changed", data={"count": 2})
    async for event in stream_text(turn, ["Done", "."]):
        yield event
    raise TurnFailed("the model went away", allow_retry=True)


def test_send_shows_progress_widgets_effects_and_errors(bridge: LiveBridge, cli: Cli) -> None:
    bridge.responder.steps.append(_busy_turn)

    result = cli("send", "list my tasks", url=bridge.url)

    assert result.code == 1  # an error event fails the command
    lines = [line for line in result.out.splitlines() if not line.startswith("· thread title")]
    assert lines[0].startswith("thread thr_")
    assert lines[1:] == [
        "… looking it up",
        "widget Card: Two tasks",
        '· effect tasks.changed {"count": 2}',
        "assistant: Done.",
        "error: the model went away (retry allowed)",
    ]


# ---- raw ------------------------------------------------------------------------------------


def test_raw_reads_the_body_from_stdin(
    bridge: LiveBridge, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("send", "one", url=bridge.url)
    body = json.dumps({"type": "threads.list", "params": {"limit": 5, "order": "desc"}})
    monkeypatch.setattr(sys, "stdin", io.StringIO(body))

    result = cli("raw", url=bridge.url)

    assert result.code == 0, result.err
    page = json.loads(result.out)
    assert len(page["data"]) == 1 and page["has_more"] is False


def test_raw_prints_a_stream_as_it_came(bridge: LiveBridge, cli: Cli) -> None:
    body = {
        "type": "threads.create",
        "params": {"input": {"content": [{"type": "input_text", "text": "raw hi"}]}},
    }

    result = cli("raw", "-i", json.dumps(body), url=bridge.url)

    assert result.code == 0, result.err
    assert result.out.startswith("data: {")
    assert '"type":"thread.created"' in result.out.replace(" ", "")
    assert "content-type: text/event-stream" in result.err


def test_raw_refuses_a_body_that_is_not_json(bridge: LiveBridge, cli: Cli) -> None:
    result = cli("raw", "{nope", url=bridge.url)

    assert result.code == 2
    assert "not JSON" in result.err


# ---- listings -------------------------------------------------------------------------------


def test_threads_and_items_list_what_was_said(bridge: LiveBridge, cli: Cli) -> None:
    [first] = thread_ids(cli("send", "alpha", url=bridge.url).out)
    [second] = thread_ids(cli("send", "beta", url=bridge.url).out)
    cli("send", "gamma", "--thread", first, url=bridge.url)

    threads = cli("threads", url=bridge.url)
    items = cli("items", first, url=bridge.url)
    as_json = cli("items", first, "--json", url=bridge.url)

    assert threads.code == items.code == as_json.code == 0
    listed = [line.split()[0] for line in threads.out.splitlines()]
    assert listed == [second, first]  # newest first
    described = [line.split("  ", 2)[2] for line in items.out.splitlines()]
    assert described == [
        "user: alpha",
        "assistant: You said: alpha",
        "user: gamma",
        "assistant: You said: gamma",
    ]
    assert [item["type"] for item in json.loads(as_json.out)][:2] == [
        "user_message",
        "assistant_message",
    ]


def test_threads_says_when_there_are_none(bridge: LiveBridge, cli: Cli) -> None:
    result = cli("threads", url=bridge.url)

    assert result.code == 0
    assert "no threads yet" in result.out


# ---- errors and exit codes ------------------------------------------------------------------


def test_connection_refused_exits_3_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/chatkit"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATKIT_BRIDGE_")}

    done = subprocess.run(
        [sys.executable, "-m", "bridge", "--url", url, "send", "hello"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )

    assert done.returncode == EXIT_UNREACHABLE == 3
    assert done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert url in line
    assert "is the bridge running? try `make run`" in line


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["items", "thr_missing"], id="items.list-unknown-thread"),
        pytest.param(["send", "x", "--thread", "thr_missing"], id="add_user_message-unknown"),
        pytest.param(["raw", '{"type": "threads.explode", "params": {}}'], id="unknown-op"),
    ],
)
def test_http_4xx_prints_the_message_and_exits_1(
    bridge: LiveBridge, cli: Cli, argv: list[str]
) -> None:
    result = cli(*argv, url=bridge.url)

    assert result.code == 1
    [line] = result.err.strip().splitlines()
    assert line.startswith("chatkit-bridge: HTTP 4")
    message = line.split(": ", 3)[-1]
    assert message and "{" not in message  # the body's message, not the JSON


SECRET = "k" * 40


def _hs256(sub: str) -> str:
    return jwt.encode({"sub": sub, "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")


def test_token_from_option_or_environment(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = JWTAuthenticator(AuthSettings(jwt_secret=SECRET))
    with running(bridge_app(tmp_path, authenticator=auth)) as base:
        url = f"{base}/chatkit"
        refused = cli("threads", url=url)
        with_option = cli("threads", "--token", _hs256("ann"), url=url)
        monkeypatch.setenv("CHATKIT_BRIDGE_TOKEN", _hs256("bob"))
        with_env = cli("send", "hi", url=url)

    assert refused.code == 1
    assert "HTTP 401" in refused.err
    assert with_option.code == 0, with_option.err
    assert with_env.code == 0, with_env.err
    assert "You said: hi" in with_env.out


# ---- tasks ----------------------------------------------------------------------------------


def _tasks_app(tasks: list[dict[str, Any]] | None) -> Starlette:
    """A stand-in bridge whose `/api/tasks` answers `tasks` (or does not exist)."""

    async def listing(request: Request) -> JSONResponse:
        assert request.headers.get("authorization") == "Bearer t0k"
        return JSONResponse({"data": tasks})

    routes = [] if tasks is None else [Route("/api/tasks", listing)]
    return Starlette(routes=routes)


def test_tasks_lists_the_task_api(cli: Cli) -> None:
    tasks = [
        {"id": 1, "title": "buy milk", "completed": False, "due_date": "2026-12-01"},
        {"id": 2, "title": "call mum", "completed": True, "due_date": None},
    ]
    with running(_tasks_app(tasks), lifespan="off") as base:
        result = cli("tasks", "--token", "t0k", url=f"{base}/chatkit")

    assert result.code == 0, result.err
    assert result.out.splitlines() == ["[ ] 1. buy milk (due 2026-12-01)", "[x] 2. call mum"]


def test_tasks_says_clearly_when_the_bridge_has_no_task_api(cli: Cli) -> None:
    with running(_tasks_app(None), lifespan="off") as base:
        result = cli("tasks", url=f"{base}/chatkit")

    assert result.code == 1
    assert f"no task API yet (GET {base}/api/tasks answered 404)" in result.err


# ---- serve, migrate, the spinner ------------------------------------------------------------


def test_serve_keeps_its_options() -> None:
    args = build_parser().parse_args(
        [
            "serve",
            "--host",
            "0.0.0.0",
            "--port",
            "9001",
            "--reload",
            "--insecure-no-auth",
            "--log-level",
            "debug",
        ]
    )

    assert (args.host, args.port, args.reload, args.insecure_no_auth, args.log_level) == (
        "0.0.0.0",
        9001,
        True,
        True,
        "debug",
    )
    defaults = build_parser().parse_args(["serve"])
    assert (defaults.host, defaults.port, defaults.reload) == ("127.0.0.1", 8000, False)


def test_serve_refuses_an_open_bind_without_auth(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AUTH_JWKS_URL", "AUTH_JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)

    result = cli("serve", "--host", "0.0.0.0")  # check_bind refuses before uvicorn starts

    assert result.code == 2
    assert "without authentication" in result.err


def test_migrate(cli: Cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/migrated.db"

    result = cli("migrate", "--database-url", url)

    if importlib.util.find_spec("db.migrations") is None:
        assert result.code == 2
        assert "not yet available" in result.err
        return
    assert result.code == 0, result.err
    with sqlite3.connect(tmp_path / "migrated.db") as conn:
        tables = {row[0] for row in conn.execute("select name from sqlite_master")}
    assert "alembic_version" in tables


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_spinner_draws_only_on_a_terminal_and_erases_itself() -> None:
    terminal, pipe = _Terminal(), io.StringIO()
    spinners = [Spinner(terminal).start(), Spinner(pipe).start()]
    time.sleep(0.35)
    for spinner in spinners:
        spinner.stop()

    assert "waiting for the bridge…" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r\x1b[K")
    assert pipe.getvalue() == ""


def test_raw_prints_an_error_body_too(bridge: LiveBridge, cli: Cli) -> None:
    result = cli(
        "raw", '{"type": "threads.get_by_id", "params": {"thread_id": "thr_nope"}}', url=bridge.url
    )

    assert result.code == 1
    assert json.loads(result.out)["error"]["code"] == "thread_not_found"
    assert "HTTP 404" in result.err
