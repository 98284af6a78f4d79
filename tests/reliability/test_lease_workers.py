"""The thread lease across two real worker processes on one PostgreSQL.

Bug (issue #15, "no fencing"): a worker paused past its lease (SIGSTOP) kept streaming when
resumed, after another worker took the thread, and both answers were stored interleaved.
Fix: every write of a turn is fenced by its lease token, and a resumed stream re-checks the
lease before its next event (bridge/lease.py): it stops with an in-band error, writes nothing.

Bug (issue #15): after a worker was killed mid-stream the thread answered 409 for about 70 s.
Fix: a 15 s lease renewed every 5 s.

Each worker is `python -m bench.servers bridge` (the bridge with the bench responder: a
`bench deltas=N interval=S` message streams N deltas), a uvicorn process of its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from bench.procs import Server

from .support import parse_sse

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

HEADERS = {"x-bench-user": "ann"}


@asynccontextmanager
async def _workers(
    url: str, tmp_path: Path, lease: str | None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[list[Server]]:
    if lease is None:
        monkeypatch.delenv("BRIDGE_LEASE_SECONDS", raising=False)
    else:
        monkeypatch.setenv("BRIDGE_LEASE_SECONDS", lease)
    logs = tmp_path / "logs"
    logs.mkdir()
    started: list[Server] = []
    try:
        for n in (1, 2):
            args = ["bridge", "--db", url, "--data-dir", str(tmp_path / f"w{n}"), "--log-level"]
            # Server.start polls /healthz with its own event loop: off this one.
            started.append(
                await asyncio.to_thread(Server.start, f"worker{n}", [*args, "warning"], logs)
            )
        yield started
    finally:
        for server in started:
            if server.process.poll() is None:
                os.kill(server.process.pid, signal.SIGCONT)
            server.stop()


def _body(op: str, text: str, thread_id: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "input": {"content": [{"type": "input_text", "text": text}], "attachments": []}
    }
    if thread_id is not None:
        params["thread_id"] = thread_id
    return {"type": op, "params": params}


def _deltas(events: list[dict[str, Any]]) -> int:
    return sum(
        1
        for e in events
        if e["type"] == "thread.item.updated" and e["update"]["type"].endswith("text_delta")
    )


async def _new_thread(http: httpx.AsyncClient, base: str) -> str:
    answer = await http.post(f"{base}/chatkit", json=_body("threads.create", "bench deltas=1"))
    assert answer.status_code == 200, answer.text
    return str(parse_sse(answer.text)[0]["thread"]["id"])


def _items(url: str, thread_id: str) -> list[tuple[str, str, str]]:
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn:
        rows = conn.execute(
            "SELECT id, type, data FROM items WHERE thread_id = %s ORDER BY seq", (thread_id,)
        ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


async def test_a_paused_worker_does_not_write_after_another_worker_took_its_thread(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _workers(pg_url, tmp_path, "2", monkeypatch) as (one, two):
        a, b = f"http://127.0.0.1:{one.port}", f"http://127.0.0.1:{two.port}"
        async with httpx.AsyncClient(headers=HEADERS, timeout=30) as http:
            thread_id = await _new_thread(http, a)
            slow = _body("threads.add_user_message", "bench deltas=200 interval=0.05", thread_id)
            async with http.stream("POST", f"{a}/chatkit", json=slow) as response:
                assert response.status_code == 200
                lines = response.aiter_lines()
                before: list[dict[str, Any]] = []
                async for line in lines:
                    if line.startswith("data: "):
                        before.append(json.loads(line[6:]))
                        if _deltas(before) >= 3:
                            break
                os.kill(one.process.pid, signal.SIGSTOP)
                await asyncio.sleep(3.0)  # past worker one's 2 s lease
                taken = await http.post(
                    f"{b}/chatkit",
                    json=_body("threads.add_user_message", "bench deltas=3", thread_id),
                )
                assert taken.status_code == 200, taken.text
                second = parse_sse(taken.text)
                assert _deltas(second) == 3 and second[-1]["type"] != "error"
                os.kill(one.process.pid, signal.SIGCONT)
                resumed_at = time.monotonic()
                after: list[dict[str, Any]] = []
                async for line in lines:
                    if line.startswith("data: "):
                        after.append(json.loads(line[6:]))
        assert time.monotonic() - resumed_at < 5, "the paused stream did not stop"
    assert after and after[-1]["type"] == "error", after[-3:]
    assert _deltas(after) <= 3, f"{_deltas(after)} deltas after the takeover"
    first_answer = next(e["item"]["id"] for e in before if e["type"] == "thread.item.added")
    stored = _items(pg_url, thread_id)
    ids = [item_id for item_id, _, _ in stored]
    assert first_answer not in ids, "the paused worker stored its answer after the takeover"
    # The thread reads: first turn, the paused turn's user message, then the second worker's
    # turn, whole and not interleaved.
    kinds = [kind for _, kind, _ in stored]
    assert kinds == [
        "user_message",
        "assistant_message",
        "user_message",
        "user_message",
        "assistant_message",
    ], kinds
    assert second[-1]["type"] != "error"


async def test_a_killed_workers_thread_takes_new_messages_within_20_seconds(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _workers(pg_url, tmp_path, None, monkeypatch) as (one, two):
        a, b = f"http://127.0.0.1:{one.port}", f"http://127.0.0.1:{two.port}"
        async with httpx.AsyncClient(headers=HEADERS, timeout=30) as http:
            thread_id = await _new_thread(http, a)
            slow = _body("threads.add_user_message", "bench deltas=2000 interval=0.05", thread_id)
            async with http.stream("POST", f"{a}/chatkit", json=slow) as response:
                seen: list[dict[str, Any]] = []
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        seen.append(json.loads(line[6:]))
                        if _deltas(seen) >= 3:
                            break
                one.process.kill()
                one.process.wait(timeout=5)
            killed_at = time.monotonic()
            statuses = []
            while time.monotonic() - killed_at < 25:
                answer = await http.post(
                    f"{b}/chatkit",
                    json=_body("threads.add_user_message", "bench deltas=1", thread_id),
                )
                statuses.append(answer.status_code)
                if answer.status_code != 409:
                    break
                await asyncio.sleep(0.5)
            waited = time.monotonic() - killed_at
    assert statuses[0] == 409, "the lease should hold while it is fresh"
    assert statuses[-1] == 200, statuses
    assert waited < 20, f"the thread was busy for {waited:.1f} s after the worker died"
