"""The agent: answers turns with openai-agents, offline or on an OpenAI-compatible model."""

from ..todo.offline_model import OfflineModel
from ..todo.task_list import COMPLETE_ACTION, task_list_widget
from ..todo.tools import TODO_TOOLS, TaskContext
from .agent_responder import AgentFactory, AgentResponder, make_responder, todo_agent
from .attachment_input import attachment_parts, attachment_reader
from .client_tools import ClientTool
from .models import ModelCatalog, model_failure
from .stream import TASKS_CHANGED

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
