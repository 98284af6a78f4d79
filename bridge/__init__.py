"""chatkit-bridge: a self-hosted ChatKit backend.

The names below are the public API an app is written against (`docs/extending.md`, guarded by
`tests/bridge/test_public_api.py`). They are loaded on first use, so `import bridge` (and the
CLI) stays light and the engine's modules never import each other through this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Action": "schemas",
    "ActionConfig": "bridge.agent.widget_builders",
    "ActionContext": "bridge.actions",
    "ActionRegistry": "bridge.actions",
    "AgentContext": "bridge.agent.context",
    "AgentResponder": "bridge.agent.agent_responder",
    "Annotation": "schemas",
    "App": "bridge.plugin",
    "AppTables": "bridge.plugin",
    "AssistantMessageContent": "schemas",
    "AssistantMessageItem": "schemas",
    "BadRequest": "bridge.errors",
    "Badge": "bridge.agent.widget_builders",
    "Box": "bridge.agent.widget_builders",
    "BridgeError": "bridge.errors",
    "Button": "bridge.agent.widget_builders",
    "Call": "bridge.agent.step_model",
    "Caption": "bridge.agent.widget_builders",
    "Card": "bridge.agent.widget_builders",
    "ClientEffectEvent": "schemas",
    "ClientTool": "bridge.agent.client_tools",
    "Col": "bridge.agent.widget_builders",
    "CustomTask": "schemas",
    "Divider": "bridge.agent.widget_builders",
    "EchoModel": "bridge.agent.step_model",
    "EntitySource": "schemas",
    "FileSource": "schemas",
    "FileTask": "schemas",
    "HiddenContextItem": "schemas",
    "Icon": "bridge.agent.widget_builders",
    "Image": "bridge.agent.widget_builders",
    "ImageTask": "schemas",
    "ListView": "bridge.agent.widget_builders",
    "ListViewItem": "bridge.agent.widget_builders",
    "LiveWidget": "bridge.agent.context",
    "Markdown": "bridge.agent.widget_builders",
    "ProgressUpdateEvent": "schemas",
    "Responder": "bridge.responder",
    "Row": "bridge.agent.widget_builders",
    "Say": "bridge.agent.step_model",
    "SearchTask": "schemas",
    "Services": "bridge.context",
    "Settings": "bridge.settings",
    "Spacer": "bridge.agent.widget_builders",
    "StepModel": "bridge.agent.step_model",
    "Store": "bridge.storage",
    "Text": "bridge.agent.widget_builders",
    "ThoughtTask": "schemas",
    "ThreadItem": "schemas",
    "ThreadItemDoneEvent": "schemas",
    "ThreadItemReplacedEvent": "schemas",
    "ThreadMetadata": "schemas",
    "ThreadStreamEvent": "schemas",
    "Title": "bridge.agent.widget_builders",
    "Turn": "bridge.responder",
    "TurnFailed": "bridge.errors",
    "URLSource": "schemas",
    "UserMessageItem": "schemas",
    "WidgetItem": "schemas",
    "create_app": "bridge.app",
    "diff_widget": "bridge.widget_diff",
    "endpoint": "bridge.routes",
    "require_user": "bridge.routes",
    "stream_text": "bridge.responder",
    "utcnow": "schemas",
    "with_progress": "bridge.agent.progress",
}

__all__ = [
    "Action",
    "ActionConfig",
    "ActionContext",
    "ActionRegistry",
    "AgentContext",
    "AgentResponder",
    "Annotation",
    "App",
    "AppTables",
    "AssistantMessageContent",
    "AssistantMessageItem",
    "BadRequest",
    "Badge",
    "Box",
    "BridgeError",
    "Button",
    "Call",
    "Caption",
    "Card",
    "ClientEffectEvent",
    "ClientTool",
    "Col",
    "CustomTask",
    "Divider",
    "EchoModel",
    "EntitySource",
    "FileSource",
    "FileTask",
    "HiddenContextItem",
    "Icon",
    "Image",
    "ImageTask",
    "ListView",
    "ListViewItem",
    "LiveWidget",
    "Markdown",
    "ProgressUpdateEvent",
    "Responder",
    "Row",
    "Say",
    "SearchTask",
    "Services",
    "Settings",
    "Spacer",
    "StepModel",
    "Store",
    "Text",
    "ThoughtTask",
    "ThreadItem",
    "ThreadItemDoneEvent",
    "ThreadItemReplacedEvent",
    "ThreadMetadata",
    "ThreadStreamEvent",
    "Title",
    "Turn",
    "TurnFailed",
    "URLSource",
    "UserMessageItem",
    "WidgetItem",
    "create_app",
    "diff_widget",
    "endpoint",
    "require_user",
    "stream_text",
    "utcnow",
    "with_progress",
]

if TYPE_CHECKING:
    from schemas import (
        Action,
        Annotation,
        AssistantMessageContent,
        AssistantMessageItem,
        ClientEffectEvent,
        CustomTask,
        EntitySource,
        FileSource,
        FileTask,
        HiddenContextItem,
        ImageTask,
        ProgressUpdateEvent,
        SearchTask,
        ThoughtTask,
        ThreadItem,
        ThreadItemDoneEvent,
        ThreadItemReplacedEvent,
        ThreadMetadata,
        ThreadStreamEvent,
        URLSource,
        UserMessageItem,
        WidgetItem,
        utcnow,
    )

    from .actions import ActionContext, ActionRegistry
    from .agent.agent_responder import AgentResponder
    from .agent.client_tools import ClientTool
    from .agent.context import AgentContext, LiveWidget
    from .agent.progress import with_progress
    from .agent.step_model import Call, EchoModel, Say, StepModel
    from .agent.widget_builders import (
        ActionConfig,
        Badge,
        Box,
        Button,
        Caption,
        Card,
        Col,
        Divider,
        Icon,
        Image,
        ListView,
        ListViewItem,
        Markdown,
        Row,
        Spacer,
        Text,
        Title,
    )
    from .app import create_app
    from .context import Services
    from .errors import BadRequest, BridgeError, TurnFailed
    from .plugin import App, AppTables
    from .responder import Responder, Turn, stream_text
    from .routes import endpoint, require_user
    from .settings import Settings
    from .storage import Store
    from .widget_diff import diff_widget


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bridge' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return [*globals(), *__all__]
