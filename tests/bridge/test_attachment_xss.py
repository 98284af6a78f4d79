"""Bug (issue 15, high): stored XSS through attachment previews.

An attachment declared `image/svg+xml` with a `<script>` was served from its preview URL as
`image/svg+xml` with no `Content-Disposition` and no CSP, so opening it ran the script on the
bridge's origin; the stored MIME type was whatever the client said (`image/png,text/html`).
Fix: a sandboxing CSP and `nosniff` on every content response, inline only for raster images
whose bytes match their type (checked at upload), MIME types parsed at create and upload.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ..wire import post

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'
HTML = b"<html><script>fetch('/chatkit')</script></html>"


async def _create(client: httpx.AsyncClient, mime_type: str, size: int = 10) -> httpx.Response:
    return await post(client, "attachments.create", name="a.bin", size=size, mime_type=mime_type)


def _assert_cannot_run_script(response: httpx.Response) -> None:
    policy = response.headers.get("content-security-policy", "")
    assert "sandbox" in policy and "default-src 'none'" in policy, policy
    assert response.headers.get("x-content-type-options") == "nosniff"


async def test_stored_xss_svg_preview_is_a_sandboxed_download(
    proto_client: httpx.AsyncClient,
) -> None:
    created = await _create(proto_client, "image/svg+xml", len(SVG))
    assert created.status_code == 200, created.text
    body = created.json()
    # Not a raster image: a file, with no preview URL for the widget to render.
    assert body["type"] == "file" and "preview_url" not in body
    uploaded = await proto_client.put(body["upload_descriptor"]["url"], content=SVG)
    assert uploaded.status_code == 200, uploaded.text
    services: Any = proto_client._transport.app.state.services  # type: ignore[attr-defined]
    token = services.files.sign("ann", body["id"], "content")
    shown = await proto_client.get(f"/chatkit/attachments/{body['id']}/content?token={token}")
    assert shown.status_code == 200
    _assert_cannot_run_script(shown)
    assert shown.headers["content-disposition"].startswith("attachment")
    assert shown.headers["content-type"] == "application/octet-stream"


async def test_stored_xss_png_is_inline_and_sandboxed(proto_client: httpx.AsyncClient) -> None:
    body = (await _create(proto_client, "image/png", len(PNG))).json()
    uploaded = await proto_client.put(body["upload_descriptor"]["url"], content=PNG)
    assert uploaded.status_code == 200
    shown = await proto_client.get(body["preview_url"])
    assert shown.content == PNG
    assert shown.headers["content-type"] == "image/png"
    assert shown.headers["content-disposition"].startswith("inline")
    _assert_cannot_run_script(shown)


@pytest.mark.parametrize(
    "mime_type",
    [
        pytest.param("image/png,text/html", id="comma-list"),
        pytest.param("text/html image/png", id="space"),
        pytest.param("image/png\r\nSet-Cookie: a=b", id="crlf"),
        pytest.param("image/png\nx", id="lf"),
        pytest.param("image/png\x00", id="nul"),
        pytest.param("image/🙂", id="emoji"),
        pytest.param("png", id="no-subtype"),
        pytest.param("nonsense/png", id="unregistered-top-level"),
        pytest.param("", id="empty"),
    ],
)
async def test_stored_xss_malformed_mime_type_is_refused_at_create(
    proto_client: httpx.AsyncClient, mime_type: str
) -> None:
    response = await _create(proto_client, mime_type)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_params"


async def test_stored_xss_html_bytes_declared_png_are_refused_at_upload(
    proto_client: httpx.AsyncClient,
) -> None:
    body = (await _create(proto_client, "image/png", len(HTML))).json()
    uploaded = await proto_client.put(body["upload_descriptor"]["url"], content=HTML)
    assert uploaded.status_code == 400, uploaded.text
    assert uploaded.json()["error"]["code"] == "content_mismatch"
    assert (await proto_client.get(body["preview_url"])).status_code == 404


async def test_stored_xss_direct_upload_of_html_is_a_sandboxed_download(
    proto_client: httpx.AsyncClient,
) -> None:
    response = await proto_client.post(
        "/chatkit/attachments", files={"file": ("x.html", HTML, "text/html")}
    )
    assert response.status_code == 200, response.text
    attachment = response.json()
    assert attachment["type"] == "file"
    # A file attachment has no preview URL; its bytes are still only a download if reached.
    services: Any = proto_client._transport.app.state.services  # type: ignore[attr-defined]
    token = services.files.sign("ann", attachment["id"], "content")
    shown = await proto_client.get(f"/chatkit/attachments/{attachment['id']}/content?token={token}")
    assert shown.status_code == 200
    assert shown.headers["content-disposition"].startswith("attachment")
    _assert_cannot_run_script(shown)


@pytest.mark.parametrize(
    "content_type", ["image/png,text/html", "image/🙂"], ids=["comma-list", "emoji"]
)
async def test_stored_xss_direct_upload_with_a_malformed_type_is_refused(
    proto_client: httpx.AsyncClient, content_type: str
) -> None:
    response = await proto_client.post(
        "/chatkit/attachments", files={"file": ("x.png", PNG, content_type)}
    )
    assert response.status_code == 400, response.text


async def test_stored_xss_every_attachment_url_answer_is_sandboxed(
    proto_client: httpx.AsyncClient,
) -> None:
    body = (await _create(proto_client, "image/png", len(PNG))).json()
    base = body["preview_url"].split("?")[0]
    for response in (
        await proto_client.get(base, params={"token": "forged"}),  # 401
        await proto_client.get(body["preview_url"]),  # 404: no bytes yet
        await proto_client.put(body["upload_descriptor"]["url"], content=PNG),  # 200 JSON
    ):
        _assert_cannot_run_script(response)


async def test_stored_xss_parameters_do_not_skip_the_byte_check(
    proto_client: httpx.AsyncClient,
) -> None:
    body = (await _create(proto_client, "image/png; x=y", len(HTML))).json()
    assert body["type"] == "image"
    uploaded = await proto_client.put(body["upload_descriptor"]["url"], content=HTML)
    assert uploaded.status_code == 400 and uploaded.json()["error"]["code"] == "content_mismatch"
    good = (await _create(proto_client, "IMAGE/PNG; x=y", len(PNG))).json()
    assert (await proto_client.put(good["upload_descriptor"]["url"], content=PNG)).is_success
    shown = await proto_client.get(good["preview_url"])
    assert shown.headers["content-type"] == "image/png"
    assert shown.headers["content-disposition"].startswith("inline")
