"""`schemas/` holds every value the bridge emits to the protocol's own limits (issue 10):
what the official types refuse cannot be built here either."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bridge.errors import TurnFailed
from schemas import (
    CustomTask,
    EntitySource,
    ErrorEvent,
    ImageAttachment,
    ProgressUpdateEvent,
    ThreadMetadata,
    UserMessageInput,
    utcnow,
)


@pytest.mark.parametrize(
    "code",
    ["model_auth", "server.shutdown", "tool_not_allowed", "guardrail", "max_turns", ""],
)
def test_an_error_event_has_a_protocol_code_only(code: str) -> None:
    with pytest.raises(ValidationError):
        ErrorEvent(code=code)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="reason"):
        TurnFailed("x", code=code)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["custom", "stream.error"])
def test_the_protocol_codes_are_accepted(code: Any) -> None:
    assert ErrorEvent(code=code).code == code
    assert TurnFailed("x", code=code, reason="why").reason == "why"


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda icon: ProgressUpdateEvent(icon=icon, text="x"), id="progress"),
        pytest.param(lambda icon: CustomTask(icon=icon), id="task"),
        pytest.param(lambda icon: EntitySource(id="e", title="t", icon=icon), id="entity"),
    ],
)
def test_icons_are_the_widgets_own(build: Any) -> None:
    for good in ("check-circle", "bolt", "lucide:rocket", "vendor:acme-logo"):
        build(good)
    for bad in ("rocket", "Check-Circle", "lucide", ""):
        with pytest.raises(ValidationError):
            build(bad)


@pytest.mark.parametrize("url", ["/relative/content", "content?token=1", ""])
def test_an_image_preview_url_is_absolute(url: str) -> None:
    with pytest.raises(ValidationError):
        ImageAttachment(id="a", name="a.png", mime_type="image/png", preview_url=url)


def test_a_thread_always_has_its_metadata_object() -> None:
    thread = ThreadMetadata(id="thr_1", created_at=utcnow())
    assert thread.metadata == {}
    assert '"metadata":{}' in thread.model_dump_json(exclude_none=True)


def test_null_means_absent_in_a_message() -> None:
    given = UserMessageInput.model_validate(
        {"content": None, "attachments": None, "inference_options": None, "quoted_text": "q"}
    )
    assert given.content == [] and given.attachments == []
    assert given.inference_options.model_dump() == {"tool_choice": None, "model": None}
