"""Hosted tools (run by the model provider) and generated images, as ChatKit items.

A hosted tool call (web search, file search, code interpreter, a hosted MCP call…) is shown
as a `task` item while it runs (`loading`), finished when the provider says it is done, with
what it searched and found. Image generation becomes a `generated_image` item: partial images
arrive as `generated_image.updated`, the final one finishes the item. Images are sent as
`data:` URLs of the base64 the provider streams.
"""

from __future__ import annotations

from typing import Any

from schemas import (
    CustomTask,
    FileSource,
    FileTask,
    GeneratedImage,
    GeneratedImageItem,
    GeneratedImageUpdated,
    SearchTask,
    Task,
    TaskItem,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemUpdatedEvent,
    ThreadStreamEvent,
    URLSource,
    utcnow,
)

from ..responder import Turn

HOSTED_TOOLS: dict[str, tuple[str, str]] = {
    "web_search_call": ("Searching the web", "Searched the web"),
    "file_search_call": ("Searching files", "Searched files"),
    "code_interpreter_call": ("Running code", "Ran code"),
    "computer_call": ("Using the computer", "Used the computer"),
    "mcp_call": ("Calling a tool", "Called a tool"),
    "local_shell_call": ("Running a command", "Ran a command"),
}
"""Hosted call item type → (title while it runs, title when done)."""


class HostedCalls:
    """The hosted tool calls and images of the current model response, by output index."""

    def __init__(self, turn: Turn) -> None:
        self.turn = turn
        self._open: dict[int, TaskItem | GeneratedImageItem] = {}

    def started(self, index: int, raw: Any) -> list[ThreadStreamEvent]:
        """A hosted call or image generation began (`response.output_item.added`)."""
        kind = getattr(raw, "type", "")
        if kind == "image_generation_call":
            image = GeneratedImageItem(
                id=self.turn.new_id("img"), thread_id=self.turn.thread.id, created_at=utcnow()
            )
            self._open[index] = image
            return [ThreadItemAddedEvent(item=image)]
        if kind not in HOSTED_TOOLS:
            return []
        task = TaskItem(
            id=self.turn.new_id("task"),
            thread_id=self.turn.thread.id,
            created_at=utcnow(),
            task=_task(raw, done=False),
        )
        self._open[index] = task
        return [ThreadItemAddedEvent(item=task)]

    def partial_image(self, index: int, data: Any) -> list[ThreadStreamEvent]:
        """A partial image (`response.image_generation_call.partial_image`)."""
        item = self._open.get(index)
        if not isinstance(item, GeneratedImageItem):
            return []
        image = GeneratedImage(
            id=item.id, url=_data_url(data.partial_image_b64, getattr(data, "output_format", None))
        )
        self._open[index] = item.model_copy(update={"image": image})
        return [ThreadItemUpdatedEvent(item_id=item.id, update=GeneratedImageUpdated(image=image))]

    def finished(self, index: int, raw: Any) -> list[ThreadStreamEvent]:
        """The call is done (`response.output_item.done`)."""
        item = self._open.pop(index, None)
        if item is None:
            return []
        if isinstance(item, GeneratedImageItem):
            result = getattr(raw, "result", None)
            if result:
                url = _data_url(result, getattr(raw, "output_format", None))
                item = item.model_copy(update={"image": GeneratedImage(id=item.id, url=url)})
            return [ThreadItemDoneEvent(item=item)]
        if raw is None:
            task = item.task.model_copy(update={"status_indicator": "complete"})
        else:
            task = _task(raw, done=True)
        return [ThreadItemDoneEvent(item=item.model_copy(update={"task": task}))]

    def close(self) -> list[ThreadStreamEvent]:
        """Finish whatever is still open (the response ended without its done event)."""
        out: list[ThreadStreamEvent] = []
        for index in list(self._open):
            out.extend(self.finished(index, None))
        return out

    def __contains__(self, index: int) -> bool:
        return index in self._open


def _task(raw: Any, *, done: bool) -> Task:
    kind = getattr(raw, "type", "")
    running, finished = HOSTED_TOOLS.get(kind, ("Working", "Done"))
    status = "complete" if done else "loading"
    title = finished if done else f"{running}…"
    if kind == "web_search_call":
        action = getattr(raw, "action", None)
        queries = [q for q in [*(getattr(action, "queries", None) or [])] if q]
        query = getattr(action, "query", None)
        if query and query not in queries:
            queries.insert(0, query)
        sources = [
            URLSource(title=source.url, url=source.url)
            for source in getattr(action, "sources", None) or []
            if getattr(source, "url", None)
        ]
        return SearchTask(
            title=title,
            title_query=queries[0] if queries else None,
            queries=queries,
            sources=sources,
            status_indicator=status,
        )
    if kind == "file_search_call":
        files = [
            FileSource(title=name, filename=name)
            for result in getattr(raw, "results", None) or []
            if (name := getattr(result, "filename", None) or getattr(result, "file_id", None))
        ]
        return FileTask(title=title, sources=files, status_indicator=status)
    content = None
    if kind == "code_interpreter_call":
        content = getattr(raw, "code", None)
    elif kind == "mcp_call":
        name = getattr(raw, "name", None)
        label = getattr(raw, "server_label", None)
        content = f"{label}: {name}" if label and name else name
    return CustomTask(title=title, content=content or None, status_indicator=status)


def _data_url(b64: str, output_format: str | None) -> str:
    kind = {"jpeg": "jpeg", "jpg": "jpeg", "webp": "webp", "gif": "gif", "svg": "svg+xml"}.get(
        (output_format or "png").lower(), "png"
    )
    return f"data:image/{kind};base64,{b64}"
