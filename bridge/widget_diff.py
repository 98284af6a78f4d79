"""The difference between two versions of a widget, as `thread.item.updated` updates.

Components are matched by their `id`. A Text or Markdown component whose value only grew
(and nothing else changed but `streaming`) becomes `widget.streaming_text.value_delta`, with
`done` once it is no longer streaming; any other change to a component with an id becomes
`widget.component.updated`; a change anywhere else (the root's own props, components added,
removed or moved) replaces the root (`widget.root.updated`).
"""

from __future__ import annotations

from typing import Any

from schemas import WidgetComponentUpdated, WidgetRootUpdated, WidgetStreamingTextValueDelta

WidgetUpdate = WidgetStreamingTextValueDelta | WidgetComponentUpdated | WidgetRootUpdated

_STREAMING_TEXT = ("Text", "Markdown")


def diff_widget(before: dict[str, Any], after: dict[str, Any]) -> list[WidgetUpdate]:
    """The updates that turn `before` into `after` on the page (none if they are equal)."""
    if before == after:
        return []
    if _shape(before, top=True) != _shape(after, top=True):
        return [WidgetRootUpdated(widget=after)]
    old = _by_id(before)
    updates: list[WidgetUpdate] = []
    replaced: set[str] = set()
    for component_id, component, ancestors in _walk_ids(after):
        if replaced & ancestors:
            continue  # inside a component already sent whole
        previous = old[component_id]
        if _shape(previous, top=True) == _shape(component, top=True):
            continue
        delta = _text_delta(previous, component)
        if delta is not None:
            updates.append(
                WidgetStreamingTextValueDelta(
                    component_id=component_id,
                    delta=delta,
                    done=not component.get("streaming", False),
                )
            )
        else:
            updates.append(WidgetComponentUpdated(component_id=component_id, component=component))
            replaced.add(component_id)
    return updates


def _text_delta(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    if before.get("type") not in _STREAMING_TEXT or after.get("type") != before.get("type"):
        return None
    old, new = before.get("value"), after.get("value")
    if not isinstance(old, str) or not isinstance(new, str) or not new.startswith(old):
        return None
    rest_before = {k: v for k, v in before.items() if k not in ("value", "streaming")}
    rest_after = {k: v for k, v in after.items() if k not in ("value", "streaming")}
    return new[len(old) :] if rest_before == rest_after else None


def _shape(node: Any, *, top: bool = False) -> Any:
    """The tree with every nested component that has an id reduced to a reference."""
    if isinstance(node, dict):
        if not top and isinstance(node.get("id"), str) and "type" in node:
            return ("component", node["id"])
        return {key: _shape(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_shape(value) for value in node]
    return node


def _by_id(node: Any) -> dict[str, dict[str, Any]]:
    return {component_id: component for component_id, component, _ in _walk_ids(node)}


def _walk_ids(
    node: Any, ancestors: frozenset[str] = frozenset()
) -> list[tuple[str, dict[str, Any], frozenset[str]]]:
    """Every component with an id, in document order, with the ids of its ancestors."""
    found: list[tuple[str, dict[str, Any], frozenset[str]]] = []
    if isinstance(node, dict):
        own = node.get("id")
        inner = ancestors
        if isinstance(own, str) and "type" in node:
            found.append((own, node, ancestors))
            inner = ancestors | {own}
        for value in node.values():
            found.extend(_walk_ids(value, inner))
    elif isinstance(node, list):
        for value in node:
            found.extend(_walk_ids(value, ancestors))
    return found


def apply_widget_update(widget: dict[str, Any], update: WidgetUpdate) -> dict[str, Any]:
    """The widget after an update (what the page shows): the inverse of `diff_widget`."""
    if isinstance(update, WidgetRootUpdated):
        return update.widget

    def patch(node: Any) -> Any:
        if isinstance(node, list):
            return [patch(child) for child in node]
        if not isinstance(node, dict):
            return node
        if node.get("id") == update.component_id and "type" in node:
            if isinstance(update, WidgetComponentUpdated):
                return update.component
            value = node.get("value")
            grown = (value if isinstance(value, str) else "") + update.delta
            return {**node, "value": grown, "streaming": not update.done}
        return {key: patch(value) for key, value in node.items()}

    patched: dict[str, Any] = patch(widget)
    return patched
