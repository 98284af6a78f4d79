"""Configuration, read once from the environment (every variable is listed in the README)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


def _str(name: str, default: str | None = None) -> str | None:
    raw = os.environ.get(name)
    return raw if raw not in (None, "") else default


def _list(name: str) -> tuple[str, ...]:
    raw = os.environ.get(name, "")
    return tuple(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Everything the bridge can be told; `Settings.from_env()` reads the environment."""

    database_url: str = "sqlite:///./data/bridge.db"
    data_dir: Path = Path("data")
    path: str = "/chatkit"
    public_url: str | None = None
    # Models
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    model: str = "gpt-4.1-mini"
    model_api: str = "responses"
    models: tuple[str, ...] = ()
    offline: bool = False
    # Pages and limits
    page_size: int = 20
    max_page_size: int = 100
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 20_000_000
    max_message_chars: int = 20_000
    attachment_storage: str = "disk"
    secret_key: str | None = field(default=None, repr=False)
    # Streams
    keepalive_seconds: float = 15.0
    lease_seconds: float = 60.0
    shutdown_grace_seconds: float = 5.0
    history_items: int = 60
    # Auth and browsers (see bridge/auth.py)
    cors_origins: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Read the environment; keyword arguments win over it."""
        data_dir = Path(_str("BRIDGE_DATA_DIR", "data") or "data")
        values: dict[str, Any] = {
            "database_url": _str("DATABASE_URL", f"sqlite:///{data_dir}/bridge.db"),
            "data_dir": data_dir,
            "path": _str("BRIDGE_PATH", "/chatkit"),
            "public_url": _str("BRIDGE_PUBLIC_URL"),
            "openai_api_key": _str("OPENAI_API_KEY"),
            "openai_base_url": _str("OPENAI_BASE_URL"),
            "model": _str("BRIDGE_MODEL", "gpt-4.1-mini"),
            "model_api": _str("BRIDGE_MODEL_API", "responses"),
            "models": _list("BRIDGE_MODELS"),
            "offline": _str("BRIDGE_OFFLINE", "") in ("1", "true", "yes"),
            "page_size": _int("BRIDGE_PAGE_SIZE", 20),
            "max_page_size": _int("BRIDGE_MAX_PAGE_SIZE", 100),
            "max_body_bytes": _int("BRIDGE_MAX_BODY_BYTES", 1_000_000),
            "max_upload_bytes": _int("BRIDGE_MAX_UPLOAD_BYTES", 20_000_000),
            "max_message_chars": _int("BRIDGE_MAX_MESSAGE_CHARS", 20_000),
            "attachment_storage": _str("BRIDGE_ATTACHMENT_STORAGE", "disk"),
            "secret_key": _str("BRIDGE_SECRET_KEY"),
            "keepalive_seconds": _float("BRIDGE_KEEPALIVE_SECONDS", 15.0),
            "lease_seconds": _float("BRIDGE_LEASE_SECONDS", 60.0),
            "shutdown_grace_seconds": _float("BRIDGE_SHUTDOWN_GRACE_SECONDS", 5.0),
            "history_items": _int("BRIDGE_HISTORY_ITEMS", 60),
            "cors_origins": _list("CORS_ORIGINS"),
        }
        known = {f.name for f in fields(cls)}
        for key, value in overrides.items():
            if key not in known:
                raise TypeError(f"unknown setting {key!r}")
            values[key] = value
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse settings that cannot work, with a message naming the variable."""
        if self.attachment_storage not in ("disk", "database"):
            raise ValueError("BRIDGE_ATTACHMENT_STORAGE must be 'disk' or 'database'")
        if self.model_api not in ("responses", "chat_completions"):
            raise ValueError("BRIDGE_MODEL_API must be 'responses' or 'chat_completions'")
        if not self.path.startswith("/"):
            raise ValueError("BRIDGE_PATH must start with '/'")
        if self.page_size < 1 or self.max_page_size < self.page_size:
            raise ValueError("BRIDGE_PAGE_SIZE must be at least 1 and at most BRIDGE_MAX_PAGE_SIZE")

    @property
    def uses_openai(self) -> bool:
        """Whether turns go to a real model (a key is set and offline is not forced)."""
        return bool(self.openai_api_key) and not self.offline
