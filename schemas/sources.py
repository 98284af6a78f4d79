"""Sources and annotations: what an assistant's text cites."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .base import WireBase
from .icons import IconName


class SourceBase(WireBase):
    """Fields every source has."""

    title: str
    description: str | None = None
    timestamp: str | None = None
    group: str | None = None


class FileSource(SourceBase):
    """A cited file."""

    type: Literal["file"] = "file"
    filename: str


class URLSource(SourceBase):
    """A cited web page."""

    type: Literal["url"] = "url"
    url: str
    attribution: str | None = None


class EntitySource(SourceBase):
    """A cited entity of the host app, optionally interactive in the widget."""

    type: Literal["entity"] = "entity"
    id: str
    icon: IconName | None = None
    label: str | None = None
    inline_label: str | None = None
    interactive: bool = False
    data: dict[str, Any] = Field(default_factory=dict)


Source = Annotated[URLSource | FileSource | EntitySource, Field(discriminator="type")]


class Annotation(WireBase):
    """A citation attached to assistant text, at an optional character index."""

    type: Literal["annotation"] = "annotation"
    source: Source
    index: int | None = None
