"""Error answers: what each client mistake is called, and regressions of misreported errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from db import Store

from ..wire import post, user_input
from .support import row_counts

HEADERS = {"chatkit-frame-instance-id": "test-frame", "content-type": "application/json"}


async def _send(client: httpx.AsyncClient, body: Any) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post("/chatkit", content=raw, headers=HEADERS)


# ---- regressions: nested errors were reported as if the body itself were wrong ----------------


async def test_unknown_content_part_type_is_invalid_params_not_unknown_request_type(
    proto_client: httpx.AsyncClient, proto_store: Store
) -> None:
    body = {
        "type": "threads.create",
        "params": {"input": {"content": [{"type": "input_video", "url": "x"}], "attachments": []}},
    }
    response = await _send(proto_client, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_params"
    assert "unknown request type" not in error["message"]
    assert "threads.create" in error["message"]
    assert "input.content.0" in error["message"]
    assert "input_video" in error["message"]
    assert await row_counts(proto_store) == {
        "threads": 0,
        "items": 0,
        "attachments": 0,
        "feedback": 0,
    }


async def test_content_part_without_type_is_invalid_params_not_missing_body_type(
    proto_client: httpx.AsyncClient,
) -> None:
    body = {"type": "threads.create", "params": {"input": {"content": [{"text": "hi"}]}}}
    response = await _send(proto_client, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_params"
    assert "the body has no 'type'" not in error["message"]
    assert "input.content.0" in error["message"]


async def test_params_not_an_object_is_invalid_params_not_body_not_an_object(
    proto_client: httpx.AsyncClient,
) -> None:
    response = await _send(proto_client, {"type": "threads.list", "params": []})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_params"
    assert "threads.list" in error["message"]
    assert "the body must be a JSON object" not in error["message"]


@pytest.mark.parametrize(
    ("body", "code", "needle"),
    [
        pytest.param(b"[]", "invalid_request", "JSON object", id="array"),
        pytest.param({"params": {}}, "missing_type", "no 'type'", id="no-type"),
        pytest.param({"type": "nope", "params": {}}, "unknown_type", "'nope'", id="unknown-type"),
        pytest.param(b"{", "invalid_json", "not valid JSON", id="broken-json"),
    ],
)
async def test_body_level_errors_keep_their_codes(
    proto_client: httpx.AsyncClient, body: Any, code: str, needle: str
) -> None:
    response = await _send(proto_client, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert needle in error["message"]


# ---- other ops' errors ----------------------------------------------------------------------


@pytest.mark.parametrize("offline", [False, True], ids=["no-key", "offline-with-key"])
async def test_transcribe_without_a_key_is_not_configured(
    proto_make_app: Any, proto_connect: Any, offline: bool
) -> None:
    key = "sk-test-never-used" if offline else None
    app = await proto_make_app(openai_api_key=key, offline=offline)
    client = proto_connect(app)
    response = await post(client, "input.transcribe", audio_base64="AAAA", mime_type="audio/webm")
    assert 400 <= response.status_code < 500
    error = response.json()["error"]
    assert error["code"] == "not_configured"
    assert "not configured" in error["message"]
    assert "OPENAI_API_KEY" in error["message"]


async def test_message_too_long_is_413_and_stores_nothing(
    proto_make_app: Any, proto_connect: Any
) -> None:
    app = await proto_make_app(max_message_chars=10)
    client = proto_connect(app)
    response = await post(client, "threads.create", input=user_input("x" * 11))
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "message_too_long"
    assert "11" in error["message"] and "10" in error["message"]
    assert await row_counts(app.state.services.store) == {
        "threads": 0,
        "items": 0,
        "attachments": 0,
        "feedback": 0,
    }


async def test_retry_after_a_non_user_item_is_400(
    proto_client: httpx.AsyncClient,
) -> None:
    from ..wire import stream

    events = await stream(proto_client, "threads.create", input=user_input("hi"))
    thread_id = events[0]["thread"]["id"]
    assistant_id = events[-2]["item"]["id"]
    response = await post(
        proto_client, "threads.retry_after_item", thread_id=thread_id, item_id=assistant_id
    )
    assert response.status_code == 400
    assert "assistant_message" in response.json()["error"]["message"]


async def test_unknown_action_type_is_400_naming_known_types(
    proto_client: httpx.AsyncClient,
) -> None:
    from ..wire import stream

    events = await stream(proto_client, "threads.create", input=user_input("hi"))
    thread_id = events[0]["thread"]["id"]
    for op in ("threads.custom_action", "threads.sync_custom_action"):
        response = await post(proto_client, op, thread_id=thread_id, action={"type": "nope"})
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "unknown_action"
        assert "'nope'" in error["message"]
