"""Workflows and their tasks: the steps an assistant shows while it works."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import WireBase
from .icons import IconName
from .sources import FileSource, URLSource

StatusIndicator = Literal["none", "loading", "complete"]


class TaskBase(WireBase):
    """Fields every task has."""

    status_indicator: StatusIndicator = "none"


class CustomTask(TaskBase):
    """A task with free content."""

    type: Literal["custom"] = "custom"
    title: str | None = None
    icon: IconName | None = None
    content: str | None = None


class SearchTask(TaskBase):
    """A web search."""

    type: Literal["web_search"] = "web_search"
    title: str | None = None
    title_query: str | None = None
    queries: list[str] = Field(default_factory=list)
    sources: list[URLSource] = Field(default_factory=list)


class ThoughtTask(TaskBase):
    """A piece of the assistant's reasoning summary."""

    type: Literal["thought"] = "thought"
    title: str | None = None
    content: str


class FileTask(TaskBase):
    """Files consulted."""

    type: Literal["file"] = "file"
    title: str | None = None
    sources: list[FileSource] = Field(default_factory=list)


class ImageTask(TaskBase):
    """An image being made."""

    type: Literal["image"] = "image"
    title: str | None = None


Task = Annotated[
    CustomTask | SearchTask | ThoughtTask | FileTask | ImageTask, Field(discriminator="type")
]


class CustomSummary(WireBase):
    """A workflow summary with a title."""

    title: str
    icon: IconName | None = None


class DurationSummary(WireBase):
    """A workflow summary that says how long it took, in seconds."""

    duration: int


WorkflowSummary = CustomSummary | DurationSummary


class Workflow(WireBase):
    """A list of tasks, collapsed under a summary when done."""

    type: Literal["custom", "reasoning"]
    tasks: list[Task] = Field(default_factory=list)
    summary: WorkflowSummary | None = None
    expanded: bool = False
