"""chatkit-bridge: a self-hosted ChatKit backend.

The names below are the public API: what an app built on the bridge imports (see
docs/extending.md and examples/). Everything else is internal and may move.
"""

__version__ = "0.1.0"

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
from .agent.widget_diff import diff_widget
from .app import create_app
from .errors import TurnFailed
from .responder import Responder, Turn, stream_text
from .settings import Settings

__all__ = [
    "Action",
    "ActionConfig",
    "ActionContext",
    "ActionRegistry",
    "AgentContext",
    "AgentResponder",
    "Annotation",
    "AssistantMessageContent",
    "AssistantMessageItem",
    "Badge",
    "Box",
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
    "Settings",
    "Spacer",
    "StepModel",
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
    "stream_text",
    "utcnow",
    "with_progress",
]
