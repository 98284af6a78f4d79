#!/usr/bin/env python3
# ruff: noqa: E402  (the environment is set up before the SDK and agents are imported)
"""Record the reference ChatKit server's answers as conformance fixtures.

The reference is the official `openai-chatkit` 1.6.5 Python SDK. It is NOT a dependency of
this project and must never become one: this script runs in a throwaway virtualenv outside
the repository.

    # once (any Python >= 3.11):
    python3 -m venv /tmp/refsdk
    /tmp/refsdk/bin/pip install openai-chatkit==1.6.5 uvicorn starlette
    #   (openai-chatkit pulls in openai-agents 0.24, openai 3.x and httpx2; this script talks
    #    HTTP with httpx2, or with httpx if that is what the venv has; multipart uploads need
    #    python-multipart, which the SDK's dependencies bring; else pip install it too)

    # record every scenario (from the repository root):
    /tmp/refsdk/bin/python tests/conformance/record.py
    # or some of them, or somewhere else:
    /tmp/refsdk/bin/python tests/conformance/record.py cancel retry --out /tmp/corpus

It starts the reference `ChatKitServer` (a subclass whose `respond()` runs an `agents.Agent`
on the scripted model from `scripted_model.py` through `Runner.run_streamed` and
`chatkit.agents.stream_agent_response`), mounted in a Starlette app exactly as the SDK's
docs show, served by uvicorn on a free loopback port. It then sends the widget's requests
(body and headers as in /work/shared/widget-facts.md) over real HTTP and writes one JSON file
per scenario to `scenarios/`, normalised with `normalise.py`. See README.md for the format.
No network access and no API key are needed (tracing is off, the model is scripted).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import os
import socket
import sys
import warnings
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENAI_AGENTS_DISABLE_TRACING", "1")
os.environ.setdefault("OPENAI_API_KEY", "sk-not-used")
warnings.filterwarnings("ignore", category=DeprecationWarning)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

try:  # the SDK's venv has httpx2 (openai 3.x uses it); plain httpx works the same
    import httpx2 as httpx  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import httpx  # type: ignore[no-redef]

import uvicorn
from agents import (
    Agent,
    ModelSettings,
    RunConfig,
    RunContextWrapper,
    Runner,
    StopAtTools,
    function_tool,
    set_tracing_disabled,
)
from chatkit.agents import AgentContext, ClientToolCall, ThreadItemConverter, stream_agent_response
from chatkit.errors import CustomStreamError
from chatkit.server import ChatKitServer, StreamingResult, stream_widget
from chatkit.store import AttachmentStore, NotFoundError, Store
from chatkit.types import (
    Action,
    Attachment,
    AttachmentCreateParams,
    AttachmentUploadDescriptor,
    AudioInput,
    FeedbackKind,
    FileAttachment,
    HiddenContextItem,
    ImageAttachment,
    Page,
    StructuredInputFreeform,
    StructuredInputItem,
    StructuredInputMultipleChoice,
    StructuredInputMultipleChoiceOption,
    SyncCustomActionResponse,
    ThreadItem,
    ThreadItemDoneEvent,
    ThreadItemReplacedEvent,
    ThreadMetadata,
    ThreadStreamEvent,
    TranscriptionResult,
    UserMessageItem,
    UserMessageTagContent,
    UserMessageTextContent,
    WidgetItem,
)
from chatkit.widgets import DynamicWidgetRoot
from normalise import Normaliser
from scripted_model import ScriptedModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

set_tracing_disabled(True)
log = logging.getLogger("record")

CHATKIT_PATH = "/chatkit"
RESEARCH_MODE = "research_mode"  # an app-defined composer tool id (not a tool's name)
RESEARCH_INSTRUCTIONS = "You research the user's question and answer with what you found."
FRAME_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"  # the widget's chatkit-frame-instance-id
STREAMING_OPS = {
    "threads.create",
    "threads.add_user_message",
    "threads.retry_after_item",
    "threads.custom_action",
    "threads.add_client_tool_output",
    "threads.add_structured_input",
}
ALL_OPS = STREAMING_OPS | {
    "threads.get_by_id",
    "threads.list",
    "threads.update",
    "threads.delete",
    "items.list",
    "items.feedback",
    "threads.sync_custom_action",
    "attachments.create",
    "attachments.delete",
    "input.transcribe",
}
RECORDED_RESPONSE_HEADERS = ("content-type", "cache-control", "x-accel-buffering")


# ------------------------------------------------------------------------------------------
# The reference app: store, attachment store, tools, agent, ChatKitServer subclass
# ------------------------------------------------------------------------------------------


class MemoryStore(Store[dict]):
    """Threads, items and attachment metadata in dicts.

    Pagination: records are ordered by insertion (creation) time; `after` is the id of the
    last record of the previous page; a page's `after` is its last id when `has_more`.
    """

    def __init__(self) -> None:
        self.threads: dict[str, ThreadMetadata] = {}
        self.items: dict[str, list[ThreadItem]] = defaultdict(list)
        self.attachments: dict[str, Attachment] = {}

    @staticmethod
    def _page(records: list[Any], after: str | None, limit: int, order: str) -> Page[Any]:
        ordered = list(reversed(records)) if order == "desc" else list(records)
        start = 0
        if after is not None:
            ids = [r.id for r in ordered]
            start = ids.index(after) + 1 if after in ids else len(ordered)
        chunk = ordered[start : start + limit]
        has_more = start + limit < len(ordered)
        return Page(
            data=chunk, has_more=has_more, after=chunk[-1].id if has_more and chunk else None
        )

    async def load_thread(self, thread_id: str, context: dict) -> ThreadMetadata:
        if thread_id not in self.threads:
            raise NotFoundError(f"Thread {thread_id} not found")
        return self.threads[thread_id].model_copy(deep=True)

    async def save_thread(self, thread: ThreadMetadata, context: dict) -> None:
        self.threads[thread.id] = ThreadMetadata(**thread.model_dump(exclude={"items"}))

    async def load_threads(
        self, limit: int, after: str | None, order: str, context: dict
    ) -> Page[ThreadMetadata]:
        return self._page(list(self.threads.values()), after, limit, order)

    async def delete_thread(self, thread_id: str, context: dict) -> None:
        self.threads.pop(thread_id, None)
        self.items.pop(thread_id, None)

    async def load_thread_items(
        self, thread_id: str, after: str | None, limit: int, order: str, context: dict
    ) -> Page[ThreadItem]:
        return self._page(self.items[thread_id], after, limit, order)

    async def add_thread_item(self, thread_id: str, item: ThreadItem, context: dict) -> None:
        self.items[thread_id].append(item.model_copy(deep=True))

    async def save_item(self, thread_id: str, item: ThreadItem, context: dict) -> None:
        items = self.items[thread_id]
        for n, existing in enumerate(items):
            if existing.id == item.id:
                items[n] = item.model_copy(deep=True)
                return
        items.append(item.model_copy(deep=True))

    async def load_item(self, thread_id: str, item_id: str, context: dict) -> ThreadItem:
        for item in self.items[thread_id]:
            if item.id == item_id:
                return item.model_copy(deep=True)
        raise NotFoundError(f"Item {item_id} not found")

    async def delete_thread_item(self, thread_id: str, item_id: str, context: dict) -> None:
        self.items[thread_id] = [i for i in self.items[thread_id] if i.id != item_id]

    async def save_attachment(self, attachment: Attachment, context: dict) -> None:
        self.attachments[attachment.id] = attachment.model_copy(deep=True)

    async def load_attachment(self, attachment_id: str, context: dict) -> Attachment:
        if attachment_id not in self.attachments:
            raise NotFoundError(f"Attachment {attachment_id} not found")
        return self.attachments[attachment_id].model_copy(deep=True)

    async def delete_attachment(self, attachment_id: str, context: dict) -> None:
        self.attachments.pop(attachment_id, None)


class MemoryAttachmentStore(AttachmentStore[dict]):
    """Two-phase uploads: `create_attachment` hands out a PUT URL on this app."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.files: dict[str, bytes] = {}

    def make(self, attachment_id: str, name: str, mime_type: str, descriptor: Any) -> Attachment:
        if mime_type.startswith("image/"):
            return ImageAttachment(
                id=attachment_id,
                name=name,
                mime_type=mime_type,
                upload_descriptor=descriptor,
                preview_url=f"{self.base_url}/files/{attachment_id}",
            )
        return FileAttachment(
            id=attachment_id, name=name, mime_type=mime_type, upload_descriptor=descriptor
        )

    async def create_attachment(self, input: AttachmentCreateParams, context: dict) -> Attachment:
        attachment_id = self.generate_attachment_id(input.mime_type, context)
        descriptor = AttachmentUploadDescriptor(
            url=f"{self.base_url}/upload/{attachment_id}", method="PUT", headers={}
        )
        return self.make(attachment_id, input.name, input.mime_type, descriptor)

    async def delete_attachment(self, attachment_id: str, context: dict) -> None:
        self.files.pop(attachment_id, None)


@dataclass
class AppState:
    """Everything one scenario's server uses; replaced for each scenario."""

    base_url: str = ""
    model: ScriptedModel = field(default_factory=ScriptedModel)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    feedback: list[tuple[str, list[str], str]] = field(default_factory=list)
    server: ReferenceServer | None = None


STATE = AppState()


@function_tool
def add_task(title: str) -> str:
    """Add a task to the user's todo list."""
    task_id = f"t{len(STATE.tasks) + 1}"
    STATE.tasks[task_id] = {"title": title, "done": False}
    return f"Added task {task_id}: {title}"


@function_tool
def list_tasks() -> str:
    """List the user's tasks."""
    if not STATE.tasks:
        return "No tasks."
    return "\n".join(
        f"{tid} [{'x' if t['done'] else ' '}] {t['title']}" for tid, t in STATE.tasks.items()
    )


@function_tool
def complete_task(task_id: str) -> str:
    """Mark a task as done."""
    if task_id not in STATE.tasks:
        return f"No task {task_id}."
    STATE.tasks[task_id]["done"] = True
    return f"Completed task {task_id}: {STATE.tasks[task_id]['title']}"


@function_tool
async def ask_confirmation(ctx: RunContextWrapper[AgentContext], question: str) -> None:
    """Ask the user to confirm, in the browser (a client tool)."""
    ctx.context.client_tool_call = ClientToolCall(
        name="ask_confirmation", arguments={"question": question}
    )


class Converter(ThreadItemConverter):
    async def attachment_to_message_content(self, attachment: Attachment) -> Any:
        return {
            "type": "input_text",
            "text": f"[attachment {attachment.name} ({attachment.mime_type})]",
        }

    async def tag_to_message_content(self, tag: UserMessageTagContent) -> Any:
        return {"type": "input_text", "text": f"@{tag.text}: {json.dumps(tag.data)}"}


def tasks_widget(done_ids: set[str] | None = None) -> DynamicWidgetRoot:
    rows = []
    for tid, task in STATE.tasks.items():
        done = task["done"] or tid in (done_ids or set())
        rows.append(
            {
                "type": "Row",
                "children": [
                    {"type": "Text", "value": f"{'✓ ' if done else ''}{task['title']}"},
                    {
                        "type": "Button",
                        "label": "Done",
                        "onClickAction": {"type": "tasks.complete", "payload": {"task_id": tid}},
                    },
                ],
            }
        )
    return DynamicWidgetRoot.model_validate(
        {"type": "Card", "children": [{"type": "Text", "value": "Your tasks"}, *rows]}
    )


class ReferenceServer(ChatKitServer[dict]):
    def __init__(self, store: MemoryStore, attachment_store: MemoryAttachmentStore) -> None:
        super().__init__(store, attachment_store)
        self.agent = Agent[AgentContext](
            name="Todo assistant",
            instructions="You manage the user's todo list.",
            model=STATE.model,
            tools=[add_task, list_tasks, complete_task, ask_confirmation],
            tool_use_behavior=StopAtTools(stop_at_tool_names=["ask_confirmation"]),
        )
        self.converter = Converter()

    async def respond(
        self, thread: ThreadMetadata, input_user_message: UserMessageItem | None, context: dict
    ) -> AsyncIterator[ThreadStreamEvent]:
        text = ""
        if input_user_message is not None:
            text = "".join(
                p.text for p in input_user_message.content if isinstance(p, UserMessageTextContent)
            )
        if text.startswith("/quota"):
            # an app-level failure with a user-facing message
            raise CustomStreamError("You have used all your messages for today.", allow_retry=False)
        if text.startswith("/ask"):
            # the structured-input producer: ask, do not run the model
            yield ThreadItemDoneEvent(
                item=StructuredInputItem(
                    id=self.store.generate_item_id("message", thread, context),
                    thread_id=thread.id,
                    created_at=datetime.now(),
                    inputs=[
                        StructuredInputMultipleChoice(
                            id="priority",
                            question="Which priority?",
                            options=[
                                StructuredInputMultipleChoiceOption(value="high"),
                                StructuredInputMultipleChoiceOption(value="low"),
                            ],
                        ),
                        StructuredInputFreeform(id="note", question="Any note?"),
                    ],
                )
            )
            return

        agent_context = AgentContext(thread=thread, store=self.store, request_context=context)
        page = await self.store.load_thread_items(thread.id, None, 100, "desc", context)
        agent_input = await self.converter.to_agent_input(list(reversed(page.data)))
        result = Runner.run_streamed(
            self._agent_for(input_user_message),
            agent_input,
            context=agent_context,
            run_config=RunConfig(tracing_disabled=True),
        )
        async for event in stream_agent_response(agent_context, result):
            yield event
        if thread.title is None and text:
            thread.title = text[:40]  # -> the SDK sends thread.updated at the end

    def _agent_for(self, message: UserMessageItem | None) -> Agent[AgentContext]:
        """The composer's tool menu, routed as the SDK's guides do: the app's own id picks
        another agent; an id naming one of the agent's tools forces that tool."""
        choice = message.inference_options.tool_choice if message is not None else None
        if choice is None:
            return self.agent
        if choice.id == RESEARCH_MODE:
            return self.agent.clone(
                name="Researcher", instructions=RESEARCH_INSTRUCTIONS, tools=[ask_confirmation]
            )
        if choice.id in {tool.name for tool in self.agent.tools}:
            return self.agent.clone(model_settings=ModelSettings(tool_choice=choice.id))
        return self.agent

    async def action(
        self,
        thread: ThreadMetadata,
        action: Action[str, Any],
        sender: WidgetItem | None,
        context: dict,
    ) -> AsyncIterator[ThreadStreamEvent]:
        if action.type == "tasks.show":
            async for event in stream_widget(
                thread,
                tasks_widget(),
                copy_text="Your tasks",
                generate_id=lambda t: self.store.generate_item_id(t, thread, context),
            ):
                yield event
            return
        if action.type == "tasks.complete":
            task_id = (action.payload or {}).get("task_id", "")
            if task_id in STATE.tasks:
                STATE.tasks[task_id]["done"] = True
            if sender is not None:
                yield ThreadItemReplacedEvent(
                    item=sender.model_copy(update={"widget": tasks_widget()})
                )
            yield ThreadItemDoneEvent(
                item=HiddenContextItem(
                    id=self.store.generate_item_id("message", thread, context),
                    thread_id=thread.id,
                    created_at=datetime.now(),
                    content=f"The user completed task {task_id} from the widget.",
                )
            )
            async for event in self.respond(thread, None, context):
                yield event
            return
        raise ValueError(f"unknown action {action.type}")

    async def sync_action(
        self,
        thread: ThreadMetadata,
        action: Action[str, Any],
        sender: WidgetItem | None,
        context: dict,
    ) -> SyncCustomActionResponse:
        task_id = (action.payload or {}).get("task_id", "")
        if task_id in STATE.tasks:
            STATE.tasks[task_id]["done"] = not STATE.tasks[task_id]["done"]
        if sender is None:
            return SyncCustomActionResponse()
        updated = sender.model_copy(update={"widget": tasks_widget()})
        await self.store.save_item(thread.id, updated, context)
        return SyncCustomActionResponse(updated_item=updated)

    async def add_feedback(
        self, thread_id: str, item_ids: list[str], feedback: FeedbackKind, context: dict
    ) -> None:
        STATE.feedback.append((thread_id, item_ids, feedback))

    async def transcribe(self, audio_input: AudioInput, context: dict) -> TranscriptionResult:
        return TranscriptionResult(text="buy milk tomorrow")


# -- the Starlette app, as in the SDK's docs ------------------------------------------------


async def chatkit_endpoint(request: Request) -> Response:
    assert STATE.server is not None
    result = await STATE.server.process(await request.body(), {})
    if isinstance(result, StreamingResult):
        return StreamingResponse(result, media_type="text/event-stream")
    return Response(content=result.json, media_type="application/json")


async def upload_endpoint(request: Request) -> Response:
    """Second phase of a two-phase upload (the URL `create_attachment` handed out)."""
    assert STATE.server is not None
    attachment_id = request.path_params["attachment_id"]
    att_store = STATE.server.attachment_store
    assert isinstance(att_store, MemoryAttachmentStore)
    att_store.files[attachment_id] = await request.body()
    attachment = await STATE.server.store.load_attachment(attachment_id, {})
    await STATE.server.store.save_attachment(
        attachment.model_copy(update={"upload_descriptor": None}), {}
    )
    return Response(status_code=200)


async def direct_upload_endpoint(request: Request) -> Response:
    """Direct upload: not part of the SDK; an integration endpoint written per the SDK docs."""
    assert STATE.server is not None
    att_store = STATE.server.attachment_store
    assert isinstance(att_store, MemoryAttachmentStore)
    form = await request.form()
    upload = form["file"]
    data = await upload.read()  # type: ignore[union-attr]
    mime = upload.content_type or "application/octet-stream"  # type: ignore[union-attr]
    attachment = att_store.make(
        att_store.generate_attachment_id(mime, {}), upload.filename or "file", mime, None
    )  # type: ignore[union-attr]
    att_store.files[attachment.id] = data
    await STATE.server.store.save_attachment(attachment, {})
    return Response(
        attachment.model_dump_json(exclude_none=True, context={"exclude_metadata": True}),
        media_type="application/json",
    )


async def file_endpoint(request: Request) -> Response:
    assert STATE.server is not None
    att_store = STATE.server.attachment_store
    assert isinstance(att_store, MemoryAttachmentStore)
    data = att_store.files.get(request.path_params["attachment_id"])
    if data is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    return Response(data)


app = Starlette(
    routes=[
        Route(CHATKIT_PATH, chatkit_endpoint, methods=["POST"]),
        Route("/upload/{attachment_id}", upload_endpoint, methods=["PUT", "POST"]),
        Route("/files", direct_upload_endpoint, methods=["POST"]),
        Route("/files/{attachment_id}", file_endpoint, methods=["GET"]),
    ]
)


# ------------------------------------------------------------------------------------------
# The client side: widget-shaped requests, recording, normalising
# ------------------------------------------------------------------------------------------


def widget_headers(op: str) -> dict[str, str]:
    headers = {
        "content-type": "application/json",
        "chatkit-frame-instance-id": FRAME_ID,
        "accept-language": "en-US",
    }
    if op in STREAMING_OPS:
        headers["accept"] = "text/event-stream"
    return headers


def user_input(text: str, attachments: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """`params.input` as the widget sends it."""
    body: dict[str, Any] = {
        "content": [{"type": "input_text", "text": text}],
        "attachments": attachments or [],
        "inference_options": {},
    }
    body.update(extra)
    return body


class Recorder:
    """Sends requests to the running reference and keeps the raw + normalised exchanges."""

    def __init__(self, client: httpx.AsyncClient, base_url: str) -> None:
        self.client = client
        self.base_url = base_url
        self.norm = Normaliser([base_url])
        self.exchanges: list[dict[str, Any]] = []
        self.threads: list[str] = []  # real thread ids, in order of thread.created
        self.model_inputs: list[dict[str, Any]] = []

    def _note_model_calls(self, before: int) -> None:
        for call in STATE.model.calls[before:]:
            self.model_inputs.append({"exchange": len(self.exchanges) - 1, **call})

    async def stream(
        self,
        op: str,
        params: dict[str, Any],
        *,
        cancel_after: int | None = None,
        note: str | None = None,
    ) -> list[dict[str, Any]]:
        body = {"type": op, "params": params}
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        headers = widget_headers(op)
        exchange: dict[str, Any] = {"op": op}
        if note:
            exchange["note"] = note
        exchange["request"] = {
            "method": "POST",
            "path": CHATKIT_PATH,
            "headers": headers,
            "body": self.norm.normalise(body),
        }
        calls_before = len(STATE.model.calls)
        events: list[dict[str, Any]] = []
        response: dict[str, Any] = {}
        async with self.client.stream("POST", CHATKIT_PATH, content=raw, headers=headers) as resp:
            response["status"] = resp.status_code
            response["headers"] = {
                k: resp.headers[k] for k in RECORDED_RESPONSE_HEADERS if k in resp.headers
            }
            if not resp.headers.get("content-type", "").startswith("text/event-stream"):
                await resp.aread()
                try:
                    response["body"] = self.norm.normalise(json.loads(resp.text))
                except ValueError:
                    response["text"] = resp.text
            else:
                try:
                    buffer = ""
                    async for chunk in resp.aiter_text():
                        buffer += chunk
                        while "\n\n" in buffer:
                            frame, buffer = buffer.split("\n\n", 1)
                            for line in frame.split("\n"):
                                if line.startswith("data: "):
                                    events.append(json.loads(line[len("data: ") :]))
                                elif line:
                                    response.setdefault("other_lines", []).append(line)
                        if cancel_after is not None and len(events) >= cancel_after:
                            break
                    if buffer.strip():
                        response["trailing"] = buffer
                except httpx.HTTPError as exc:
                    response["transport_error"] = type(exc).__name__
        if cancel_after is not None:
            exchange["cancel_after_events"] = cancel_after
            events = events[:cancel_after]
            await asyncio.sleep(1.0)  # let the server notice the disconnect and clean up
        for event in events:
            if event.get("type") == "thread.created":
                self.threads.append(event["thread"]["id"])
        if "body" not in response and "text" not in response:
            response["events"] = self.norm.normalise(events)
        exchange["response"] = response
        self.exchanges.append(exchange)
        self._note_model_calls(calls_before)
        return events

    async def call(self, op: str, params: dict[str, Any], *, note: str | None = None) -> Any:
        body = {"type": op, "params": params}
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        headers = widget_headers(op)
        exchange: dict[str, Any] = {"op": op}
        if note:
            exchange["note"] = note
        exchange["request"] = {
            "method": "POST",
            "path": CHATKIT_PATH,
            "headers": headers,
            "body": self.norm.normalise(body),
        }
        resp = await self.client.post(CHATKIT_PATH, content=raw, headers=headers)
        exchange["response"] = self._plain_response(resp)
        self.exchanges.append(exchange)
        return exchange["response"].get("raw_body")

    def _plain_response(self, resp: Any) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": resp.status_code,
            "headers": {k: resp.headers[k] for k in RECORDED_RESPONSE_HEADERS if k in resp.headers},
        }
        if resp.headers.get("content-type", "").startswith("application/json"):
            parsed = resp.json()
            out["body"] = self.norm.normalise(parsed)
            out["raw_body"] = parsed  # dropped before writing
        else:
            out["text"] = resp.text
        return out

    async def upload_two_phase(
        self, descriptor: dict[str, Any], name: str, mime: str, data: bytes
    ) -> None:
        """What the widget does with an upload_descriptor: PUT raw, else multipart `file`."""
        exchange: dict[str, Any] = {
            "op": "upload",
            "note": "second phase of a two-phase upload, sent to upload_descriptor.url "
            "(PUT: raw body; any other method: multipart field 'file')",
            "request": {
                "method": "{{ref:upload_method}}",
                "url": "{{ref:upload_url}}",
                "headers": "{{ref:upload_headers}}",
                "file": {"name": name, "mime_type": mime, **_file_body(data)},
            },
        }
        url, method = descriptor["url"], descriptor["method"]
        if method == "PUT":
            resp = await self.client.request(
                "PUT",
                url,
                content=data,
                headers={"content-type": mime, **descriptor.get("headers", {})},
            )
        else:
            resp = await self.client.request(
                method,
                url,
                files={"file": (name, data, mime)},
                headers=descriptor.get("headers", {}),
            )
        exchange["response"] = {"status": resp.status_code}
        self.exchanges.append(exchange)

    async def upload_direct(self, name: str, mime: str, data: bytes) -> dict[str, Any]:
        exchange: dict[str, Any] = {
            "op": "upload.direct",
            "note": "direct upload strategy: multipart POST of field 'file' to the widget's "
            "uploadUrl. NOT part of the SDK: this endpoint is the recorder app's own, written "
            "as the SDK docs suggest (it answers the attachment JSON).",
            "request": {
                "method": "POST",
                "path": "/files",
                "file": {"name": name, "mime_type": mime, **_file_body(data)},
            },
        }
        resp = await self.client.post("/files", files={"file": (name, data, mime)})
        exchange["response"] = self._plain_response(resp)
        self.exchanges.append(exchange)
        return exchange["response"]["raw_body"]

    def finished(self) -> list[dict[str, Any]]:
        for exchange in self.exchanges:
            exchange.get("response", {}).pop("raw_body", None)
        return self.exchanges


def of_type(
    events: list[dict[str, Any]], item_type: str, event_type: str = "thread.item.done"
) -> list[str]:
    """Ids of the items of `item_type` in events of `event_type`, in order."""
    return [
        e["item"]["id"]
        for e in events
        if e.get("type") == event_type and e.get("item", {}).get("type") == item_type
    ]


# ------------------------------------------------------------------------------------------
# Scenarios
# ------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    description: str
    script: list[dict[str, Any]]
    run: Callable[[Recorder], Awaitable[None]]
    reference_only: bool = False


SCENARIOS: list[Scenario] = []


def scenario(
    name: str, description: str, script: list[dict[str, Any]], reference_only: bool = False
):
    def register(
        fn: Callable[[Recorder], Awaitable[None]],
    ) -> Callable[[Recorder], Awaitable[None]]:
        SCENARIOS.append(Scenario(name, description, script, fn, reference_only))
        return fn

    return register


@scenario(
    "new_thread",
    "threads.create with a plain text answer, then threads.get_by_id of the new thread.",
    [{"text": ["Hel", "lo", " there!"]}],
)
async def s_new_thread(rec: Recorder) -> None:
    await rec.stream("threads.create", {"input": user_input("Hi")})
    await rec.call("threads.get_by_id", {"thread_id": rec.threads[0]})


@scenario(
    "follow_up",
    "A second message in an existing thread (threads.add_user_message) carrying quoted_text, "
    "inference options (model, tool_choice) and an input_tag part; then threads.get_by_id.",
    [{"text": ["First", " answer."]}, {"text": ["Second", " answer."]}],
)
async def s_follow_up(rec: Recorder) -> None:
    await rec.stream("threads.create", {"input": user_input("First question")})
    await rec.stream(
        "threads.add_user_message",
        {
            "thread_id": rec.threads[0],
            "input": {
                "content": [
                    {"type": "input_text", "text": "And about "},
                    {
                        "type": "input_tag",
                        "id": "tag-1",
                        "text": "groceries",
                        "data": {"list": "groceries"},
                        "interactive": False,
                    },
                    {"type": "input_text", "text": "?"},
                ],
                "attachments": [],
                "quoted_text": "First answer.",
                "inference_options": {"model": "gpt-test", "tool_choice": {"id": "add_task"}},
            },
        },
    )
    await rec.call("threads.get_by_id", {"thread_id": rec.threads[0]})


@scenario(
    "tool_call",
    "Server-side tool turns: the model calls add_task, then answers; a follow-up calls "
    "list_tasks then complete_task. Server tools produce no ChatKit events of their own.",
    [
        {"tool_call": {"name": "add_task", "arguments": {"title": "Buy milk"}}},
        {"text": ["Added ", '"Buy milk".']},
        {"tool_call": {"name": "list_tasks", "arguments": {}}},
        {"tool_call": {"name": "complete_task", "arguments": {"task_id": "t1"}}},
        {"text": ["Done: ", "Buy milk."]},
    ],
)
async def s_tool_call(rec: Recorder) -> None:
    await rec.stream("threads.create", {"input": user_input("Add buy milk")})
    await rec.stream(
        "threads.add_user_message",
        {"thread_id": rec.threads[0], "input": user_input("Finish my first task")},
    )
    await rec.call("threads.get_by_id", {"thread_id": rec.threads[0]})


@scenario(
    "client_tool",
    "Client tool round trip: the model calls the client tool ask_confirmation, the stream "
    "ends with a pending client_tool_call item; the widget posts "
    "threads.add_client_tool_output and the model answers; threads.get_by_id shows the "
    "completed tool call.",
    [
        {"tool_call": {"name": "ask_confirmation", "arguments": {"question": "Delete all tasks?"}}},
        {"text": ["OK, ", "confirmed."]},
    ],
)
async def s_client_tool(rec: Recorder) -> None:
    await rec.stream("threads.create", {"input": user_input("Delete all my tasks")})
    await rec.stream(
        "threads.add_client_tool_output",
        {"thread_id": rec.threads[0], "result": {"confirmed": True}},
    )
    await rec.call("threads.get_by_id", {"thread_id": rec.threads[0]})


@scenario(
    "retry",
    "threads.retry_after_item on the FIRST user message of a two-turn thread: everything "
    "after it is removed, the answer is generated again without a user echo.",
    [
        {"text": ["Answer ", "one."]},
        {"text": ["Answer ", "two."]},
        {"text": ["Answer ", "one, again."]},
    ],
)
async def s_retry(rec: Recorder) -> None:
    events = await rec.stream("threads.create", {"input": user_input("Tell me a joke")})
    first_user = of_type(events, "user_message")[0]
    await rec.stream(
        "threads.add_user_message", {"thread_id": rec.threads[0], "input": user_input("Another")}
    )
    await rec.stream(
        "threads.retry_after_item", {"thread_id": rec.threads[0], "item_id": first_user}
    )
    await rec.call("threads.get_by_id", {"thread_id": rec.threads[0]})


@scenario(
    "custom_action",
    "threads.custom_action without item_id (the handler streams a widget item), then with "
    "item_id = that widget (the handler replaces the widget, adds a hidden context item, and "
    "runs the model); threads.get_by_id at the end.",
    [
        {"tool_call": {"name": "add_task", "arguments": {"title": "Buy milk"}}},
        {"text": ["Added."]},
        {"text": ["Nice, ", "task done."]},
    ],
)
async def s_custom_action(rec: Recorder) -> None:
    await rec.stream("threads.create", {"input": user_input("Add buy milk")})
    events = await rec.stream(
        "threads.custom_action",
        {"thread_id": rec.threads[0], "action": {"type": "tasks.show", "payload": None}},
    )
    widget = of_type(events, "widget")[0]
    await rec.stream(
        "threads.custom_action",
        {
            "thread_id": rec.threads[0],
            "item_id": widget,
            "action": {"type": "tasks.complete", "payload": {"task_id": "t1"}},
        },
    )
    await rec.call("threads.get_by_id", {"thread_id": rec.threads[0]})


@scenario(
    "sync_action",
    "threads.sync_custom_action (JSON): with item_id = a widget item the handler answers "
    "{updated_item}; without item_id it answers an empty object.",
    [{"tool_call": {"name": "add_task", "arguments": {"title": "Buy milk"}}}, {"text": ["Added."]}],
)
async def s_sync_action(rec: Recorder) -> None:
    await rec.stream("threads.create", {"input": user_input("Add buy milk")})
    events = await rec.stream(
        "threads.custom_action",
        {"thread_id": rec.threads[0], "action": {"type": "tasks.show", "payload": None}},
    )
    widget = of_type(events, "widget")[0]
    await rec.call(
        "threads.sync_custom_action",
        {
            "thread_id": rec.threads[0],
            "item_id": widget,
            "action": {"type": "tasks.toggle", "payload": {"task_id": "t1"}},
        },
    )
    await rec.call(
        "threads.sync_custom_action",
        {
            "thread_id": rec.threads[0],
            "action": {"type": "tasks.toggle", "payload": {"task_id": "t1"}},
        },
    )


@scenario(
    "structured_input",
    "A message the app answers with a pending structured_input item (no model run); the "
    "widget submits threads.add_structured_input; the SDK replaces the item with the answers "
    "and runs the model; then threads.get_by_id.",
    [{"text": ["High priority, ", "noted."]}],
)
async def s_structured_input(rec: Recorder) -> None:
    events = await rec.stream("threads.create", {"input": user_input("/ask about priority")})
    item = of_type(events, "structured_input")[0]
    await rec.stream(
        "threads.add_structured_input",
        {
            "thread_id": rec.threads[0],
            "item_id": item,
            "input": {
                "status": "answered",
                "answers": {"priority": {"values": ["high"]}, "note": {"values": ["before noon"]}},
            },
        },
    )
    await rec.call("threads.get_by_id", {"thread_id": rec.threads[0]})


@scenario(
    "attachments_two_phase",
    "attachments.create (image and text file) answers attachments with an upload_descriptor; "
    "the files are uploaded to that URL; a threads.create message carries both; a third "
    "attachment is created and removed with attachments.delete.",
    [{"text": ["Got ", "your files."]}],
)
async def s_attachments_two_phase(rec: Recorder) -> None:
    image = await rec.call(
        "attachments.create", {"name": "cat.png", "size": 8, "mime_type": "image/png"}
    )
    rec.exchanges[-1]["bind"] = {
        "upload_url": "upload_descriptor.url",
        "upload_method": "upload_descriptor.method",
        "upload_headers": "upload_descriptor.headers",
    }
    await rec.upload_two_phase(
        image["upload_descriptor"], "cat.png", "image/png", b"\x89PNG\r\n\x1a\n"
    )
    notes = await rec.call(
        "attachments.create", {"name": "notes.txt", "size": 11, "mime_type": "text/plain"}
    )
    rec.exchanges[-1]["bind"] = dict(rec.exchanges[-3]["bind"])
    await rec.upload_two_phase(
        notes["upload_descriptor"], "notes.txt", "text/plain", b"hello notes"
    )
    await rec.stream(
        "threads.create",
        {"input": user_input("Look at these", attachments=[image["id"], notes["id"]])},
    )
    await rec.call("threads.get_by_id", {"thread_id": rec.threads[0]})
    extra = await rec.call(
        "attachments.create", {"name": "oops.txt", "size": 3, "mime_type": "text/plain"}
    )
    await rec.call("attachments.delete", {"attachment_id": extra["id"]})


@scenario(
    "attachments_direct",
    "Direct upload strategy: the widget POSTs the file (multipart field 'file') to uploadUrl "
    "and gets the attachment JSON back. The SDK has no handler for this: the endpoint is the "
    "recorder app's own (see the exchange note); the message that uses it is the SDK's.",
    [{"text": ["Got ", "it."]}],
)
async def s_attachments_direct(rec: Recorder) -> None:
    att = await rec.upload_direct("list.txt", "text/plain", b"milk, eggs")
    await rec.stream("threads.create", {"input": user_input("My list", attachments=[att["id"]])})
    await rec.call("attachments.delete", {"attachment_id": att["id"]})


@scenario(
    "pagination",
    "Three threads, one with 6 items; items.list and threads.list with limit 2 in both orders, "
    "following `after` to the end; plus the widget's own threads.list {limit: 9999, order: desc}.",
    [
        {"text": ["One."]},
        {"text": ["Two."]},
        {"text": ["Three."]},
        {"text": ["Four."]},
        {"text": ["Five."]},
    ],
)
async def s_pagination(rec: Recorder) -> None:
    await rec.stream("threads.create", {"input": user_input("Thread one")})
    await rec.stream(
        "threads.add_user_message", {"thread_id": rec.threads[0], "input": user_input("More")}
    )
    await rec.stream(
        "threads.add_user_message", {"thread_id": rec.threads[0], "input": user_input("Even more")}
    )
    await rec.stream("threads.create", {"input": user_input("Thread two")})
    await rec.stream("threads.create", {"input": user_input("Thread three")})
    tid = rec.threads[0]
    for order in ("asc", "desc"):
        after: str | None = None
        while True:
            params: dict[str, Any] = {"thread_id": tid, "limit": 2, "order": order}
            if after is not None:
                params["after"] = after
            page = await rec.call("items.list", params)
            if not page["has_more"]:
                break
            after = page["after"]
    await rec.call("items.list", {"thread_id": tid, "limit": 9999, "order": "asc"})
    for order in ("desc", "asc"):
        after = None
        while True:
            params = {"limit": 2, "order": order}
            if after is not None:
                params["after"] = after
            page = await rec.call("threads.list", params)
            if not page["has_more"]:
                break
            after = page["after"]
    await rec.call("threads.list", {"limit": 9999, "order": "desc"})


@scenario(
    "long_thread",
    "A thread of 24 items: threads.get_by_id answers only the first page (20 items, oldest "
    "first, has_more true, after = last id), the widget fetches the rest with items.list "
    "{limit: 9999, order: asc, after}.",
    [{"text": [f"Answer {n}."]} for n in range(1, 13)],
)
async def s_long_thread(rec: Recorder) -> None:
    await rec.stream("threads.create", {"input": user_input("Message 1")})
    for n in range(2, 13):
        await rec.stream(
            "threads.add_user_message",
            {"thread_id": rec.threads[0], "input": user_input(f"Message {n}")},
        )
    thread = await rec.call("threads.get_by_id", {"thread_id": rec.threads[0]})
    await rec.call(
        "items.list",
        {
            "thread_id": rec.threads[0],
            "limit": 9999,
            "order": "asc",
            "after": thread["items"]["after"],
        },
    )


@scenario(
    "rename_delete",
    "threads.update renames a thread (answers the thread); threads.delete removes another "
    "(answers {}); threads.list before and after.",
    [{"text": ["A."]}, {"text": ["B."]}],
)
async def s_rename_delete(rec: Recorder) -> None:
    await rec.stream("threads.create", {"input": user_input("Keep me")})
    await rec.stream("threads.create", {"input": user_input("Delete me")})
    await rec.call("threads.update", {"thread_id": rec.threads[0], "title": "Renamed thread"})
    await rec.call("threads.list", {"limit": 9999, "order": "desc"})
    await rec.call("threads.delete", {"thread_id": rec.threads[1]})
    await rec.call("threads.list", {"limit": 9999, "order": "desc"})


@scenario(
    "feedback",
    "items.feedback positive then negative on the assistant message (answers {}).",
    [{"text": ["Rate ", "me."]}],
)
async def s_feedback(rec: Recorder) -> None:
    events = await rec.stream("threads.create", {"input": user_input("Hello")})
    answer = of_type(events, "assistant_message")[0]
    await rec.call(
        "items.feedback", {"thread_id": rec.threads[0], "item_ids": [answer], "kind": "positive"}
    )
    await rec.call(
        "items.feedback", {"thread_id": rec.threads[0], "item_ids": [answer], "kind": "negative"}
    )


@scenario(
    "error_mid_stream",
    "The model fails after two text deltas (error event, partial answer not kept), then fails "
    "before any output, then the app raises CustomStreamError (error with a message, "
    "allow_retry false, no model call), then a turn succeeds; threads.get_by_id after failures.",
    [
        {"error_after": 2, "text": ["Partial ", "answer ", "never finished."], "delay": 0.05},
        {"error": "boom"},
        {"text": ["Recovered."]},
    ],
)
async def s_error_mid_stream(rec: Recorder) -> None:
    await rec.stream("threads.create", {"input": user_input("Fail please")})
    await rec.call("threads.get_by_id", {"thread_id": rec.threads[0]})
    await rec.stream(
        "threads.add_user_message", {"thread_id": rec.threads[0], "input": user_input("Again")}
    )
    await rec.call("threads.get_by_id", {"thread_id": rec.threads[0]})
    await rec.stream(
        "threads.add_user_message", {"thread_id": rec.threads[0], "input": user_input("/quota")}
    )
    await rec.stream(
        "threads.add_user_message", {"thread_id": rec.threads[0], "input": user_input("Once more")}
    )
    await rec.call("threads.get_by_id", {"thread_id": rec.threads[0]})


@scenario(
    "model_failures",
    "The model provider fails in each way the OpenAI client reports (401, 403, 404, 400, 409, "
    "429, 500, connection refused, timeout), then the run takes too many turns (ten tool "
    "calls: MaxTurnsExceeded), then the model calls a tool that does not exist "
    "(ModelBehaviorError); each turn ends with an error event and stores no answer; a turn "
    "then succeeds; threads.get_by_id at the end.",
    [
        {"text": ["Hello."]},
        *[
            {"provider_error": kind}
            for kind in (
                "auth",
                "permission",
                "not_found",
                "bad_request",
                "conflict",
                "rate_limit",
                "server_error",
                "connection",
                "timeout",
            )
        ],
        *[{"tool_call": {"name": "list_tasks", "arguments": {}}} for _ in range(10)],
        {"tool_call": {"name": "no_such_tool", "arguments": {}}},
        {"text": ["Back again."]},
    ],
)
async def s_model_failures(rec: Recorder) -> None:
    await rec.stream("threads.create", {"input": user_input("Hi")})
    thread = rec.threads[0]
    for n in range(9 + 1 + 1):
        await rec.stream(
            "threads.add_user_message", {"thread_id": thread, "input": user_input(f"Try {n}")}
        )
    await rec.stream("threads.add_user_message", {"thread_id": thread, "input": user_input("Ok?")})
    await rec.call("threads.get_by_id", {"thread_id": thread})


@scenario(
    "composer_tools",
    "The composer's tool menu: `inference_options.tool_choice {id}` naming one of the agent's "
    "tools forces the model to call it; an id the app defines (`research_mode`) routes the turn "
    "to another agent (other instructions); a message without a choice uses the default agent. "
    "The app decides (the SDK passes the id through); reference_model_inputs show the "
    "instructions and forced tool_choice of each model call.",
    [
        {"tool_call": {"name": "add_task", "arguments": {"title": "Call mom"}}},
        {"text": ["Added ", "it."]},
        {"text": ["Here is ", "what I found."]},
        {"text": ["Plain ", "answer."]},
    ],
)
async def s_composer_tools(rec: Recorder) -> None:
    forced = user_input(
        "Remind me to call mom", inference_options={"tool_choice": {"id": "add_task"}}
    )
    await rec.stream("threads.create", {"input": forced})
    thread = rec.threads[0]
    research = user_input(
        "What is a good gift?", inference_options={"tool_choice": {"id": RESEARCH_MODE}}
    )
    await rec.stream("threads.add_user_message", {"thread_id": thread, "input": research})
    await rec.stream(
        "threads.add_user_message", {"thread_id": thread, "input": user_input("Thanks")}
    )
    await rec.call("threads.get_by_id", {"thread_id": thread})


@scenario(
    "cancel",
    "The client closes the connection after two text deltas (the Stop button); "
    "threads.get_by_id shows what was kept; a new message follows (its model input shows the "
    "SDK's hidden 'user cancelled' context); items.list shows the items the client may see.",
    [
        {
            "text": ["This ", "is ", "a ", "long ", "answer ", "that ", "gets ", "stopped."],
            "delay": 0.15,
        },
        {"text": ["Fresh ", "answer."]},
    ],
)
async def s_cancel(rec: Recorder) -> None:
    # thread.created, user done, stream_options, item.added, content_part.added, 2 deltas
    await rec.stream("threads.create", {"input": user_input("Write a long answer")}, cancel_after=7)
    await rec.call("threads.get_by_id", {"thread_id": rec.threads[0]})
    await rec.stream(
        "threads.add_user_message", {"thread_id": rec.threads[0], "input": user_input("Short one")}
    )
    await rec.call("items.list", {"thread_id": rec.threads[0], "limit": 9999, "order": "asc"})


@scenario(
    "transcribe",
    "input.transcribe (dictation) answers {text}.",
    [],
)
async def s_transcribe(rec: Recorder) -> None:
    audio = base64.b64encode(b"\x1aE\xdf\xa3 fake webm bytes").decode()
    await rec.call(
        "input.transcribe", {"audio_base64": audio, "mime_type": "audio/webm;codecs=opus"}
    )


@scenario(
    "reference_quirks",
    "Reference-only (the bridge deliberately differs; a replay must skip this): a streaming "
    "op on an unknown thread answers 200 text/event-stream and then breaks the connection "
    "with no event; threads.add_client_tool_output without `result` (as the widget sends when "
    "the handler returned undefined) fails request validation, which the SDK raises out of "
    "process() (a 500 with the documented endpoint).",
    [{"tool_call": {"name": "ask_confirmation", "arguments": {"question": "Sure?"}}}],
    reference_only=True,
)
async def s_reference_quirks(rec: Recorder) -> None:
    await rec.stream(
        "threads.add_user_message", {"thread_id": "thr_doesnotexist", "input": user_input("Hello?")}
    )
    await rec.stream("threads.create", {"input": user_input("Delete all")})
    await rec.stream("threads.add_client_tool_output", {"thread_id": rec.threads[0]})


# ------------------------------------------------------------------------------------------
# Driver
# ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ops_of(exchanges: list[dict[str, Any]]) -> list[str]:
    return sorted({e["op"] for e in exchanges if e["op"] in ALL_OPS})


async def record_all(names: list[str], out: Path) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
    )
    serve = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    out.mkdir(parents=True, exist_ok=True)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            for sc in SCENARIOS:
                if names and sc.name not in names:
                    continue
                STATE.base_url = base_url
                STATE.tasks = {}
                STATE.feedback = []
                STATE.model.load(sc.script)
                STATE.server = ReferenceServer(MemoryStore(), MemoryAttachmentStore(base_url))
                rec = Recorder(client, base_url)
                await sc.run(rec)
                exchanges = rec.finished()
                doc = {
                    "name": sc.name,
                    "description": sc.description,
                    "reference": "openai-chatkit 1.6.5 + openai-agents 0.24 (scripted model)",
                    "reference_only": sc.reference_only,
                    "ops": ops_of(exchanges),
                    "script": sc.script,
                    "exchanges": exchanges,
                    "reference_model_inputs": rec.norm.normalise(rec.model_inputs, loose=True),
                }
                if STATE.model.remaining:
                    raise RuntimeError(f"{sc.name}: {STATE.model.remaining} scripted turns unused")
                path = out / f"{sc.name}.json"
                if path.exists():  # the bridge's declared differences are not the recorder's
                    kept = json.loads(path.read_text()).get("bridge_differences")
                    if kept:
                        doc["bridge_differences"] = kept
                path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
                print(f"recorded {sc.name}: {len(exchanges)} exchanges -> {path}")
    finally:
        server.should_exit = True
        await serve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="scenarios to record (default: all)")
    parser.add_argument("--out", type=Path, default=HERE / "scenarios")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args()
    if args.list:
        for sc in SCENARIOS:
            print(f"{sc.name:24} {sc.description}")
        return
    unknown = set(args.names) - {s.name for s in SCENARIOS}
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(record_all(args.names, args.out))


if __name__ == "__main__":
    main()


def _file_body(data: bytes) -> dict[str, str]:
    """A recorded file: its text, or base64 for binary bytes (a PNG's magic number)."""
    try:
        return {"text": data.decode()}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode()}
