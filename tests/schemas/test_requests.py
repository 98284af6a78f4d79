"""The op-type sets are read off the request unions, so a new request model is counted once."""

from __future__ import annotations

from typing import get_args

from schemas import NON_STREAMING_TYPES, REQUEST_TYPES, STREAMING_TYPES, ChatKitReq
from schemas.requests import NonStreamingReq, StreamingReq


def _literal(model: type) -> str:
    (value,) = get_args(model.model_fields["type"].annotation)  # type: ignore[attr-defined]
    return str(value)


def test_the_sets_are_the_unions_type_literals() -> None:
    assert {_literal(m) for m in get_args(StreamingReq)} == STREAMING_TYPES
    assert {_literal(m) for m in get_args(NonStreamingReq)} == NON_STREAMING_TYPES
    assert not STREAMING_TYPES & NON_STREAMING_TYPES
    assert tuple(sorted(STREAMING_TYPES | NON_STREAMING_TYPES)) == REQUEST_TYPES


def test_every_request_type_is_decoded_by_the_one_union() -> None:
    union = get_args(get_args(ChatKitReq)[0])
    assert sorted(_literal(m) for m in union) == list(REQUEST_TYPES)
    assert len(REQUEST_TYPES) == 16  # the protocol's ops (widget-facts.md)


def test_the_streaming_ops_are_the_ones_answered_with_sse() -> None:
    assert {
        "threads.create",
        "threads.add_user_message",
        "threads.retry_after_item",
        "threads.custom_action",
        "threads.add_client_tool_output",
        "threads.add_structured_input",
    } == STREAMING_TYPES
