"""Attachments: files and images a user adds to a message, and two-phase upload instructions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AnyUrl, Field, TypeAdapter

from .base import WireBase

_ANY_URL: TypeAdapter[AnyUrl] = TypeAdapter(AnyUrl)


def _absolute(url: str) -> str:
    _ANY_URL.validate_python(url)  # raises unless an absolute URL (https:, http:, data:, …)
    return url


AbsoluteURL = Annotated[str, AfterValidator(_absolute)]
"""A URL the widget fetches from its own origin: absolute, kept exactly as written."""


class AttachmentUploadDescriptor(WireBase):
    """Where and how the widget uploads the bytes of a two-phase attachment."""

    url: AbsoluteURL
    method: Literal["POST", "PUT"]
    headers: dict[str, str] = Field(default_factory=dict)


class AttachmentBase(WireBase):
    """Fields every attachment has."""

    id: str
    name: str
    mime_type: str
    upload_descriptor: AttachmentUploadDescriptor | None = None
    thread_id: str | None = None
    metadata: dict[str, Any] | None = None


class FileAttachment(AttachmentBase):
    """Any file that is not shown as an image."""

    type: Literal["file"] = "file"


class ImageAttachment(AttachmentBase):
    """An image; `preview_url` must be absolute because the widget runs in another origin."""

    type: Literal["image"] = "image"
    preview_url: AbsoluteURL


Attachment = Annotated[FileAttachment | ImageAttachment, Field(discriminator="type")]
