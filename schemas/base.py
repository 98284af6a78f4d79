"""The base model of every wire type, the generic Page, and the one place output is encoded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


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
