"""Progress lines for tools: a tool brings its own label, or the app gives them by name.

    add_task = with_progress(add_task, "Adding task…")
    AgentResponder(settings, progress={"search_flights": "Searching flights…"})

A tool nobody labelled shows no line (as the reference server, which sends none); a tool
that wants more than one line, or a line that depends on its arguments, calls
`ctx.context.progress(…)` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

ProgressLabel = Callable[[str], str | None]
"""Tool name → the status line shown when the model calls it, or None for no line."""

_LABEL = "_bridge_progress"
T = TypeVar("T")


def with_progress(tool: T, label: str) -> T:
    """Label a tool (a `FunctionTool`) with the status line shown when the model calls it."""
    setattr(tool, _LABEL, label)
    return tool


def tool_progress(tool: Any) -> str | None:
    """A tool's own label, if it has one."""
    label = getattr(tool, _LABEL, None)
    return label if isinstance(label, str) else None
