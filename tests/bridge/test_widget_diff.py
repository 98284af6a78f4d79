"""Widget builders write the widget's JSON; `diff_widget` sends only what changed."""

from __future__ import annotations

from typing import Any

import pytest

from bridge import (
    ActionConfig,
    Badge,
    Button,
    Card,
    Col,
    ListView,
    ListViewItem,
    Markdown,
    Row,
    Text,
    Title,
    diff_widget,
)
from bridge.widget_diff import apply_widget_update


def test_builders_write_camel_case_and_leave_out_unset_props() -> None:
    button = Button(
        "Book", on_click_action=ActionConfig("trip.book", {"flight": "AZ1"}), icon_start="plane"
    )
    assert button == {
        "type": "Button",
        "label": "Book",
        "onClickAction": {"type": "trip.book", "payload": {"flight": "AZ1"}},
        "iconStart": "plane",
    }
    assert Text("hi", line_through=True) == {"type": "Text", "value": "hi", "lineThrough": True}
    row = ListViewItem([Text("a")], key="r1", on_click_action=ActionConfig("x", handler="client"))
    assert row["onClickAction"] == {"type": "x", "payload": {}, "handler": "client"}
    assert ListView([row], limit=3)["children"] == [row]
    assert Card([], confirm={"label": "OK", "action": {"type": "ok"}}, asForm=True)["asForm"]


def _card(summary: str, rows: list[str], *, streaming: bool = True, title: str = "Flights") -> Any:
    return Card(
        [
            Title(title),
            Col([Row([Text(r)], key=r) for r in rows], id="rows"),
            Text(summary, id="summary", streaming=streaming),
        ],
        id="card",
    )


def test_equal_widgets_need_no_update() -> None:
    assert diff_widget(_card("a", ["x"]), _card("a", ["x"])) == []


def test_growing_text_streams_as_a_delta_until_it_stops_streaming() -> None:
    [update] = diff_widget(_card("Three ", []), _card("Three flights", []))
    assert (update.type, update.component_id, update.delta, update.done) == (
        "widget.streaming_text.value_delta",
        "summary",
        "flights",
        False,
    )
    [last] = diff_widget(_card("Three flights", []), _card("Three flights.", [], streaming=False))
    assert (last.delta, last.done) == (".", True)


def test_a_changed_component_with_an_id_is_sent_alone() -> None:
    updates = diff_widget(_card("a", ["x"]), _card("ab", ["x", "y"]))
    assert [u.type for u in updates] == [
        "widget.component.updated",
        "widget.streaming_text.value_delta",
    ]
    assert updates[0].component_id == "rows"
    assert len(updates[0].component["children"]) == 2


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(_card("a", []), _card("a", [], title="Trains"), id="root-prop-outside-ids"),
        pytest.param(
            Card([Markdown("a", id="m")]),
            Card([Markdown("a", id="m"), Badge("new")]),
            id="component-added",
        ),
        pytest.param(Card([Markdown("a", id="m")]), Card([Markdown("a", id="n")]), id="id-changed"),
    ],
)
def test_a_change_outside_components_with_ids_replaces_the_root(before: Any, after: Any) -> None:
    [update] = diff_widget(before, after)
    assert update.type == "widget.root.updated" and update.widget == after


def test_text_that_did_not_only_grow_is_replaced_as_a_component() -> None:
    [update] = diff_widget(_card("abc", []), _card("xyz", []))
    assert update.type == "widget.component.updated" and update.component_id == "summary"
    assert update.component["value"] == "xyz"


def test_a_component_inside_a_replaced_one_is_not_sent_twice() -> None:
    before = Card([Col([Text("a", id="inner")], id="outer", gap=1)])
    after = Card([Col([Text("ab", id="inner")], id="outer", gap=2)])
    [update] = diff_widget(before, after)
    assert update.type == "widget.component.updated" and update.component_id == "outer"
    assert update.component["children"][0]["value"] == "ab"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(_card("Three ", []), _card("Three flights", []), id="delta"),
        pytest.param(_card("a", ["x"]), _card("ab", ["x", "y"], streaming=False), id="component"),
        pytest.param(_card("a", []), _card("a", [], title="Trains"), id="root"),
    ],
)
def test_applying_the_updates_gives_the_new_widget(before: Any, after: Any) -> None:
    shown = before
    for update in diff_widget(before, after):
        shown = apply_widget_update(shown, update)
    assert shown == after
