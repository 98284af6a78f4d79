"""Error bodies of JSON responses, and the small JSON answers of non-streaming ops."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import WireBase
from .items import ThreadItem


class ErrorDetail(WireBase):
    """A machine-readable code and a message a person can act on."""

    code: str
    message: str
    details: Any = None


class ErrorBody(WireBase):
    """The body of every 4xx (and the rare 5xx) JSON answer: `{"error": {"code", "message"}}`."""

    error: ErrorDetail


class SyncCustomActionResponse(WireBase):
    """What `threads.sync_custom_action` answers."""

    updated_item: ThreadItem | None = None


class TranscriptionResult(WireBase):
    """What `input.transcribe` answers."""

    text: str = Field(default="")
