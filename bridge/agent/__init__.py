"""The agent: answers turns with openai-agents, offline or on an OpenAI-compatible model."""

from .attachments import attachment_parts, attachment_reader
from .client_tools import ClientTool
from .models import ModelCatalog, model_failure
from .offline import OfflineModel
from .responder import AgentFactory, AgentResponder
from .tools import TASKS_CHANGED, TODO_TOOLS, TaskContext, make_responder, todo_agent
from .widgets import COMPLETE_ACTION, task_list_widget

__all__ = [
    "COMPLETE_ACTION",
    "TASKS_CHANGED",
    "TODO_TOOLS",
    "AgentFactory",
    "AgentResponder",
    "ClientTool",
    "ModelCatalog",
    "OfflineModel",
    "TaskContext",
    "attachment_parts",
    "attachment_reader",
    "make_responder",
    "model_failure",
    "task_list_widget",
    "todo_agent",
]
