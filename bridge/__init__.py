"""chatkit-bridge: a self-hosted ChatKit backend.

The names below are the public API an app is written against (`docs/extending.md`). They are
loaded on first use, so `import bridge` (and the CLI) stays light and the engine's modules
never import each other through this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "ActionContext": "bridge.actions",
    "ActionRegistry": "bridge.actions",
    "App": "bridge.plugin",
    "AppTables": "bridge.plugin",
    "BadRequest": "bridge.errors",
    "BridgeError": "bridge.errors",
    "Responder": "bridge.responder",
    "Services": "bridge.context",
    "Settings": "bridge.settings",
    "Store": "bridge.storage",
    "Turn": "bridge.responder",
    "TurnFailed": "bridge.errors",
    "create_app": "bridge.app",
    "endpoint": "bridge.routes",
    "require_user": "bridge.routes",
    "stream_text": "bridge.responder",
}

__all__ = [
    "ActionContext",
    "ActionRegistry",
    "App",
    "AppTables",
    "BadRequest",
    "BridgeError",
    "Responder",
    "Services",
    "Settings",
    "Store",
    "Turn",
    "TurnFailed",
    "create_app",
    "endpoint",
    "require_user",
    "stream_text",
]

if TYPE_CHECKING:
    from .actions import ActionContext, ActionRegistry
    from .app import create_app
    from .context import Services
    from .errors import BadRequest, BridgeError, TurnFailed
    from .plugin import App, AppTables
    from .responder import Responder, Turn, stream_text
    from .routes import endpoint, require_user
    from .settings import Settings
    from .storage import Store


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bridge' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return [*globals(), *__all__]
