"""The base model of every wire type, the generic Page, and the one place output is encoded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

T = TypeVar("T")


def null_as(default: Callable[[], Any]) -> BeforeValidator:
    """For a field with a default: `null` means the same as an absent key (clients send
    `inference_options: null`; the widget's own evergreen code may too)."""
    return BeforeValidator(lambda value: default() if value is None else value)


class WireBase(BaseModel):
    """Base of every protocol model: unknown fields are ignored, because the widget is evergreen."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Page(WireBase, Generic[T]):
    """One page of records; `after` is the id of the last record, for the next request."""

    data: list[T] = Field(default_factory=list)
    has_more: bool = False
    after: str | None = None


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (serialised as ISO 8601 with an offset)."""
    return datetime.now(UTC)


def encode(model: BaseModel) -> bytes:
    """Serialise a wire model to JSON bytes without null fields: the only output encoder."""
    return model.model_dump_json(exclude_none=True, by_alias=True).encode()
