"""One test per bug the reliability tests found, named after the bug."""

from __future__ import annotations

import json

import httpx

from .conftest import MakeApp
from .support import auth, bounded, item_types, parse_sse


async def _post(http: httpx.AsyncClient, user: str, body: dict) -> httpx.Response:
    return await bounded(http.post("/chatkit", content=json.dumps(body), headers=auth(user)))


async def test_nul_in_an_id_is_a_4xx_not_a_503(rel_make_app: MakeApp, rel_client) -> None:
    """PostgreSQL refuses NUL in text: the DataError was mapped to 503 `database_unavailable`,
    which the widget retries five times."""
    http = rel_client(await rel_make_app())
    for body in (
        {"type": "threads.get_by_id", "params": {"thread_id": "thr_\x00"}},
        {"type": "items.list", "params": {"thread_id": "\x00"}},
    ):
        response = await _post(http, "ann", body)
        assert 400 <= response.status_code < 500, (
            body["type"],
            response.status_code,
            response.text,
        )
        assert response.json()["error"]["code"]
    # SQLite stores these; PostgreSQL refuses them, which must be the client's 4xx.
    for body in (
        {
            "type": "attachments.create",
            "params": {"name": "a\x00", "size": 1, "mime_type": "text/plain"},
        },
        {"type": "attachments.create", "params": {"name": "a", "size": 1, "mime_type": "x" * 300}},
    ):
        response = await _post(http, "ann", body)
        assert response.status_code < 500, (response.status_code, response.text)
        if response.status_code >= 400:
            # A malformed MIME type is now refused by its parser (issue 15) as invalid_params.
            assert response.json()["error"]["code"] in ("bad_request", "invalid_params"), (
                response.text
            )


async def test_nul_in_the_first_message_does_not_break_the_stream(
    rel_make_app: MakeApp, rel_client
) -> None:
    """The auto title kept the NUL; on PostgreSQL saving it raised after the first byte, so the
    stream died without an `error` event and the thread kept no title."""
    http = rel_client(await rel_make_app())
    body = {
        "type": "threads.create",
        "params": {
            "input": {"content": [{"type": "input_text", "text": "a\x00b"}], "attachments": []}
        },
    }
    response = await _post(http, "ann", body)
    assert response.status_code == 200, response.text
    events = parse_sse(response.text)
    assert item_types(events)[-2:] == ["done:assistant_message", "thread.updated"], events
    assert events[-1]["thread"]["title"] == "a b"
    listed = await _post(http, "ann", {"type": "threads.list", "params": {}})
    assert [t.get("title") for t in listed.json()["data"]] == ["a b"]
