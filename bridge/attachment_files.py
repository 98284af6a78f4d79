"""Attachment bytes (on disk under the data folder, or in the database) and signed URLs.

Upload and preview URLs carry a token bound to the attachment, its owner and an expiry,
because the widget uploads, and renders previews, from an iframe on another origin that sends
no Authorization header. A token grants access to that one attachment only, until it expires.

Tokens are sealed with AES-GCM under a key derived from the secret: opaque to whoever sees the
URL (the owner's id is inside, encrypted) and impossible to alter. The attachment id and the
purpose are the associated data, so a token opens nothing else. Preview URLs stored in items
are signed afresh whenever items are read (`resign_previews`), so their short life never shows.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

import anyio
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from db import Store

from .errors import Unauthorized

# How long a URL works: the widget uploads right after attachments.create; previews are
# re-signed whenever items are read.
TOKEN_SECONDS = {"upload": 3600.0, "content": 3600.0}
_PREVIEW_TOKEN = re.compile(
    rb"(/attachments/(atc_[A-Za-z0-9_]{1,60})/content\?token=)[A-Za-z0-9_\-]*"
)


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

    def __init__(
        self,
        store: Store,
        *,
        storage: str,
        folder: Path,
        secret: bytes,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.storage = storage
        self.folder = folder
        key = hmac.new(secret, b"chatkit-bridge attachment tokens v1", hashlib.sha256).digest()
        self._aead = AESGCM(key)
        self.clock = clock

    def sign(self, user_id: str, attachment_id: str, purpose: str, ttl: float | None = None) -> str:
        """A sealed token for one attachment of one user, for `upload` or `content`."""
        ttl = TOKEN_SECONDS[purpose] if ttl is None else ttl
        expires = int(self.clock() + ttl)
        nonce = secrets.token_bytes(12)
        plain = json.dumps([user_id, expires], separators=(",", ":")).encode()
        sealed = self._aead.encrypt(nonce, plain, f"{purpose}:{attachment_id}".encode())
        return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()

    def verify(self, token: str, attachment_id: str, purpose: str) -> str:
        """The owner's user id if the token is valid for this attachment, else Unauthorized."""
        refused = Unauthorized("invalid or missing attachment token", code="invalid_token")
        if not token or len(token) > 2048 or not token.isascii():
            raise refused
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            plain = self._aead.decrypt(raw[:12], raw[12:], f"{purpose}:{attachment_id}".encode())
            user_id, expires = json.loads(plain)
        except (binascii.Error, ValueError, InvalidTag):
            raise refused from None
        if expires < self.clock():
            raise Unauthorized("attachment URL expired; list the items again", code="invalid_token")
        return str(user_id)

    def resign_previews(self, body: bytes, user_id: str) -> bytes:
        """`body` (items as JSON) with every preview URL's token signed afresh for `user_id`."""
        if b"/content?token=" not in body:
            return body

        def fresh(match: re.Match[bytes]) -> bytes:
            attachment_id = match.group(2).decode()
            return match.group(1) + self.sign(user_id, attachment_id, "content").encode()

        return _PREVIEW_TOKEN.sub(fresh, body)

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
