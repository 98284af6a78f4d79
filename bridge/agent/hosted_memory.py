"""Hosted tool calls remembered across turns: kept as hidden items, replayed as model input.

A hosted call (web search, file search, code interpreter, hosted MCP, image generation…) runs
at the provider inside one model response; no tool of ours sees its result, so without a
record the next turn knows only the assistant's words. When the call's output item is done,
`record` keeps it as the provider sent it (and the reasoning item that came before it in the
same response) in a `HiddenContextItem`, stored and never sent to a client. `replay` turns
the record back into model input, in one of two forms:

- `"items"` (for a Responses API model): the output item itself, which the Responses API
  takes back as an input item (`web_search_call`, `file_search_call`,
  `code_interpreter_call`, `mcp_call`), after its reasoning item: a reasoning model's call
  is refused ("provided without its required 'reasoning' item") without the reasoning it
  followed. The reasoning goes back as given: by id (which the provider resolves while it
  keeps the response, `store` on, its default) and with `encrypted_content` when the app
  asked for it (`include=["reasoning.encrypted_content"]`, needed with `store=False`);
- `"summary"` (any other model: the Chat Completions converter and OpenAI-compatible servers
  refuse those item types): a bracketed note of what was asked and what came back.

Always summarised: an image generation call (its result is the image itself, megabytes of
base64 the thread already keeps as the `generated_image` item the user sees, so the record
drops it and the model is told what it made), and computer and local shell calls (their
output is run locally, and a call sent back without it is refused).
"""

from __future__ import annotations

import json
from typing import Any, Literal, cast

from agents import TResponseInputItem
from agents.models.interface import Model
from agents.models.openai_responses import OpenAIResponsesModel
from pydantic import BaseModel

from schemas import HiddenContextItem, utcnow

from ..responder import Turn
from .hosted import HOSTED_TOOLS

HOSTED_MEMORY = "bridge.hosted_call"
"""The `kind` of a hidden item's content that records a hosted tool call."""

Replay = Literal["items", "summary"]
"""How remembered hosted calls go back to the model: as Responses items, or as notes."""

REMEMBERED = frozenset({*HOSTED_TOOLS, "image_generation_call"})
"""The output item types recorded."""

AS_ITEMS = frozenset({"web_search_call", "file_search_call", "code_interpreter_call", "mcp_call"})
"""The recorded types the Responses API takes back as they are (with their result)."""

CLIP = 600
"""The most characters of one text (a search result, code, a tool's output) in a note."""


def replay_for(model: Model | str | None) -> Replay:
    """The form a turn's model accepts: items for a Responses API model, else summaries."""
    return "items" if isinstance(model, OpenAIResponsesModel) else "summary"


def record(turn: Turn, raw: Any, reasoning: Any = None) -> HiddenContextItem | None:
    """The hidden item remembering a finished hosted call (None for any other output item)."""
    item = _plain(raw)
    kind = item.get("type")
    if kind not in REMEMBERED:
        return None
    content: dict[str, Any] = {"kind": HOSTED_MEMORY, "item": item}
    if kind == "image_generation_call":
        result = item.pop("result", None)
        content["image_chars"] = len(result) if isinstance(result, str) else 0
    if reasoning is not None:
        content["reasoning"] = _plain(reasoning)
    return HiddenContextItem(
        id=turn.new_id("mem"), thread_id=turn.thread.id, created_at=utcnow(), content=content
    )


def is_hosted_memory(content: Any) -> bool:
    """Whether a hidden item's content is a hosted call `record` kept."""
    return (
        isinstance(content, dict)
        and content.get("kind") == HOSTED_MEMORY
        and isinstance(content.get("item"), dict)
    )


def hosted_type(content: dict[str, Any]) -> str:
    """The provider's type of the remembered call (`web_search_call`…)."""
    return str(content["item"].get("type", ""))


def replay(
    content: dict[str, Any], mode: Replay, replayed: set[str] | None = None
) -> list[TResponseInputItem]:
    """The model input for a remembered hosted call; `replayed` holds the reasoning ids
    already sent in this input (a reasoning item before two calls goes in once)."""
    item = content["item"]
    if mode == "items" and item.get("type") in AS_ITEMS:
        out: list[TResponseInputItem] = []
        reasoning = content.get("reasoning")
        seen = replayed if replayed is not None else set()
        if isinstance(reasoning, dict) and reasoning.get("id") not in seen:
            seen.add(str(reasoning.get("id")))
            out.append(cast(TResponseInputItem, reasoning))
        out.append(cast(TResponseInputItem, dict(item)))
        return out
    return [cast(TResponseInputItem, {"role": "assistant", "content": f"[{summary(content)}]"})]


def summary(content: dict[str, Any]) -> str:
    """What the call asked and what came back, in a few lines of text."""
    item: dict[str, Any] = content["item"]
    kind = item.get("type", "")
    failed = item.get("status") in ("failed", "incomplete")
    match kind:
        case "web_search_call":
            text = _web_search(item.get("action") or {})
        case "file_search_call":
            text = _file_search(item)
        case "code_interpreter_call":
            text = _code(item)
        case "mcp_call":
            text = _mcp(item)
        case "image_generation_call" if failed:
            text = "Tried to generate an image"
        case "image_generation_call":
            text = _image(item, shown=bool(content.get("image_chars")))
        case _:
            done = HOSTED_TOOLS.get(kind, ("", "Used a hosted tool"))[1]
            action = item.get("action")
            text = f"{done} ({kind}): {_clip(json.dumps(action))}" if action else done
    return f"{text} (status: {item.get('status')})" if failed else text


def _web_search(action: dict[str, Any]) -> str:
    kind = action.get("type")
    if kind == "open_page":
        return f"Opened the web page {action.get('url')}"
    if kind in ("find", "find_in_page"):
        return f"Looked for “{action.get('pattern')}” in {action.get('url')}"
    queries = [q for q in [action.get("query"), *(action.get("queries") or [])] if q]
    asked = ", ".join(f"“{q}”" for q in dict.fromkeys(queries)) or "something"
    urls = [s["url"] for s in action.get("sources") or [] if isinstance(s, dict) and s.get("url")]
    found = f"; sources: {', '.join(urls)}" if urls else ""
    return f"Searched the web for {asked}{found}"


def _file_search(item: dict[str, Any]) -> str:
    asked = ", ".join(f"“{q}”" for q in item.get("queries") or []) or "something"
    lines = [f"Searched files for {asked}"]
    for result in item.get("results") or []:
        name = result.get("filename") or result.get("file_id") or "a file"
        text = result.get("text")
        lines.append(f"- {name}: {_clip(text)}" if text else f"- {name}")
    return "\n".join(lines)


def _code(item: dict[str, Any]) -> str:
    lines = [f"Ran code:\n{_clip(item.get('code') or '')}"]
    for output in item.get("outputs") or []:
        if output.get("type") == "logs":
            lines.append(f"Output: {_clip(output.get('logs') or '')}")
        elif output.get("type") == "image":
            lines.append("Output: an image")
    return "\n".join(lines)


def _mcp(item: dict[str, Any]) -> str:
    name = f"{item.get('server_label')}.{item.get('name')}"
    said = f"Called {name}({_clip(item.get('arguments') or '')})"
    if item.get("error"):
        return f"{said}: error {_clip(str(item['error']))}"
    return f"{said} → {_clip(str(item.get('output') or ''))}"


def _image(item: dict[str, Any], *, shown: bool) -> str:
    details = ", ".join(
        str(item[key]) for key in ("size", "quality", "output_format") if item.get(key)
    )
    text = "Generated an image" + (f" ({details})" if details else "")
    if shown:
        text += ", shown to the user"
    if item.get("revised_prompt"):
        text += f"; prompt: {_clip(item['revised_prompt'])}"
    return text


def _plain(raw: Any) -> dict[str, Any]:
    if isinstance(raw, BaseModel):
        out = raw.model_dump(mode="json", exclude_unset=True)
    else:
        out = dict(raw) if isinstance(raw, dict) else {}
    # Output-only metadata the input item schema does not take (as the SDK drops it too).
    out.pop("created_by", None)
    return out


def _clip(text: str) -> str:
    return text if len(text) <= CLIP else text[: CLIP - 1] + "…"
