"""The router: op type → handler. One line per op; the handlers live in `handlers/`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import Response

from .context import RequestContext
from .handlers import attachments, custom_action, items, messages, threads, transcribe

Handler = Callable[[RequestContext, Any], Awaitable[Response]]

ROUTES: dict[str, Handler] = {
    "threads.create": messages.create_thread,
    "threads.add_user_message": messages.add_user_message,
    "threads.retry_after_item": messages.retry_after_item,
    "threads.add_client_tool_output": messages.add_client_tool_output,
    "threads.add_structured_input": messages.add_structured_input,
    "threads.custom_action": custom_action.custom_action,
    "threads.sync_custom_action": custom_action.sync_custom_action,
    "threads.get_by_id": threads.get_thread,
    "threads.list": threads.list_threads,
    "threads.update": threads.update_thread,
    "threads.delete": threads.delete_thread,
    "items.list": items.list_items,
    "items.feedback": items.add_feedback,
    "attachments.create": attachments.create_attachment,
    "attachments.delete": attachments.delete_attachment,
    "input.transcribe": transcribe.transcribe,
}
