"""Thread items in, model input out: what the agent is told about the conversation so far.

Everything becomes Responses-style input items, which both the Responses and the Chat
Completions models accept (remembered hosted calls go in as the provider's own items only
with `hosted="items"`, which the responder asks for a Responses API model alone). Hidden
context (such as "the user stopped the previous answer") goes in as a bracketed user-side
note, the form every OpenAI-compatible server takes.
Server tool calls of earlier turns, kept as hidden items (stream.py, `TOOL_MEMORY`), go in as
the call and its output, so the model remembers what its tools answered (a booking number
it never repeated in words). Hosted tool calls (web search, image generation…) are kept the
same way and go in as the provider's own items or as a note, as the model accepts
(hosted_memory.py). Reasoning of earlier turns is not replayed on its own (its summary is
shown as a workflow, not kept in a form a provider takes back); the answer and the calls
carry what it led to. Only the reasoning item a hosted call followed goes back, beside it.

The conversion is pluggable per item type: `build_input(items, convert={"widget": f})` uses
`f(item)` (sync or async, returning input items) for widget items instead of the default.
A remembered tool call is a `hidden_context_item` whose key is more precise: `function_call`
for a server tool's call, the provider's type (`web_search_call`…) for a hosted one.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, assert_never, cast

from agents import TResponseInputItem

from schemas import (
    AssistantMessageItem,
    Attachment,
    ClientToolCallItem,
    EndOfTurnItem,
    GeneratedImageItem,
    HiddenContextItem,
    SDKHiddenContextItem,
    StructuredInputItem,
    TaskItem,
    ThreadItem,
    UserMessageItem,
    UserMessageTagContent,
    UserMessageTextContent,
    WidgetItem,
    WorkflowItem,
)

from .hosted_memory import Replay, hosted_type, is_hosted_memory, replay

InputPart = dict[str, Any]
ItemConverter = Callable[
    [Any], Sequence[TResponseInputItem] | Awaitable[Sequence[TResponseInputItem]]
]
"""One thread item → its model input items (none to leave it out); may be async."""

TOOL_MEMORY = "bridge.tool_call"
"""The `kind` of a hidden item's content that records a server tool call and its output."""
AttachmentReader = Callable[[Attachment], Awaitable[list[InputPart] | None]]
"""Turns an attachment into input content parts (`input_image`, `input_text`, `input_file`).

The hook for attachment bytes: return None to fall back to describing it by name and type.
"""


async def build_input(
    items: Sequence[ThreadItem],
    *,
    read_attachment: AttachmentReader | None = None,
    convert: Mapping[str, ItemConverter] | None = None,
    hosted: Replay = "summary",
) -> list[TResponseInputItem]:
    """The model input for a thread's items, oldest first; `hosted`: how remembered hosted
    tool calls go in (`"items"` only for a Responses API model, hosted_memory.py)."""
    out: list[TResponseInputItem] = []
    reasoning_sent: set[str] = set()
    for item in items:
        custom = _converter(item, convert) if convert else None
        if custom is not None:
            converted = custom(item)
            if inspect.isawaitable(converted):
                converted = await converted
            out.extend(converted)
            continue
        match item:
            case UserMessageItem():
                out.append(await _user_message(item, read_attachment))
            case AssistantMessageItem():
                text = "".join(part.text for part in item.content)
                if text:
                    out.append(_message("assistant", text))
            case ClientToolCallItem():
                # A pending call has no output yet; the model would answer it again.
                if item.status == "completed":
                    out.extend(_client_tool_call(item))
            case WidgetItem():
                shown = item.copy_text or f"a {item.widget.get('type', 'widget')} widget"
                out.append(_message("assistant", f"[Shown to the user: {shown}]"))
            case StructuredInputItem():
                answered = _structured_answers(item)
                if answered:
                    out.append(_message("user", answered))
            case SDKHiddenContextItem():
                out.append(_message("user", f"[Context: {item.content}]"))
            case HiddenContextItem() if _is_tool_memory(item.content):
                out.extend(_tool_memory(item.content))
            case HiddenContextItem() if is_hosted_memory(item.content):
                out.extend(replay(item.content, hosted, reasoning_sent))
            case HiddenContextItem():
                content = (
                    item.content if isinstance(item.content, str) else json.dumps(item.content)
                )
                out.append(_message("user", f"[Context: {content}]"))
            case WorkflowItem() | TaskItem() | GeneratedImageItem() | EndOfTurnItem():
                # Reasoning and progress shown to the user: nothing the model needs again.
                pass
            case _:
                assert_never(item)
    return out


def _converter(item: ThreadItem, convert: Mapping[str, ItemConverter]) -> ItemConverter | None:
    if isinstance(item, HiddenContextItem):
        if _is_tool_memory(item.content) and "function_call" in convert:
            return convert["function_call"]
        if is_hosted_memory(item.content) and hosted_type(item.content) in convert:
            return convert[hosted_type(item.content)]
    return convert.get(item.type)


def _message(role: str, text: str) -> TResponseInputItem:
    # Plain string content: the Chat Completions converter rejects `output_text` parts in input.
    return cast(TResponseInputItem, {"role": role, "content": text})


async def _user_message(
    item: UserMessageItem, read_attachment: AttachmentReader | None
) -> TResponseInputItem:
    text = ""
    tags: list[UserMessageTagContent] = []
    for piece in item.content:
        match piece:
            case UserMessageTextContent():
                text += piece.text
            case UserMessageTagContent():
                text += f"@{piece.text}"
                tags.append(piece)
            case _:
                assert_never(piece)
    notes: list[str] = []
    if item.quoted_text:
        quoted = "\n".join(f"> {line}" for line in item.quoted_text.splitlines())
        notes.append(f"The user is replying to this quote:\n{quoted}")
    for tag in tags:
        data = f": {json.dumps(tag.data, ensure_ascii=False)}" if tag.data else ""
        notes.append(f"@{tag.text} refers to {tag.group or 'item'} {tag.id}{data}")
    parts: list[InputPart] = []
    for attachment in item.attachments:
        loaded = await read_attachment(attachment) if read_attachment else None
        if loaded is None:
            notes.append(
                f"Attached {attachment.type} “{attachment.name}” ({attachment.mime_type}), "
                "not readable here."
            )
        else:
            parts.extend(loaded)
    body = "\n\n".join([*notes, text]) if notes else text
    content: list[InputPart] = [{"type": "input_text", "text": body}, *parts]
    message: dict[str, Any] = {"role": "user", "content": content}
    return cast(TResponseInputItem, message)


def _client_tool_call(item: ClientToolCallItem) -> list[TResponseInputItem]:
    return [
        {
            "type": "function_call",
            "call_id": item.call_id,
            "name": item.name,
            "arguments": json.dumps(item.arguments),
        },
        {
            "type": "function_call_output",
            "call_id": item.call_id,
            "output": item.output if isinstance(item.output, str) else json.dumps(item.output),
        },
    ]


def _is_tool_memory(content: Any) -> bool:
    return isinstance(content, dict) and content.get("kind") == TOOL_MEMORY


def _tool_memory(content: dict[str, Any]) -> list[TResponseInputItem]:
    call_id = str(content.get("call_id", ""))
    return [
        cast(
            TResponseInputItem,
            {
                "type": "function_call",
                "call_id": call_id,
                "name": str(content.get("name", "")),
                "arguments": str(content.get("arguments") or "{}"),
            },
        ),
        cast(
            TResponseInputItem,
            {
                "type": "function_call_output",
                "call_id": call_id,
                "output": str(content.get("output", "")),
            },
        ),
    ]


def _structured_answers(item: StructuredInputItem) -> str:
    lines = []
    for question in item.inputs:
        if question.answer is None:
            continue
        answer = "(skipped)" if question.answer.skipped else ", ".join(question.answer.values)
        lines.append(f"Q: {question.question}\nA: {answer}")
    return "The user answered:\n" + "\n".join(lines) if lines else ""
