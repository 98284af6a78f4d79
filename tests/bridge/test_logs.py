"""One structured log line per request: op, user, thread, status, duration, events."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from bridge.logs import _Formatter

from ..wire import post, stream, user_input


def _lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [r.fields for r in caplog.records if r.name == "bridge.request" and hasattr(r, "fields")]  # type: ignore[attr-defined]


async def test_one_line_per_json_request_and_per_stream(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bridge.request")
    events = await stream(client, "threads.create", input=user_input("log me"))
    thread_id = events[0]["thread"]["id"]
    await post(client, "items.list", thread_id=thread_id)
    await post(client, "threads.get_by_id", thread_id="thr_missing")
    lines = _lines(caplog)
    assert len(lines) == 3, lines
    created, listed, missing = lines
    assert created["op"] == "threads.create" and created["user"] == "local"
    assert created["thread"] == thread_id and created["status"] == 200
    assert created["events"] == len(events) and created["outcome"] == "completed"
    assert listed["op"] == "items.list" and listed["thread"] == thread_id
    assert missing["status"] == 404 and "thread_not_found" in str(missing["error"])
    assert all(isinstance(line["ms"], float) for line in lines)


def test_formats_are_parseable() -> None:
    record = logging.LogRecord("bridge.request", logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"op": "items.list", "status": 200, "error": "a b"}
    as_json = json.loads(_Formatter(as_json=True).format(record))
    assert (
        as_json["op"] == "items.list" and as_json["status"] == 200 and as_json["msg"] == "request"
    )
    text = _Formatter(as_json=False).format(record)
    assert "op=items.list" in text and "status=200" in text and 'error="a b"' in text
