"""Attachments: files and images a user adds to a message, and two-phase upload instructions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .base import WireBase


class AttachmentUploadDescriptor(WireBase):
    """Where and how the widget uploads the bytes of a two-phase attachment."""

    url: str
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
    preview_url: str


Attachment = Annotated[FileAttachment | ImageAttachment, Field(discriminator="type")]
