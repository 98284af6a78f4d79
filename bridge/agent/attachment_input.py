"""Attachments as model input: images as `input_image` (a base64 `data:` URL), text files as
`input_text` with the file's content, anything else described by name, type and size.

The bytes come from the app's `AttachmentFiles` (disk or database), always for the turn's
user. A data URL is used because the provider cannot fetch the bridge's signed URLs (they may
be on a private network) and every OpenAI-compatible server accepts one.
"""

from __future__ import annotations

import base64
from pathlib import PurePosixPath
from typing import Any

from db import NotFound
from schemas import Attachment

from ..attachment_files import AttachmentFiles
from .history import AttachmentReader, InputPart

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
"""The image types OpenAI models accept as `input_image`."""

TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/ld+json",
        "application/xml",
        "application/javascript",
        "application/x-javascript",
        "application/typescript",
        "application/x-yaml",
        "application/yaml",
        "application/toml",
        "application/sql",
        "application/x-sh",
        "application/x-python",
        "application/csv",
        "application/x-ndjson",
        "image/svg+xml",
    }
)
TEXT_SUFFIXES = frozenset(
    {
        ".txt", ".md", ".csv", ".tsv", ".json", ".jsonl", ".yaml", ".yml", ".toml", ".ini",
        ".cfg", ".xml", ".html", ".css", ".js", ".ts", ".py", ".rb", ".go", ".rs", ".java",
        ".kt", ".c", ".h", ".cpp", ".sh", ".sql", ".log",
    }
)  # fmt: skip
MAX_TEXT_BYTES = 100_000


def is_text(attachment: Attachment) -> bool:
    """Whether the attachment is read as text: a text type, or a known text file name."""
    mime = attachment.mime_type.split(";")[0].strip().lower()
    if mime.startswith("text/") or mime in TEXT_TYPES or mime.endswith(("+json", "+xml")):
        return True
    generic = mime in ("", "application/octet-stream")
    return generic and PurePosixPath(attachment.name).suffix.lower() in TEXT_SUFFIXES


def attachment_parts(
    attachment: Attachment, content: bytes, *, max_text_bytes: int = MAX_TEXT_BYTES
) -> list[InputPart]:
    """The input parts for one attachment's bytes."""
    mime = attachment.mime_type.split(";")[0].strip().lower()
    if mime in IMAGE_TYPES:
        data = base64.b64encode(content).decode("ascii")
        return [
            {"type": "input_text", "text": f"Attached image “{attachment.name}”:"},
            {"type": "input_image", "image_url": f"data:{mime};base64,{data}", "detail": "auto"},
        ]
    if is_text(attachment):
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            return [_described(attachment, content, "it is not UTF-8 text")]
        note = ""
        if len(content) > max_text_bytes:
            text = content[:max_text_bytes].decode("utf-8", errors="ignore")
            note = f" (the first {_size(max_text_bytes)} of {_size(len(content))})"
        fence = _fence(text)
        body = f"Attached file “{attachment.name}”{note}:\n{fence}\n{text}\n{fence}"
        return [{"type": "input_text", "text": body}]
    return [_described(attachment, content, "its content cannot be shown to you")]


def _described(attachment: Attachment, content: bytes, why: str) -> dict[str, Any]:
    return {
        "type": "input_text",
        "text": f"Attached {attachment.type} “{attachment.name}” "
        f"({attachment.mime_type}, {_size(len(content))}); {why}.",
    }


def _fence(text: str) -> str:
    # Longer than any run of backticks in the file, so the file cannot close the fence.
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    if n < 1_000_000:
        return f"{n / 1000:.1f} KB"
    return f"{n / 1_000_000:.1f} MB"


def attachment_reader(
    files: AttachmentFiles, user_id: str, *, max_text_bytes: int = MAX_TEXT_BYTES
) -> AttachmentReader:
    """The reader `build_input` uses for one user's attachments (None: bytes never arrived)."""

    async def read(attachment: Attachment) -> list[InputPart] | None:
        try:
            content = await files.read(user_id, attachment.id)
        except NotFound:
            return None
        if content is None:
            return None
        return attachment_parts(attachment, content, max_text_bytes=max_text_bytes)

    return read
