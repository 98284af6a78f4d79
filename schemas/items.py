"""Thread items: everything a thread is made of, and the user's message content."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from .attachments import Attachment
from .base import WireBase, null_as
from .sources import Annotation
from .widgets import WidgetRoot
from .workflows import Task, Workflow

# ---- user message content -------------------------------------------------------------------


class UserMessageTextContent(WireBase):
    """Plain text typed by the user."""

    type: Literal["input_text"] = "input_text"
    text: str


class UserMessageTagContent(WireBase):
    """An @-mention tag the user inserted."""

    type: Literal["input_tag"] = "input_tag"
    id: str
    text: str
    data: Annotated[dict[str, Any], null_as(dict)] = Field(default_factory=dict)
    group: str | None = None
    interactive: Annotated[bool, null_as(bool)] = False


UserMessageContent = Annotated[
    UserMessageTextContent | UserMessageTagContent, Field(discriminator="type")
]


class ToolChoice(WireBase):
    """The tool picked in the composer's tool menu."""

    id: str


class InferenceOptions(WireBase):
    """The composer's model picker and tool menu choices."""

    tool_choice: ToolChoice | None = None
    model: str | None = None


class UserMessageInput(WireBase):
    """A message as the composer submits it: attachments are ids of created attachments.

    Every optional container may be absent, `null` or empty, with the same meaning; a message
    may be only a quote (`quoted_text`) or only attachments."""

    content: Annotated[list[UserMessageContent], null_as(list)] = Field(default_factory=list)
    attachments: Annotated[list[str], null_as(list)] = Field(default_factory=list)
    quoted_text: str | None = None
    inference_options: Annotated[InferenceOptions, null_as(InferenceOptions)] = Field(
        default_factory=InferenceOptions
    )


# ---- assistant content ----------------------------------------------------------------------


class AssistantMessageContent(WireBase):
    """One part of an assistant message: text with its annotations."""

    type: Literal["output_text"] = "output_text"
    text: str
    annotations: list[Annotation] = Field(default_factory=list)


# ---- structured input -----------------------------------------------------------------------


class StructuredInputAnswer(WireBase):
    """The answer recorded for one question."""

    values: list[str] = Field(default_factory=list)
    skipped: bool = False


class StructuredInputBase(WireBase):
    """Fields every question has."""

    id: str
    question: str
    answer: StructuredInputAnswer | None = None


class StructuredInputOption(WireBase):
    """One choice of a multiple-choice question."""

    value: str


class StructuredInputMultipleChoice(StructuredInputBase):
    """A question answered by picking one (or, with `multiple`, several) options."""

    type: Literal["multiple_choice"] = "multiple_choice"
    options: list[StructuredInputOption]
    multiple: bool = False


class StructuredInputFreeform(StructuredInputBase):
    """A question answered with free text."""

    type: Literal["freeform"] = "freeform"
    description: str | None = None


StructuredInput = Annotated[
    StructuredInputMultipleChoice | StructuredInputFreeform, Field(discriminator="type")
]


# ---- items ----------------------------------------------------------------------------------


class ThreadItemBase(WireBase):
    """Fields every thread item has."""

    id: str
    thread_id: str
    created_at: datetime


class UserMessageItem(ThreadItemBase):
    """A message from the user."""

    type: Literal["user_message"] = "user_message"
    content: list[UserMessageContent]
    attachments: list[Attachment] = Field(default_factory=list)
    quoted_text: str | None = None
    inference_options: InferenceOptions = Field(default_factory=InferenceOptions)


class AssistantMessageItem(ThreadItemBase):
    """A message from the assistant."""

    type: Literal["assistant_message"] = "assistant_message"
    content: list[AssistantMessageContent] = Field(default_factory=list)


class ClientToolCallItem(ThreadItemBase):
    """A tool the page runs (`onClientTool`); pending until the page sends its output."""

    type: Literal["client_tool_call"] = "client_tool_call"
    status: Literal["pending", "completed"] = "pending"
    call_id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    output: Any = None


class WidgetItem(ThreadItemBase):
    """A widget shown in the conversation."""

    type: Literal["widget"] = "widget"
    widget: WidgetRoot
    copy_text: str | None = None


class GeneratedImage(WireBase):
    """An image made by the model."""

    id: str
    url: str


class GeneratedImageItem(ThreadItemBase):
    """An image being made, or made."""

    type: Literal["generated_image"] = "generated_image"
    image: GeneratedImage | None = None


class StructuredInputItem(ThreadItemBase):
    """Questions the assistant asks the user to answer in a form."""

    type: Literal["structured_input"] = "structured_input"
    status: Literal["pending", "answered", "skipped"] = "pending"
    inputs: list[StructuredInput]


class WorkflowItem(ThreadItemBase):
    """A workflow shown in the conversation."""

    type: Literal["workflow"] = "workflow"
    workflow: Workflow


class TaskItem(ThreadItemBase):
    """A single task shown on its own."""

    type: Literal["task"] = "task"
    task: Task


class EndOfTurnItem(ThreadItemBase):
    """Marks that the assistant ended its turn."""

    type: Literal["end_of_turn"] = "end_of_turn"


class HiddenContextItem(ThreadItemBase):
    """Context kept for the model and never sent to a client."""

    type: Literal["hidden_context_item"] = "hidden_context_item"
    content: Any = None


class SDKHiddenContextItem(ThreadItemBase):
    """Context the server itself keeps (such as "the user stopped"); never sent to a client."""

    type: Literal["sdk_hidden_context"] = "sdk_hidden_context"
    content: str


ThreadItem = Annotated[
    UserMessageItem
    | AssistantMessageItem
    | ClientToolCallItem
    | WidgetItem
    | GeneratedImageItem
    | StructuredInputItem
    | WorkflowItem
    | TaskItem
    | EndOfTurnItem
    | HiddenContextItem
    | SDKHiddenContextItem,
    Field(discriminator="type"),
]

HIDDEN_ITEM_TYPES: frozenset[str] = frozenset({"hidden_context_item", "sdk_hidden_context"})
"""Item types the server keeps private: stored, given to the model, never sent to a client."""
