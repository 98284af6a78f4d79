"""input.transcribe: through an OpenAI-compatible transcription endpoint when a key is set."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..wire import post
from .support import serve


def fake_openai(seen: list[dict[str, Any]]) -> Starlette:
    """A stand-in for OpenAI's `/v1/audio/transcriptions` that records what it was sent."""

    async def transcriptions(request: Request) -> JSONResponse:
        async with request.form() as form:
            upload = form["file"]
            assert not isinstance(upload, str)
            seen.append(
                {
                    "auth": request.headers.get("authorization"),
                    "model": form.get("model"),
                    "filename": upload.filename,
                    "content_type": upload.content_type,
                    "bytes": await upload.read(),
                }
            )
            model = form.get("model")
        if model != "gpt-4o-mini-transcribe":
            return JSONResponse({"error": {"message": "unknown model"}}, status_code=400)
        return JSONResponse({"text": "buy milk tomorrow"})

    return Starlette(routes=[Route("/v1/audio/transcriptions", transcriptions, methods=["POST"])])


async def test_transcribes_through_the_configured_endpoint(
    make_app: Callable[..., Any], connect: Callable[..., httpx.AsyncClient]
) -> None:
    seen: list[dict[str, Any]] = []
    async with serve(fake_openai(seen)) as upstream:
        app = await make_app(openai_api_key="sk-test", openai_base_url=f"{upstream}/v1")
        async with connect(app) as client:
            audio = b"\x1aE\xdf\xa3 fake webm"
            answer = await post(
                client,
                "input.transcribe",
                audio_base64=base64.b64encode(audio).decode(),
                mime_type="audio/webm;codecs=opus",
            )
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"text": "buy milk tomorrow"}
            assert seen == [
                {
                    "auth": "Bearer sk-test",
                    "model": "gpt-4o-mini-transcribe",
                    "filename": "audio.webm",
                    "content_type": "audio/webm",
                    "bytes": audio,
                }
            ]
            bad = await post(client, "input.transcribe", audio_base64="%%%", mime_type="audio/webm")
            assert bad.status_code == 400 and "base64" in bad.json()["error"]["message"]
            assert len(seen) == 1


async def test_without_a_key_dictation_is_not_configured(client: httpx.AsyncClient) -> None:
    answer = await post(client, "input.transcribe", audio_base64="AAAA", mime_type="audio/webm")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "not_configured"
    assert "OPENAI_API_KEY" in answer.json()["error"]["message"]
