"""Bug (issue 15, low): no per-user quota on attachments.

One user could register unlimited pending attachments with 1 MB names and upload 20 MB to
each. Fix: names are at most 255 characters, a user has at most
`BRIDGE_MAX_PENDING_ATTACHMENTS` attachments not yet in a message, and at most
`BRIDGE_ATTACHMENT_QUOTA_BYTES` in all; past either, attachments.create and direct uploads are
refused with a 4xx and nothing is stored.
"""

from __future__ import annotations

from typing import Any

import httpx

from ..wire import post, stream, user_input

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


async def _create(client: httpx.AsyncClient, name: str = "a.txt", size: int = 10) -> httpx.Response:
    return await post(client, "attachments.create", name=name, size=size, mime_type="text/plain")


async def test_attachment_quota_a_1mb_name_is_refused(proto_client: httpx.AsyncClient) -> None:
    response = await _create(proto_client, name="n" * 1_000_000)
    assert response.status_code in (400, 413), response.text[:200]
    response = await _create(proto_client, name="n" * 256)
    assert response.status_code == 400, response.text[:200]
    assert response.json()["error"]["code"] == "invalid_params"
    assert (await _create(proto_client, name="n" * 255)).status_code == 200


async def test_attachment_quota_pending_attachments_are_capped(
    proto_make_app: Any, proto_connect: Any
) -> None:
    app = await proto_make_app(max_pending_attachments=3)
    ann, bob = proto_connect(app, "ann"), proto_connect(app, "bob")
    ids = [(await _create(ann)).json()["id"] for _ in range(3)]
    refused = await _create(ann)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "attachment_quota_exceeded"
    direct = await ann.post("/chatkit/attachments", files={"file": ("x.png", PNG, "image/png")})
    assert direct.status_code == 409
    assert (await _create(bob)).status_code == 200  # per user
    # Deleting one frees its place; so does using one in a message.
    assert (await post(ann, "attachments.delete", attachment_id=ids[0])).status_code == 200
    fourth = await _create(ann, size=5)
    assert fourth.status_code == 200
    assert (await _create(ann)).status_code == 409
    await ann.put(fourth.json()["upload_descriptor"]["url"], content=b"hello")
    await stream(ann, "threads.create", input=user_input("see", attachments=[fourth.json()["id"]]))
    assert (await _create(ann)).status_code == 200


async def test_attachment_quota_total_bytes_are_capped(
    proto_make_app: Any, proto_connect: Any
) -> None:
    app = await proto_make_app(attachment_quota_bytes=100)
    ann, bob = proto_connect(app, "ann"), proto_connect(app, "bob")
    assert (await _create(ann, size=60)).status_code == 200
    refused = await _create(ann, size=60)
    assert refused.status_code == 413, refused.text
    assert refused.json()["error"]["code"] == "attachment_quota_exceeded"
    direct = await ann.post("/chatkit/attachments", files={"file": ("x.png", PNG, "image/png")})
    assert direct.status_code == 413  # 60 + 72 bytes
    assert (await _create(bob, size=60)).status_code == 200
