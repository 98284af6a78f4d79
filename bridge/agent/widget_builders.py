"""Typed builders for the common widget components; each returns the component's JSON.

Keyword arguments are written in snake_case and sent in the widget's camelCase
(`line_through` → `lineThrough`, `on_click_action` → `onClickAction`); arguments left at None
are not sent. A component the builders do not cover is a plain dict with a `type`, and
`**props` passes any other prop through as written.

Give a component an `id` to update it in place later (`AgentContext.start_widget`): a Text or
Markdown whose value grows streams as deltas, any other change is sent as that component.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

Component = dict[str, Any]
Children = Sequence[Component]

_CAMEL_CACHE: dict[str, str] = {}


def _camel(name: str) -> str:
    found = _CAMEL_CACHE.get(name)
    if found is None:
        head, *rest = name.split("_")
        found = _CAMEL_CACHE[name] = head + "".join(word.capitalize() for word in rest)
    return found


def _component(kind: str, props: dict[str, Any]) -> Component:
    out: Component = {"type": kind}
    for key, value in props.items():
        if value is None:
            continue
        if key == "children":
            value = list(value)
        out[_camel(key)] = value
    return out


def ActionConfig(
    type: str,
    payload: dict[str, Any] | None = None,
    *,
    handler: Literal["server", "client"] | None = None,
    loading_behavior: Literal["auto", "none", "self", "container"] | None = None,
) -> dict[str, Any]:
    """What a button (or a clickable row) sends: `threads.custom_action` with this action,
    or the page's `onAction` with `handler="client"`."""
    return _component(
        type, {"payload": payload or {}, "handler": handler, "loading_behavior": loading_behavior}
    )


def Card(
    children: Children,
    *,
    id: str | None = None,
    size: Literal["sm", "md", "lg", "full"] | None = None,
    padding: Any = None,
    background: str | None = None,
    status: dict[str, Any] | None = None,
    collapsed: bool | None = None,
    as_form: bool | None = None,
    confirm: dict[str, Any] | None = None,
    cancel: dict[str, Any] | None = None,
    **props: Any,
) -> Component:
    """A card, the usual root of a widget."""
    return _component("Card", {**_args(locals()), **props})


def ListView(
    children: Children,
    *,
    id: str | None = None,
    limit: int | Literal["auto"] | None = None,
    status: dict[str, Any] | None = None,
    **props: Any,
) -> Component:
    """A list of `ListViewItem`s (a root)."""
    return _component("ListView", {**_args(locals()), **props})


def ListViewItem(
    children: Children,
    *,
    id: str | None = None,
    key: str | None = None,
    on_click_action: dict[str, Any] | None = None,
    gap: int | str | None = None,
    align: str | None = None,
    **props: Any,
) -> Component:
    """One row of a ListView."""
    return _component("ListViewItem", {**_args(locals()), **props})


def Row(
    children: Children,
    *,
    id: str | None = None,
    key: str | None = None,
    gap: int | str | None = None,
    align: str | None = None,
    justify: str | None = None,
    padding: Any = None,
    **props: Any,
) -> Component:
    """Children side by side."""
    return _component("Row", {**_args(locals()), **props})


def Col(
    children: Children,
    *,
    id: str | None = None,
    key: str | None = None,
    gap: int | str | None = None,
    align: str | None = None,
    flex: int | str | None = None,
    padding: Any = None,
    **props: Any,
) -> Component:
    """Children one under the other."""
    return _component("Col", {**_args(locals()), **props})


def Box(
    children: Children,
    *,
    id: str | None = None,
    key: str | None = None,
    direction: Literal["row", "col"] | None = None,
    gap: int | str | None = None,
    padding: Any = None,
    background: str | None = None,
    radius: str | None = None,
    **props: Any,
) -> Component:
    """A generic container."""
    return _component("Box", {**_args(locals()), **props})


def Text(
    value: str,
    *,
    id: str | None = None,
    key: str | None = None,
    streaming: bool | None = None,
    size: str | None = None,
    weight: str | None = None,
    color: str | None = None,
    italic: bool | None = None,
    line_through: bool | None = None,
    truncate: bool | None = None,
    **props: Any,
) -> Component:
    """Text; with an `id` and `streaming=True` its value can stream in."""
    return _component("Text", {**_args(locals()), **props})


def Markdown(
    value: str, *, id: str | None = None, streaming: bool | None = None, **props: Any
) -> Component:
    """Markdown; with an `id` and `streaming=True` its value can stream in."""
    return _component("Markdown", {**_args(locals()), **props})


def Title(
    value: str,
    *,
    id: str | None = None,
    size: str | None = None,
    weight: str | None = None,
    color: str | None = None,
    **props: Any,
) -> Component:
    """A heading."""
    return _component("Title", {**_args(locals()), **props})


def Caption(
    value: str, *, id: str | None = None, color: str | None = None, **props: Any
) -> Component:
    """Small secondary text."""
    return _component("Caption", {**_args(locals()), **props})


def Badge(
    label: str,
    *,
    id: str | None = None,
    color: str | None = None,
    variant: Literal["solid", "soft", "outline"] | None = None,
    **props: Any,
) -> Component:
    """A small label (a status)."""
    return _component("Badge", {**_args(locals()), **props})


def Button(
    label: str,
    *,
    on_click_action: dict[str, Any] | None = None,
    id: str | None = None,
    style: Literal["primary", "secondary"] | None = None,
    variant: str | None = None,
    size: str | None = None,
    color: str | None = None,
    icon_start: str | None = None,
    disabled: bool | None = None,
    submit: bool | None = None,
    **props: Any,
) -> Component:
    """A button; `on_click_action` is an `ActionConfig`."""
    return _component("Button", {**_args(locals()), **props})


def Image(
    src: str,
    *,
    id: str | None = None,
    alt: str | None = None,
    size: int | str | None = None,
    height: int | str | None = None,
    width: int | str | None = None,
    fit: str | None = None,
    radius: str | None = None,
    **props: Any,
) -> Component:
    """An image by URL."""
    return _component("Image", {**_args(locals()), **props})


def Icon(
    name: str, *, id: str | None = None, color: str | None = None, size: str | None = None
) -> Component:
    """An icon of the widget's set (`check-circle`, `calendar`, `map-pin`…)."""
    return _component("Icon", _args(locals()))


def Divider(*, spacing: int | str | None = None, **props: Any) -> Component:
    """A horizontal rule."""
    return _component("Divider", {**_args(locals()), **props})


def Spacer(*, min_size: int | str | None = None) -> Component:
    """Flexible empty space in a Row or Col."""
    return _component("Spacer", _args(locals()))


def _args(names: dict[str, Any]) -> dict[str, Any]:
    """A builder's own arguments (without the `**props` catch-all)."""
    return {key: value for key, value in names.items() if key != "props"}
