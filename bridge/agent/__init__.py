"""The agent engine: runs an openai-agents Agent per turn and streams ChatKit events.

Generic: it never imports the todo app (bridge/todo/), which is built on it like any app.
"""

from .agent_responder import AgentFactory, AgentResponder
from .attachment_input import attachment_parts, attachment_reader
from .client_tools import ClientTool
from .context import AgentContext, LiveWidget
from .models import ModelCatalog, model_failure
from .progress import with_progress
from .step_model import Call, EchoModel, Say, StepModel

__all__ = [
    "AgentContext",
    "AgentFactory",
    "AgentResponder",
    "Call",
    "ClientTool",
    "EchoModel",
    "LiveWidget",
    "ModelCatalog",
    "Say",
    "StepModel",
    "attachment_parts",
    "attachment_reader",
    "model_failure",
    "with_progress",
]
