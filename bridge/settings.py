"""Configuration, read once from the environment (every variable is listed in the README)."""

from __future__ import annotations

import json
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
class MCPServerConfig:
    """An extra MCP server for the agent (streamable HTTP), from `BRIDGE_MCP_SERVERS`."""

    name: str
    url: str
    headers: dict[str, str] = field(default_factory=dict, hash=False)


def _mcp_servers(name: str) -> tuple[MCPServerConfig, ...]:
    """`[{"name": …, "url": …, "headers"?: {…}}, …]` as JSON; empty or unset for none."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ()
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a JSON list of servers: {exc}") from None
    if not isinstance(value, list):
        raise ValueError(f'{name} must be a JSON list like [{{"name": "x", "url": "https://…"}}]')
    servers = []
    for n, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise ValueError(f"{name}[{n}] must be an object with name and url")
        unknown = set(entry) - {"name", "url", "headers"}
        if unknown:
            raise ValueError(f"{name}[{n}] has unknown keys {sorted(unknown)}")
        server_name, url = entry.get("name"), entry.get("url")
        if not isinstance(server_name, str) or not isinstance(url, str):
            raise ValueError(f"{name}[{n}] needs a string name and a string url")
        headers = entry.get("headers") or {}
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise ValueError(f"{name}[{n}].headers must be an object of strings")
        servers.append(MCPServerConfig(name=server_name, url=url, headers=dict(headers)))
    return tuple(servers)


@dataclass(frozen=True)
class Settings:
    """Everything the bridge can be told; `Settings.from_env()` reads the environment."""

    database_url: str = "sqlite:///./data/bridge.db"
    pool_size: int = 10
    """PostgreSQL connections per process (DATABASE_POOL_SIZE), shared by all requests."""
    pool_timeout: float = 10.0
    """Seconds a request waits for a free connection, then 503 (DATABASE_POOL_TIMEOUT)."""
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
    max_attachment_text_bytes: int = 100_000
    max_pending_attachments: int = 50
    attachment_quota_bytes: int = 1_000_000_000
    secret_key: str | None = field(default=None, repr=False)
    # Streams
    keepalive_seconds: float = 15.0
    lease_seconds: float = 15.0
    shutdown_grace_seconds: float = 5.0
    history_items: int = 60
    # Agent: extra MCP servers, connected once at start-up
    mcp_servers: tuple[MCPServerConfig, ...] = ()
    # Auth and browsers (see bridge/auth/ and bridge/origins.py)
    cors_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    # Shared state (rate limits, retired session tokens): Redis, else the database
    redis_url: str | None = field(default=None, repr=False)
    # GET /metrics (bridge/metrics.py): off unless asked; a bearer token when set
    metrics: bool = False
    metrics_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Read the environment; keyword arguments win over it."""
        data_dir = Path(_str("BRIDGE_DATA_DIR", "data") or "data")
        values: dict[str, Any] = {
            "database_url": _str("DATABASE_URL", f"sqlite:///{data_dir}/bridge.db"),
            "data_dir": data_dir,
            "pool_size": _int("DATABASE_POOL_SIZE", 10),
            "pool_timeout": _float("DATABASE_POOL_TIMEOUT", 10.0),
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
            "max_attachment_text_bytes": _int("BRIDGE_ATTACHMENT_TEXT_BYTES", 100_000),
            "max_pending_attachments": _int("BRIDGE_MAX_PENDING_ATTACHMENTS", 50),
            "attachment_quota_bytes": _int("BRIDGE_ATTACHMENT_QUOTA_BYTES", 1_000_000_000),
            "secret_key": _str("BRIDGE_SECRET_KEY"),
            "keepalive_seconds": _float("BRIDGE_KEEPALIVE_SECONDS", 15.0),
            "lease_seconds": _float("BRIDGE_LEASE_SECONDS", 15.0),
            "shutdown_grace_seconds": _float("BRIDGE_SHUTDOWN_GRACE_SECONDS", 5.0),
            "history_items": _int("BRIDGE_HISTORY_ITEMS", 60),
            "mcp_servers": _mcp_servers("BRIDGE_MCP_SERVERS"),
            "cors_origins": _list("CORS_ORIGINS"),
            "allowed_hosts": _list("BRIDGE_ALLOWED_HOSTS"),
            "redis_url": _str("REDIS_URL"),
            "metrics": _str("BRIDGE_METRICS", "off") in ("1", "on", "true", "yes"),
            "metrics_token": _str("BRIDGE_METRICS_TOKEN"),
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
        if self.pool_size < 1:
            raise ValueError("DATABASE_POOL_SIZE must be at least 1")
        if self.lease_seconds <= 0:
            raise ValueError("BRIDGE_LEASE_SECONDS must be positive")
        if self.page_size < 1 or self.max_page_size < self.page_size:
            raise ValueError("BRIDGE_PAGE_SIZE must be at least 1 and at most BRIDGE_MAX_PAGE_SIZE")
        names = [server.name for server in self.mcp_servers]
        for server in self.mcp_servers:
            if not server.name.strip():
                raise ValueError("BRIDGE_MCP_SERVERS: every server needs a non-empty name")
            if not server.url.startswith(("http://", "https://")):
                raise ValueError(
                    f"BRIDGE_MCP_SERVERS: server {server.name!r} needs an http(s) url, "
                    f"got {server.url!r}"
                )
        if len(set(names)) != len(names):
            raise ValueError("BRIDGE_MCP_SERVERS: server names must be unique")

    @property
    def uses_openai(self) -> bool:
        """Whether turns go to a real model (a key is set and offline is not forced)."""
        return bool(self.openai_api_key) and not self.offline
