"""Showing what the bridge sends: thread items as short lines, stream events as they arrive."""

from __future__ import annotations

import json
from typing import Any, TextIO


def _text(content: list[dict[str, Any]]) -> str:
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


def one_line(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_item(item: dict[str, Any]) -> str:
    """A thread item as one short line (`user: hi`, `widget ListView: …`)."""
    kind = str(item.get("type", "?"))
    match kind:
        case "user_message":
            return "user: " + one_line(_text(item.get("content", [])), 400)
        case "assistant_message":
            return "assistant: " + one_line(_text(item.get("content", [])), 400)
        case "widget":
            widget = item.get("widget", {})
            summary = item.get("copy_text") or _widget_text(widget)
            return f"widget {widget.get('type', '?')}: {one_line(summary)}"
        case "client_tool_call":
            args = one_line(item.get("arguments", {}), 80)
            return f"client tool {item.get('name')}({args}) [{item.get('status')}]"
        case "task":
            task = item.get("task", {})
            return "task: " + one_line(task.get("title") or task.get("content") or task)
        case "workflow":
            tasks = item.get("workflow", {}).get("tasks", [])
            return f"workflow: {len(tasks)} step(s)"
        case _:
            return kind


def _widget_text(node: Any) -> str:
    """The visible strings of a widget tree, in order."""
    if isinstance(node, list):
        return " ".join(filter(None, (_widget_text(child) for child in node)))
    if not isinstance(node, dict):
        return ""
    own = [str(node[key]) for key in ("title", "value", "label") if isinstance(node.get(key), str)]
    return " ".join([*own, _widget_text(node.get("children", []))]).strip()


class EventPrinter:
    """Prints stream events readably: assistant text inline as it arrives, the rest as notes."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.thread_id: str | None = None
        self.failed = False
        self._streaming: str | None = None  # the assistant item whose text is being printed

    def _line(self, text: str) -> None:
        self._end_text()
        self.out.write(text + "\n")
        self.out.flush()

    def _end_text(self) -> None:
        if self._streaming is not None:
            self.out.write("\n")
            self._streaming = None

    def handle(self, event: dict[str, Any]) -> None:
        """Show one event."""
        kind = event.get("type")
        match kind:
            case "thread.created":
                self.thread_id = event["thread"]["id"]
                self._line(f"thread {self.thread_id}")
            case "thread.updated":
                title = event.get("thread", {}).get("title")
                self._line(f"· thread title: {title}" if title else "· thread updated")
            case "thread.item.added":
                item = event.get("item", {})
                self.thread_id = self.thread_id or item.get("thread_id")
                if item.get("type") == "assistant_message":
                    self._end_text()
                    self._streaming = item.get("id")
                    self.out.write("assistant: " + _text(item.get("content", [])))
                    self.out.flush()
            case "thread.item.updated":
                self._update(event.get("item_id"), event.get("update", {}))
            case "thread.item.done":
                self._done(event.get("item", {}))
            case "thread.item.removed":
                self._line(f"· item {event.get('item_id')} removed")
            case "thread.item.replaced":
                self._line("· replaced: " + describe_item(event.get("item", {})))
            case "progress_update":
                self._line(f"… {event.get('text', '')}")
            case "client_effect":
                self._line(f"· effect {event.get('name')} {one_line(event.get('data', {}))}")
            case "notice":
                self._line(f"· notice ({event.get('level')}): {event.get('message')}")
            case "error":
                self.failed = True
                retry = " (retry allowed)" if event.get("allow_retry") else ""
                message = event.get("message") or event.get("code")
                self._line(f"error: {message}{retry}")
            case "stream_options":
                pass
            case _:
                self._line(f"· {kind}")

    def _update(self, item_id: str | None, update: dict[str, Any]) -> None:
        kind = update.get("type", "")
        if kind == "assistant_message.content_part.text_delta":
            if self._streaming != item_id:
                self._end_text()
                self._streaming = item_id
                self.out.write("assistant: ")
            self.out.write(update.get("delta", ""))
            self.out.flush()
        elif kind.startswith("workflow.task"):
            task = update.get("task", {})
            self._line("· step: " + one_line(task.get("title") or task.get("content") or ""))
        elif kind.startswith("widget."):
            self._line(f"· widget {kind.removeprefix('widget.')}")

    def _done(self, item: dict[str, Any]) -> None:
        kind = item.get("type")
        self.thread_id = self.thread_id or item.get("thread_id")
        if kind == "user_message":
            return  # the echo of what was just sent
        if kind == "assistant_message" and self._streaming == item.get("id"):
            self._end_text()
            return
        self._line(describe_item(item))

    def close(self) -> None:
        """End a line left open by streamed text."""
        self._end_text()
        self.out.flush()
