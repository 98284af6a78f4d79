"""Attachment bytes (on disk under the data folder, or in the database) and signed URLs.

Upload and preview URLs carry an HMAC token bound to the attachment and its owner, because
the widget uploads, and renders previews, from an iframe on another origin that sends no
Authorization header. A token grants access to that one attachment only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

import anyio

from db import Store

from .errors import Unauthorized


def load_secret(data_dir: Path, configured: str | None) -> bytes:
    """The signing key: BRIDGE_SECRET_KEY, else one kept in the data folder (made once)."""
    if configured:
        return configured.encode()
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_bytes().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    path.write_bytes(key)
    path.chmod(0o600)
    return key


class AttachmentFiles:
    """Where attachment bytes live: `disk` (files under data/attachments) or `database`."""

    def __init__(self, store: Store, *, storage: str, folder: Path, secret: bytes) -> None:
        self.store = store
        self.storage = storage
        self.folder = folder
        self._secret = secret

    def sign(self, user_id: str, attachment_id: str, purpose: str) -> str:
        """A token for one attachment of one user, for `upload` or `content`."""
        message = f"{purpose}:{user_id}:{attachment_id}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]
        return f"{user_id}.{digest}"

    def verify(self, token: str, attachment_id: str, purpose: str) -> str:
        """The owner's user id if the token is valid for this attachment, else Unauthorized."""
        user_id, _, _digest = token.rpartition(".")
        if not user_id or not hmac.compare_digest(
            token, self.sign(user_id, attachment_id, purpose)
        ):
            raise Unauthorized("invalid or missing attachment token", code="invalid_token")
        return user_id

    def _path(self, attachment_id: str) -> Path:
        if not attachment_id.replace("_", "").isalnum():
            raise ValueError(f"bad attachment id {attachment_id!r}")
        return self.folder / attachment_id

    async def write(self, user_id: str, attachment_id: str, content: bytes) -> None:
        """Keep the bytes of an attachment (the record must exist)."""
        if self.storage == "database":
            stored = await self.store.load_attachment(user_id, attachment_id)
            await self.store.save_attachment(
                user_id, stored.attachment, size=len(content), uploaded=True, content=content
            )
            return
        path = self._path(attachment_id)
        await anyio.Path(self.folder).mkdir(parents=True, exist_ok=True)
        await anyio.Path(path).write_bytes(content)
        stored = await self.store.load_attachment(user_id, attachment_id)
        await self.store.save_attachment(
            user_id, stored.attachment, size=len(content), uploaded=True
        )

    async def read(self, user_id: str, attachment_id: str) -> bytes | None:
        """The bytes, or None if they never arrived."""
        stored = await self.store.load_attachment(user_id, attachment_id)
        if not stored.uploaded:
            return None
        if stored.storage == "database":
            return await self.store.load_attachment_content(user_id, attachment_id)
        path = anyio.Path(self._path(attachment_id))
        if not await path.exists():
            return None
        return await path.read_bytes()

    async def remove(self, attachment_id: str, storage: str) -> None:
        """Delete the file of a deleted attachment (database bytes go with the row)."""
        if storage == "disk":
            path = anyio.Path(self._path(attachment_id))
            if await path.exists():
                await path.unlink()
