"""Requests: the `{"type", "params"}` bodies the widget POSTs, as one discriminated union.

The widget sends no `metadata` for a custom backend and leaves out keys whose value is
undefined, so every optional field has a default; other clients send `null` for the same
thing (`inference_options: null`), so `null` means the default too (`null_as`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from .base import WireBase, null_as
from .items import UserMessageInput

FeedbackKind = Literal["positive", "negative"]
Order = Literal["asc", "desc"]


class RequestBase(WireBase):
    """Fields every request has."""

    metadata: Annotated[dict[str, Any], null_as(dict)] = Field(default_factory=dict)


# ---- params ---------------------------------------------------------------------------------


class ThreadCreateParams(WireBase):
    """The first message of a new thread."""

    input: UserMessageInput


class ThreadAddUserMessageParams(WireBase):
    """A message for an existing thread."""

    thread_id: str
    input: UserMessageInput


class ThreadGetByIdParams(WireBase):
    """Which thread to read."""

    thread_id: str


class ThreadListParams(WireBase):
    """A page of the user's threads."""

    limit: int | None = None
    order: Annotated[Order, null_as(lambda: "desc")] = "desc"
    after: str | None = None


class ThreadUpdateParams(WireBase):
    """A rename."""

    thread_id: str
    title: str


class ThreadDeleteParams(WireBase):
    """Which thread to delete."""

    thread_id: str


class ThreadRetryAfterItemParams(WireBase):
    """Answer this user message again, dropping everything after it."""

    thread_id: str
    item_id: str


class Action(WireBase):
    """A widget or client action: a type and any payload."""

    type: str
    payload: Any = None


class ThreadCustomActionParams(WireBase):
    """An action, optionally sent by a widget item."""

    thread_id: str
    item_id: str | None = None
    action: Action


class ThreadAddClientToolOutputParams(WireBase):
    """The page's output for the pending client tool call (absent means null)."""

    thread_id: str
    result: Any = None


class StructuredInputAnswerSubmission(WireBase):
    """The user's answer to one question."""

    values: Annotated[list[str], null_as(list)] = Field(default_factory=list)
    skipped: Annotated[bool, null_as(bool)] = False


class StructuredInputSubmission(WireBase):
    """The user's answers, keyed by question id."""

    status: Annotated[Literal["answered", "skipped"], null_as(lambda: "answered")] = "answered"
    answers: Annotated[dict[str, StructuredInputAnswerSubmission], null_as(dict)] = Field(
        default_factory=dict
    )


class ThreadAddStructuredInputParams(WireBase):
    """Answers for a pending structured input item."""

    thread_id: str
    item_id: str
    input: StructuredInputSubmission


class ItemsListParams(WireBase):
    """A page of a thread's items."""

    thread_id: str
    limit: int | None = None
    order: Annotated[Order, null_as(lambda: "desc")] = "desc"
    after: str | None = None


class ItemFeedbackParams(WireBase):
    """Thumbs up or down on items."""

    thread_id: str
    item_ids: list[str]
    kind: FeedbackKind


class AttachmentCreateParams(WireBase):
    """A file the widget is about to upload."""

    name: str
    size: int = Field(ge=0)
    mime_type: str


class AttachmentDeleteParams(WireBase):
    """Which attachment to delete."""

    attachment_id: str


class InputTranscribeParams(WireBase):
    """Dictated audio to turn into text."""

    audio_base64: str
    mime_type: str


# ---- requests -------------------------------------------------------------------------------


class ThreadsCreateReq(RequestBase):
    """Create a thread from a first message (streams)."""

    type: Literal["threads.create"] = "threads.create"
    params: ThreadCreateParams


class ThreadsAddUserMessageReq(RequestBase):
    """Add a user message and answer it (streams)."""

    type: Literal["threads.add_user_message"] = "threads.add_user_message"
    params: ThreadAddUserMessageParams


class ThreadsRetryAfterItemReq(RequestBase):
    """Answer a user message again (streams)."""

    type: Literal["threads.retry_after_item"] = "threads.retry_after_item"
    params: ThreadRetryAfterItemParams


class ThreadsCustomActionReq(RequestBase):
    """Run an action handler (streams)."""

    type: Literal["threads.custom_action"] = "threads.custom_action"
    params: ThreadCustomActionParams


class ThreadsAddClientToolOutputReq(RequestBase):
    """Complete the pending client tool call and answer (streams)."""

    type: Literal["threads.add_client_tool_output"] = "threads.add_client_tool_output"
    params: ThreadAddClientToolOutputParams


class ThreadsAddStructuredInputReq(RequestBase):
    """Answer a structured input item and continue (streams)."""

    type: Literal["threads.add_structured_input"] = "threads.add_structured_input"
    params: ThreadAddStructuredInputParams


class ThreadsGetByIdReq(RequestBase):
    """Read a thread with its first page of items."""

    type: Literal["threads.get_by_id"] = "threads.get_by_id"
    params: ThreadGetByIdParams


class ThreadsListReq(RequestBase):
    """List the user's threads."""

    type: Literal["threads.list"] = "threads.list"
    params: Annotated[ThreadListParams, null_as(ThreadListParams)] = Field(
        default_factory=ThreadListParams
    )


class ThreadsUpdateReq(RequestBase):
    """Rename a thread."""

    type: Literal["threads.update"] = "threads.update"
    params: ThreadUpdateParams


class ThreadsDeleteReq(RequestBase):
    """Delete a thread with its items, attachments and feedback."""

    type: Literal["threads.delete"] = "threads.delete"
    params: ThreadDeleteParams


class ThreadsSyncCustomActionReq(RequestBase):
    """Run an action handler and answer with the updated item."""

    type: Literal["threads.sync_custom_action"] = "threads.sync_custom_action"
    params: ThreadCustomActionParams


class ItemsListReq(RequestBase):
    """List a thread's items."""

    type: Literal["items.list"] = "items.list"
    params: ItemsListParams


class ItemsFeedbackReq(RequestBase):
    """Store feedback on items."""

    type: Literal["items.feedback"] = "items.feedback"
    params: ItemFeedbackParams


class AttachmentsCreateReq(RequestBase):
    """Register an attachment and get its upload URL."""

    type: Literal["attachments.create"] = "attachments.create"
    params: AttachmentCreateParams


class AttachmentsDeleteReq(RequestBase):
    """Delete an attachment and its file."""

    type: Literal["attachments.delete"] = "attachments.delete"
    params: AttachmentDeleteParams


class InputTranscribeReq(RequestBase):
    """Transcribe dictated audio."""

    type: Literal["input.transcribe"] = "input.transcribe"
    params: InputTranscribeParams


StreamingReq = (
    ThreadsCreateReq
    | ThreadsAddUserMessageReq
    | ThreadsRetryAfterItemReq
    | ThreadsCustomActionReq
    | ThreadsAddClientToolOutputReq
    | ThreadsAddStructuredInputReq
)
NonStreamingReq = (
    ThreadsGetByIdReq
    | ThreadsListReq
    | ThreadsUpdateReq
    | ThreadsDeleteReq
    | ThreadsSyncCustomActionReq
    | ItemsListReq
    | ItemsFeedbackReq
    | AttachmentsCreateReq
    | AttachmentsDeleteReq
    | InputTranscribeReq
)
ChatKitReq = Annotated[StreamingReq | NonStreamingReq, Field(discriminator="type")]

chatkit_req_adapter: TypeAdapter[ChatKitReq] = TypeAdapter(ChatKitReq)
"""Built once at import: decoding a request is `chatkit_req_adapter.validate_json(body)`."""

STREAMING_TYPES: frozenset[str] = frozenset(
    {
        "threads.create",
        "threads.add_user_message",
        "threads.retry_after_item",
        "threads.custom_action",
        "threads.add_client_tool_output",
        "threads.add_structured_input",
    }
)
REQUEST_TYPES: tuple[str, ...] = tuple(
    sorted(
        STREAMING_TYPES
        | {
            "threads.get_by_id",
            "threads.list",
            "threads.update",
            "threads.delete",
            "threads.sync_custom_action",
            "items.list",
            "items.feedback",
            "attachments.create",
            "attachments.delete",
            "input.transcribe",
        }
    )
)
"""Every operation type, sorted: what an unknown-type error lists."""
