"""Attachments both ways (two-phase and direct), both storage modes, on both databases."""

from __future__ import annotations

import gc
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from db import Store

from ..wire import post, stream, user_input
from .support import row_counts

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
STORAGES = ["disk", "database"]


def _file_path(tmp_path: Path, attachment_id: str) -> Path:
    return tmp_path / "data" / "attachments" / attachment_id


async def _upload(
    client: httpx.AsyncClient, url: str, how: str, content: bytes, name: str
) -> httpx.Response:
    if how == "PUT":
        return await client.put(url, content=content, headers={"content-type": "image/png"})
    return await client.post(url, files={"file": (name, content, "image/png")})


# ---- two-phase ------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["POST", "PUT"], ids=["multipart-post", "raw-put"])
@pytest.mark.parametrize("storage", STORAGES)
async def test_two_phase_image_upload_used_in_a_message_previewed_and_deleted(
    proto_make_app: Any, proto_connect: Any, tmp_path: Path, storage: str, how: str
) -> None:
    app = await proto_make_app(attachment_storage=storage)
    client = proto_connect(app)
    store: Store = app.state.services.store

    created = await post(
        client, "attachments.create", name="cat.png", size=len(PNG), mime_type="image/png"
    )
    assert created.status_code == 200, created.text
    attachment = created.json()
    attachment_id = attachment["id"]
    assert attachment["type"] == "image"
    assert attachment["name"] == "cat.png"
    assert attachment["mime_type"] == "image/png"
    descriptor = attachment["upload_descriptor"]
    assert descriptor["method"] in ("POST", "PUT")
    upload_url = urlsplit(descriptor["url"])
    assert (upload_url.scheme, upload_url.netloc) == ("http", "bridge.test")  # absolute
    preview = urlsplit(attachment["preview_url"])
    assert (preview.scheme, preview.netloc) == ("http", "bridge.test")

    # Not uploaded yet: the preview has nothing to show, a message may not use it.
    assert (await client.get(attachment["preview_url"])).status_code == 404

    uploaded = await _upload(client, descriptor["url"], how, PNG, "cat.png")
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["id"] == attachment_id
    assert "upload_descriptor" not in uploaded.json()
    assert _file_path(tmp_path, attachment_id).exists() == (storage == "disk")
    stored = await store.load_attachment("ann", attachment_id)
    assert stored.uploaded is True
    assert stored.size == len(PNG)
    assert stored.storage == storage

    events = await stream(
        client, "threads.create", input=user_input("look", attachments=[attachment_id])
    )
    thread_id = events[0]["thread"]["id"]
    echoed = events[1]["item"]["attachments"]
    assert [a["id"] for a in echoed] == [attachment_id]
    assert echoed[0]["thread_id"] == thread_id
    # Same attachment URL; the token is signed afresh for the message (issue 15).
    path = attachment["preview_url"].split("?token=")[0]
    assert echoed[0]["preview_url"].split("?token=")[0] == path
    assert (await client.get(echoed[0]["preview_url"])).status_code == 200
    assert "upload_descriptor" not in echoed[0]
    listed = (await post(client, "items.list", thread_id=thread_id, order="asc")).json()
    assert listed["data"][0]["attachments"][0]["id"] == attachment_id
    assert (await store.load_attachment("ann", attachment_id)).attachment.thread_id == thread_id

    shown = await client.get(attachment["preview_url"])
    assert shown.status_code == 200
    assert shown.content == PNG
    assert shown.headers["content-type"] == "image/png"

    deleted = await post(client, "attachments.delete", attachment_id=attachment_id)
    assert deleted.status_code == 200
    assert not _file_path(tmp_path, attachment_id).exists()
    assert (await row_counts(store))["attachments"] == 0
    assert (await client.get(attachment["preview_url"])).status_code == 404


@pytest.mark.parametrize("storage", STORAGES)
async def test_two_phase_file_attachment_has_no_preview(
    proto_make_app: Any, proto_connect: Any, storage: str
) -> None:
    client = proto_connect(await proto_make_app(attachment_storage=storage))
    created = (
        await post(client, "attachments.create", name="a.pdf", size=3, mime_type="application/pdf")
    ).json()
    assert created["type"] == "file"
    assert "preview_url" not in created
    put = await client.put(created["upload_descriptor"]["url"], content=b"pdf")
    assert put.status_code == 200
    events = await stream(
        client, "threads.create", input=user_input("read", attachments=[created["id"]])
    )
    assert events[1]["item"]["attachments"][0]["type"] == "file"


async def test_urls_use_the_public_url_when_set(proto_make_app: Any, proto_connect: Any) -> None:
    client = proto_connect(await proto_make_app(public_url="https://chat.example.com/"))
    created = (
        await post(client, "attachments.create", name="c.png", size=1, mime_type="image/png")
    ).json()
    assert created["upload_descriptor"]["url"].startswith(
        "https://chat.example.com/chatkit/attachments/"
    )
    assert created["preview_url"].startswith("https://chat.example.com/chatkit/attachments/")


async def test_upload_url_with_a_forged_token_is_refused(
    proto_client: httpx.AsyncClient, proto_store: Store
) -> None:
    created = (
        await post(proto_client, "attachments.create", name="c.png", size=4, mime_type="image/png")
    ).json()
    url = created["upload_descriptor"]["url"]
    forged = url.rsplit("token=", 1)[0] + "token=ann.0000000000000000"
    response = await proto_client.put(forged, content=b"evil")
    assert response.status_code == 401
    assert (await proto_store.load_attachment("ann", created["id"])).uploaded is False
    # A token for another attachment does not open this one either.
    other = (
        await post(proto_client, "attachments.create", name="d.png", size=4, mime_type="image/png")
    ).json()
    token = other["upload_descriptor"]["url"].rsplit("token=", 1)[1]
    response = await proto_client.put(url.rsplit("token=", 1)[0] + "token=" + token, content=b"x")
    assert response.status_code == 401


# ---- direct ---------------------------------------------------------------------------------


@pytest.mark.parametrize("storage", STORAGES)
async def test_direct_upload_answers_the_attachment_and_serves_it(
    proto_make_app: Any, proto_connect: Any, tmp_path: Path, storage: str
) -> None:
    app = await proto_make_app(attachment_storage=storage)
    client = proto_connect(app)
    response = await client.post(
        "/chatkit/attachments", files={"file": ("dog.png", PNG, "image/png")}
    )
    assert response.status_code == 200, response.text
    attachment = response.json()
    assert attachment["id"] and attachment["mime_type"] == "image/png"
    assert attachment["name"] == "dog.png"
    assert "upload_descriptor" not in attachment
    assert urlsplit(attachment["preview_url"]).scheme == "http"
    assert _file_path(tmp_path, attachment["id"]).exists() == (storage == "disk")
    shown = await client.get(attachment["preview_url"])
    assert shown.content == PNG

    events = await stream(
        client, "threads.create", input=user_input("", attachments=[attachment["id"]])
    )
    assert events[1]["item"]["attachments"][0]["id"] == attachment["id"]
    assert events[1]["item"]["attachments"][0]["thread_id"] == events[0]["thread"]["id"]


async def test_direct_upload_guesses_the_mime_type_from_the_name(
    proto_client: httpx.AsyncClient,
) -> None:
    response = await proto_client.post(
        "/chatkit/attachments",
        files={"file": ("notes.txt", b"hello", "application/octet-stream")},
    )
    assert response.json()["mime_type"] == "text/plain"
    assert response.json()["type"] == "file"


async def test_direct_upload_without_a_file_field_is_400(proto_client: httpx.AsyncClient) -> None:
    response = await proto_client.post("/chatkit/attachments", data={"other": "x"})
    assert response.status_code == 400
    assert "'file'" in response.json()["error"]["message"]


# ---- regression: multipart uploads left their spooled temporary file open ---------------------


async def test_multipart_uploads_close_their_temporary_files(
    proto_client: httpx.AsyncClient,
) -> None:
    big = b"x" * (2 * 1024 * 1024)  # past Starlette's in-memory spool: a real temporary file
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        direct = await proto_client.post(
            "/chatkit/attachments", files={"file": ("big.bin", big, "application/octet-stream")}
        )
        created = (
            await post(
                proto_client,
                "attachments.create",
                name="b.bin",
                size=len(big),
                mime_type="application/x-y",
            )
        ).json()
        two_phase = await proto_client.post(
            created["upload_descriptor"]["url"], files={"file": ("b.bin", big, "x/y")}
        )
        gc.collect()
    assert direct.status_code == 200 and two_phase.status_code == 200
    leaked = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaked == []


# ---- limits and refusals --------------------------------------------------------------------


@pytest.mark.parametrize("storage", STORAGES)
async def test_size_limit_is_413_with_a_clear_message(
    proto_make_app: Any, proto_connect: Any, tmp_path: Path, storage: str
) -> None:
    app = await proto_make_app(attachment_storage=storage, max_upload_bytes=100)
    client = proto_connect(app)
    store: Store = app.state.services.store

    declared = await post(
        client, "attachments.create", name="big.png", size=101, mime_type="image/png"
    )
    assert declared.status_code == 413
    error = declared.json()["error"]
    assert error["code"] == "upload_too_large"
    assert "101 bytes" in error["message"] and "100 bytes" in error["message"]
    assert (await row_counts(store))["attachments"] == 0

    direct = await client.post(
        "/chatkit/attachments", files={"file": ("b.png", b"x" * 101, "image/png")}
    )
    assert direct.status_code == 413
    assert "100 bytes" in direct.json()["error"]["message"]
    assert (await row_counts(store))["attachments"] == 0

    # A client that declares a small size and then sends more is refused too.
    liar = (
        await post(client, "attachments.create", name="l.png", size=10, mime_type="image/png")
    ).json()
    url = liar["upload_descriptor"]["url"]
    put = await client.put(url, content=b"x" * 101)
    assert put.status_code == 413
    multipart = await client.post(url, files={"file": ("l.png", b"x" * 101, "image/png")})
    assert multipart.status_code == 413
    assert "100 bytes" in multipart.json()["error"]["message"]
    assert (await store.load_attachment("ann", liar["id"])).uploaded is False
    assert not _file_path(tmp_path, liar["id"]).exists()


async def test_unknown_attachment_is_404(
    proto_client: httpx.AsyncClient, proto_store: Store
) -> None:
    deleted = await post(proto_client, "attachments.delete", attachment_id="atc_nope")
    assert deleted.status_code == 404
    assert deleted.json()["error"]["code"] == "attachment_not_found"
    used = await post(
        proto_client, "threads.create", input=user_input("hi", attachments=["atc_nope"])
    )
    assert used.status_code == 404
    assert "atc_nope" in used.json()["error"]["message"]
    assert await row_counts(proto_store) == {
        "threads": 0,
        "items": 0,
        "attachments": 0,
        "feedback": 0,
    }


async def test_another_users_attachment_is_404(
    proto_app: Starlette, proto_connect: Any, proto_store: Store
) -> None:
    ann, bob = proto_connect(proto_app, "ann"), proto_connect(proto_app, "bob")
    mine = (
        await ann.post("/chatkit/attachments", files={"file": ("a.png", PNG, "image/png")})
    ).json()
    events = await stream(bob, "threads.create", input=user_input("bob's thread"))
    bobs_thread = events[0]["thread"]["id"]
    before = await row_counts(proto_store)

    for op, params in (
        ("attachments.delete", {"attachment_id": mine["id"]}),
        ("threads.create", {"input": user_input("steal", attachments=[mine["id"]])}),
        (
            "threads.add_user_message",
            {"thread_id": bobs_thread, "input": user_input("steal", attachments=[mine["id"]])},
        ),
    ):
        response = await post(bob, op, **params)
        assert response.status_code == 404, (op, response.text)
        assert response.json()["error"]["code"] == "attachment_not_found"
    assert await row_counts(proto_store) == before
    assert (await proto_store.load_attachment("ann", mine["id"])).uploaded is True


@pytest.mark.parametrize("op", ["threads.create", "threads.add_user_message"])
async def test_message_naming_a_not_uploaded_attachment_is_400_and_stores_nothing(
    proto_client: httpx.AsyncClient, proto_store: Store, op: str
) -> None:
    params: dict[str, Any] = {}
    if op == "threads.add_user_message":
        events = await stream(proto_client, "threads.create", input=user_input("first"))
        params["thread_id"] = events[0]["thread"]["id"]
    created = (
        await post(proto_client, "attachments.create", name="p.png", size=4, mime_type="image/png")
    ).json()
    before = await row_counts(proto_store)
    response = await post(
        proto_client, op, input=user_input("with photo", attachments=[created["id"]]), **params
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "attachment_not_uploaded"
    assert created["id"] in error["message"]
    assert await row_counts(proto_store) == before
    assert (await proto_store.load_attachment("ann", created["id"])).attachment.thread_id is None


async def test_attachment_of_another_thread_is_400(proto_client: httpx.AsyncClient) -> None:
    attachment = (
        await proto_client.post("/chatkit/attachments", files={"file": ("a.png", PNG, "image/png")})
    ).json()
    await stream(
        proto_client, "threads.create", input=user_input("one", attachments=[attachment["id"]])
    )
    other = await stream(proto_client, "threads.create", input=user_input("two"))
    response = await post(
        proto_client,
        "threads.add_user_message",
        thread_id=other[0]["thread"]["id"],
        input=user_input("reuse", attachments=[attachment["id"]]),
    )
    assert response.status_code == 400
    assert "another thread" in response.json()["error"]["message"]


async def test_an_upload_url_uploads_once_and_never_rewrites_the_bytes(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    created = await post(
        client, "attachments.create", name="note.txt", size=5, mime_type="text/plain"
    )
    url = created.json()["upload_descriptor"]["url"]
    assert (await client.put(url, content=b"first")).status_code == 200
    again = await client.put(url, content=b"other")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_uploaded"
    assert await app.state.services.files.read("local", created.json()["id"]) == b"first"
