"""Dictation: input.transcribe, through OpenAI's transcription API when a key is set."""

from __future__ import annotations

import base64
import binascii

from starlette.responses import Response

from schemas import InputTranscribeReq, TranscriptionResult, encode

from ..context import RequestContext
from ..errors import BadRequest, NotConfigured, UpstreamError
from .common import json_response

TRANSCRIBE_MODEL = "gpt-4o-mini-transcribe"


async def transcribe(ctx: RequestContext, req: InputTranscribeReq) -> Response:
    """Turn dictated audio into composer text."""
    if not ctx.settings.uses_openai:
        raise NotConfigured(
            "dictation is not configured: set OPENAI_API_KEY to enable input.transcribe"
        )
    try:
        audio = base64.b64decode(req.params.audio_base64, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("audio_base64 is not valid base64", code="invalid_params") from None
    if not audio:
        raise BadRequest("audio_base64 is empty", code="invalid_params")
    media_type = req.params.mime_type.split(";", 1)[0].strip()
    extension = media_type.rsplit("/", 1)[-1] or "webm"
    from openai import AsyncOpenAI, OpenAIError

    try:
        async with AsyncOpenAI(
            api_key=ctx.settings.openai_api_key, base_url=ctx.settings.openai_base_url
        ) as client:
            result = await client.audio.transcriptions.create(
                model=TRANSCRIBE_MODEL, file=(f"audio.{extension}", audio, media_type)
            )
    except OpenAIError as exc:
        raise UpstreamError(f"transcription failed: {exc}") from exc
    return json_response(encode(TranscriptionResult(text=result.text)))
