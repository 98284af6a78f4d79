"""Item updates: what `thread.item.updated` carries."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import WireBase
from .items import AssistantMessageContent, GeneratedImage
from .sources import Annotation
from .widgets import WidgetComponent, WidgetRoot
from .workflows import Task


class AssistantMessageContentPartAdded(WireBase):
    """A new content part of an assistant message; deltas for it may follow."""

    type: Literal["assistant_message.content_part.added"] = "assistant_message.content_part.added"
    content_index: int
    content: AssistantMessageContent


class AssistantMessageContentPartTextDelta(WireBase):
    """More text for a content part that was added before."""

    type: Literal["assistant_message.content_part.text_delta"] = (
        "assistant_message.content_part.text_delta"
    )
    content_index: int
    delta: str


class AssistantMessageContentPartAnnotationAdded(WireBase):
    """A citation for a content part."""

    type: Literal["assistant_message.content_part.annotation_added"] = (
        "assistant_message.content_part.annotation_added"
    )
    content_index: int
    annotation_index: int
    annotation: Annotation


class AssistantMessageContentPartDone(WireBase):
    """A content part in its final form."""

    type: Literal["assistant_message.content_part.done"] = "assistant_message.content_part.done"
    content_index: int
    content: AssistantMessageContent


class WidgetStreamingTextValueDelta(WireBase):
    """More text for a streaming Text or Markdown component of a widget."""

    type: Literal["widget.streaming_text.value_delta"] = "widget.streaming_text.value_delta"
    component_id: str
    delta: str
    done: bool


class WidgetRootUpdated(WireBase):
    """A widget replaced whole."""

    type: Literal["widget.root.updated"] = "widget.root.updated"
    widget: WidgetRoot


class WidgetComponentUpdated(WireBase):
    """One component of a widget replaced."""

    type: Literal["widget.component.updated"] = "widget.component.updated"
    component_id: str
    component: WidgetComponent


class WorkflowTaskAdded(WireBase):
    """A task appended to a workflow."""

    type: Literal["workflow.task.added"] = "workflow.task.added"
    task_index: int
    task: Task


class WorkflowTaskUpdated(WireBase):
    """A task of a workflow replaced."""

    type: Literal["workflow.task.updated"] = "workflow.task.updated"
    task_index: int
    task: Task


class GeneratedImageUpdated(WireBase):
    """A generated image in progress."""

    type: Literal["generated_image.updated"] = "generated_image.updated"
    image: GeneratedImage
    progress: float | None = None


ThreadItemUpdate = Annotated[
    AssistantMessageContentPartAdded
    | AssistantMessageContentPartTextDelta
    | AssistantMessageContentPartAnnotationAdded
    | AssistantMessageContentPartDone
    | WidgetStreamingTextValueDelta
    | WidgetRootUpdated
    | WidgetComponentUpdated
    | WorkflowTaskAdded
    | WorkflowTaskUpdated
    | GeneratedImageUpdated,
    Field(discriminator="type"),
]
