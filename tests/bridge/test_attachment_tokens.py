"""Bugs (issue 15, low): attachment URL tokens.

- A non-ASCII token answered 500 (`hmac.compare_digest` refuses non-ASCII strings).
- Tokens never expired and embedded the user id (`ann.<hmac>`), readable by anyone who saw
  a preview URL.
Fix: tokens are sealed (AES-GCM: opaque and tamper-proof) with an expiry, and the preview URLs
in items are signed afresh whenever items are read (`items.list`, `threads.get_by_id`).
"""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ..wire import post, stream, user_input

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


async def _image(client: httpx.AsyncClient) -> dict[str, Any]:
    created = await post(
        client, "attachments.create", name="a.png", size=len(PNG), mime_type="image/png"
    )
    body: dict[str, Any] = created.json()
    assert (await client.put(body["upload_descriptor"]["url"], content=PNG)).status_code == 200
    return body


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


@pytest.mark.parametrize("token", ["ä", "ann.é", "\u2603" * 40, "%FF", "a" * 5000], ids=repr)
async def test_attachment_token_non_ascii_is_401_not_500(
    proto_client: httpx.AsyncClient, token: str
) -> None:
    body = await _image(proto_client)
    base = body["preview_url"].split("?")[0]
    response = await proto_client.get(base, params={"token": token})
    assert response.status_code == 401, response.text
    upload = body["upload_descriptor"]["url"].split("?")[0]
    assert (await proto_client.put(upload, params={"token": token}, content=PNG)).status_code == 401


async def test_attachment_token_is_opaque(proto_client: httpx.AsyncClient) -> None:
    body = await _image(proto_client)
    for url in (body["preview_url"], body["upload_descriptor"]["url"]):
        token = _token(url)
        assert "ann" not in token
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert b"ann" not in raw and body["id"].encode() not in raw


async def test_attachment_token_expires(proto_client: httpx.AsyncClient) -> None:
    body = await _image(proto_client)
    files = proto_client._transport.app.state.services.files  # type: ignore[attr-defined]
    expired = files.sign("ann", body["id"], "content", ttl=-1)
    response = await proto_client.get(body["preview_url"].split("?")[0], params={"token": expired})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
    fresh = files.sign("ann", body["id"], "content")
    ok = await proto_client.get(body["preview_url"].split("?")[0], params={"token": fresh})
    assert ok.status_code == 200


async def test_attachment_token_is_resigned_when_items_are_read(
    proto_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = proto_client._transport.app.state.services.files  # type: ignore[attr-defined]
    monkeypatch.setattr(files, "clock", lambda: time.time() - 2 * 86400)  # signed long ago
    body = await _image(proto_client)
    monkeypatch.undo()
    assert (await proto_client.get(body["preview_url"])).status_code == 401  # expired
    events = await stream(
        proto_client, "threads.create", input=user_input("see", attachments=[body["id"]])
    )
    thread_id = events[0]["thread"]["id"]
    listed = (await post(proto_client, "items.list", thread_id=thread_id)).json()
    got = (await post(proto_client, "threads.get_by_id", thread_id=thread_id)).json()
    for page in (listed, got["items"]):
        (message,) = [i for i in page["data"] if i["type"] == "user_message"]
        url = message["attachments"][0]["preview_url"]
        assert _token(url) != _token(body["preview_url"])
        shown = await proto_client.get(url)
        assert shown.status_code == 200 and shown.content == PNG


async def test_attachment_token_in_a_new_message_is_fresh(
    proto_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = proto_client._transport.app.state.services.files  # type: ignore[attr-defined]
    monkeypatch.setattr(files, "clock", lambda: time.time() - 2 * 86400)  # created long ago
    body = await _image(proto_client)
    monkeypatch.undo()
    events = await stream(
        proto_client, "threads.create", input=user_input("see", attachments=[body["id"]])
    )
    (message,) = [
        e["item"]
        for e in events
        if e["type"] == "thread.item.done" and e["item"]["type"] == "user_message"
    ]
    shown = await proto_client.get(message["attachments"][0]["preview_url"])
    assert shown.status_code == 200 and shown.content == PNG
