"""Strict validation of what the bridge sends: every field must be a field of `schemas/`.

The wire models ignore unknown fields (`extra="ignore"`), which is right for what the
evergreen widget sends but would hide an off-protocol field the bridge sends. Two checks:

1. Pydantic's validation-time override: `TypeAdapter.validate_json(raw, extra="forbid",
   strict=True)`. The `extra` argument overrides every model's `extra` setting for the whole
   validation, nested models included, so an unknown key anywhere is an `extra_forbidden`
   error; `strict=True` forbids coercions (a number sent as a string, a bool as 0/1).
   This validates the raw bytes the bridge sent, not a re-parsed copy.
2. A round trip: dumping the validated model whole (`exclude_none=True`, as the reference
   server serialises) must give back exactly the JSON that was sent (timestamps compared as
   instants). This catches what (1) cannot: a field the model knows under another name, a
   value the model rewrites on the way in, a `null` sent for an absent value, and a key left
   out that the official types require (every field with a non-null default is always sent,
   so a missing `content`, `arguments`, `inference_options`, `metadata` or `items` differs).

`Any`-typed fields (a widget tree, a tool's output) are opaque to both, as they are to the
protocol.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from schemas import (
    Attachment,
    ErrorBody,
    Page,
    SyncCustomActionResponse,
    Thread,
    ThreadItem,
    ThreadStreamEvent,
    TranscriptionResult,
)

from .normalise import is_iso_timestamp

EVENT = TypeAdapter(ThreadStreamEvent)
BODIES: dict[str, TypeAdapter[Any]] = {
    "threads.get_by_id": TypeAdapter(Thread),
    "threads.update": TypeAdapter(Thread),
    "threads.list": TypeAdapter(Page[Thread]),
    "items.list": TypeAdapter(Page[ThreadItem]),
    "threads.sync_custom_action": TypeAdapter(SyncCustomActionResponse),
    "attachments.create": TypeAdapter(Attachment),
    "upload": TypeAdapter(Attachment),
    "upload.direct": TypeAdapter(Attachment),
    "input.transcribe": TypeAdapter(TranscriptionResult),
}
EMPTY_OBJECT_OPS = {"threads.delete", "items.feedback", "attachments.delete"}
ERROR = TypeAdapter(ErrorBody)
ATTACHMENT = TypeAdapter(Attachment)


def _instants(value: Any) -> Any:
    """JSON with every ISO timestamp parsed to a datetime (its spelling does not matter)."""
    if isinstance(value, dict):
        return {k: _instants(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_instants(v) for v in value]
    if isinstance(value, str) and is_iso_timestamp(value):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def check_strict(adapter: TypeAdapter[Any], raw: bytes) -> None:
    """Validate `raw` strictly with unknown fields forbidden, and check the round trip."""
    model = adapter.validate_json(raw, extra="forbid", strict=True)
    again = adapter.dump_python(model, mode="json", exclude_none=True, by_alias=True)
    sent = json.loads(raw)
    assert _instants(again) == _instants(sent), (
        f"the schema does not give back what was sent:\n sent {sent}\n back {again}"
    )


def check_body(op: str, raw: bytes) -> None:
    """A JSON answer of `op`, checked strictly against its schema."""
    parsed = json.loads(raw)
    if isinstance(parsed, dict) and "error" in parsed:
        check_strict(ERROR, raw)
    elif op in EMPTY_OBJECT_OPS:
        assert parsed == {}, f"{op} answers {{}}, got {parsed}"
    else:
        check_strict(BODIES[op], raw)


def check_event(raw: bytes) -> None:
    """One SSE frame's JSON, checked strictly against the event union."""
    check_strict(EVENT, raw)
