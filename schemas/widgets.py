"""Widgets: trees of UI components the server sends and the widget renders.

A widget tree is passed through losslessly: the bridge never needs to understand a component to
store, stream or replay it, so a tree is a JSON object with a `type` and any other keys. The
component catalogue belongs to the widget, which is evergreen; pinning it here would drop
components the widget learns later.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator


def _has_type(tree: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(tree.get("type"), str):
        raise ValueError("a widget needs a string 'type'")
    return tree


WidgetRoot = Annotated[dict[str, Any], AfterValidator(_has_type)]
"""The root component of a widget (Card, ListView, Basic, …), kept as sent."""

WidgetComponent = Annotated[dict[str, Any], AfterValidator(_has_type)]
"""Any component inside a widget tree, kept as sent."""
