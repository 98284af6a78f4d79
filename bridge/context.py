"""What a handler is given: the app's services and the request's user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from db import Store

from .logs import RequestLog
from .metrics import Metrics
from .responder import Responder, Turn
from .settings import Settings

if TYPE_CHECKING:
    from .actions import ActionRegistry
    from .attachment_files import AttachmentFiles
    from .gate import Gate
    from .shared_store import SharedStore


@dataclass
class Services:
    """The app's long-lived parts, made once at start-up."""

    settings: Settings
    store: Store
    responder: Responder
    actions: ActionRegistry
    files: AttachmentFiles
    authenticator: Any
    gate: Gate  # every entry point authenticates and is rate-limited through it
    shared: SharedStore  # rate limits and retired session tokens, seen by every worker
    limiter: Any = None
    metrics: Metrics = field(default_factory=Metrics)


@dataclass
class RequestContext:
    """One request: who is asking, and everything a handler may use."""

    user_id: str
    services: Services
    request: Request
    log: RequestLog
    metadata: dict[str, Any] = field(default_factory=dict)
    """The decoded request's `metadata` (set once the body is decoded)."""

    @property
    def store(self) -> Store:
        """The store."""
        return self.services.store

    @property
    def settings(self) -> Settings:
        """The settings."""
        return self.services.settings

    def base_url(self) -> str:
        """The bridge's absolute base URL, for URLs the widget fetches from another origin."""
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        return str(self.request.base_url).rstrip("/")

    def turn(self, **kwargs: Any) -> Turn:
        """A Turn for the responder, for this request's user."""
        return Turn(
            user_id=self.user_id,
            store=self.store,
            settings=self.settings,
            locale=self.request.headers.get("accept-language"),
            headers=self.request.headers,
            request_metadata=self.metadata,
            **kwargs,
        )
