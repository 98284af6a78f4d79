"""Checks that the recorded conformance corpus is well-formed (not the bridge's behaviour).

The corpus is recorded from the reference server by `record.py` (see README.md); the replay
against the bridge lives elsewhere.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from schemas import NON_STREAMING_TYPES, STREAMING_TYPES

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from normalise import PLACEHOLDER_RE, Normaliser, UnknownPlaceholder, placeholders_in  # noqa: E402
from scripted_model import ScriptedModel, ScriptedModelError, validate_turn  # noqa: E402

SCENARIO_DIR = HERE / "scenarios"
SCENARIO_FILES = sorted(SCENARIO_DIR.glob("*.json"))

STREAMING_OPS = STREAMING_TYPES
JSON_OPS = NON_STREAMING_TYPES
ALL_OPS = STREAMING_OPS | JSON_OPS
NON_CHATKIT_OPS = {"upload", "upload.direct"}

REQUIRED_SCENARIOS = {
    "new_thread",
    "follow_up",
    "tool_call",
    "client_tool",
    "retry",
    "custom_action",
    "sync_action",
    "structured_input",
    "attachments_two_phase",
    "attachments_direct",
    "pagination",
    "long_thread",
    "rename_delete",
    "feedback",
    "error_mid_stream",
    "cancel",
    "transcribe",
}

# raw values that must never survive normalisation
LEAKS = [
    re.compile(r"\b(thr|msg|atc|fc|call|tc|shcx|resp|wf|tsk)_[0-9a-f]{8,}\b"),
    re.compile(r"127\.0\.0\.1|localhost:\d+"),
    re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"),
]
REF_RE = re.compile(r"\{\{ref:([a-z_]+)\}\}")


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_corpus_exists() -> None:
    names = {p.stem for p in SCENARIO_FILES}
    missing = REQUIRED_SCENARIOS - names
    assert not missing, f"scenarios missing: {sorted(missing)}"


def test_all_sixteen_ops_covered() -> None:
    assert len(ALL_OPS) == 16
    covered: set[str] = set()
    for path in SCENARIO_FILES:
        doc = load(path)
        if not doc.get("reference_only"):
            covered |= set(doc["ops"])
    assert covered == ALL_OPS, f"not covered: {sorted(ALL_OPS - covered)}"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=ids(SCENARIO_FILES))
def test_scenario_shape(path: Path) -> None:
    doc = load(path)
    assert doc["name"] == path.stem
    assert isinstance(doc["description"], str) and doc["description"].strip()
    assert isinstance(doc.get("reference_only", False), bool)
    assert isinstance(doc["script"], list)
    for turn in doc["script"]:
        validate_turn(turn)
    exchanges = doc["exchanges"]
    assert isinstance(exchanges, list) and exchanges
    declared = doc["ops"]
    assert declared == sorted(set(declared)), "ops must be sorted and unique"
    assert set(declared) == {e["op"] for e in exchanges if e["op"] in ALL_OPS}
    for exchange in exchanges:
        assert exchange["op"] in ALL_OPS | NON_CHATKIT_OPS, exchange["op"]


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=ids(SCENARIO_FILES))
def test_exchanges_well_formed(path: Path) -> None:
    doc = load(path)
    for n, exchange in enumerate(doc["exchanges"]):
        op = exchange["op"]
        request, response = exchange["request"], exchange["response"]
        assert isinstance(response["status"], int), (n, op)
        if op in NON_CHATKIT_OPS:
            assert "file" in request
            continue
        assert request["method"] == "POST"
        assert request["path"].startswith("/")
        headers = request["headers"]
        assert headers["content-type"] == "application/json"
        assert headers["chatkit-frame-instance-id"]
        assert headers["accept-language"]
        assert (headers.get("accept") == "text/event-stream") == (op in STREAMING_OPS)
        body = request["body"]
        assert body["type"] == op
        assert isinstance(body["params"], dict)
        assert "metadata" not in body, "the widget sends no metadata to a custom backend"
        if doc.get("reference_only"):
            continue
        assert response["status"] == 200, (n, op)
        content_type = response["headers"]["content-type"]
        if op in STREAMING_OPS:
            assert content_type.startswith("text/event-stream"), (n, op)
            events = response["events"]
            assert isinstance(events, list) and events, (n, op)
            assert all(isinstance(e, dict) and isinstance(e.get("type"), str) for e in events)
            types = [e["type"] for e in events]
            if op == "threads.create":
                assert types[0] == "thread.created", (n, types)
                thread = events[0]["thread"]
                assert thread["items"] == {"data": [], "has_more": False}
            assert "stream_options" in types, (n, types)
            if "cancel_after_events" in exchange:
                assert len(events) == exchange["cancel_after_events"]
        else:
            assert content_type.startswith("application/json"), (n, op)
            assert isinstance(response["body"], dict), (n, op)


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=ids(SCENARIO_FILES))
def test_requests_only_refer_to_earlier_responses(path: Path) -> None:
    doc = load(path)
    if doc.get("reference_only"):
        pytest.skip("reference-only scenario uses ids the server never issued")
    seen: set[str] = set()
    bound: set[str] = set()
    for n, exchange in enumerate(doc["exchanges"]):
        request = exchange["request"]
        for ph in placeholders_in(request.get("body", {})):
            assert ph in seen, f"exchange {n} refers to {ph} before any response produced it"
        for ref in REF_RE.findall(json.dumps(request)):
            assert ref in bound, (
                f"exchange {n} uses {{{{ref:{ref}}}}} that no earlier exchange binds"
            )
        seen |= set(placeholders_in(exchange["response"]))
        for name, selector in exchange.get("bind", {}).items():
            assert isinstance(selector, str) and selector
            bound.add(name)


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=ids(SCENARIO_FILES))
def test_no_raw_ids_timestamps_or_ports(path: Path) -> None:
    text = path.read_text()
    for pattern in LEAKS:
        match = pattern.search(text)
        assert match is None, f"unnormalised value {match.group(0)!r} in {path.name}"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=ids(SCENARIO_FILES))
def test_placeholders_numbered_in_order(path: Path) -> None:
    """`<kind:N>` first appears only after `<kind:N-1>` (order of first appearance)."""
    doc = load(path)
    highest: dict[str, int] = {}
    text = json.dumps(doc["exchanges"])
    for match in PLACEHOLDER_RE.finditer(text):
        kind, number = match.group(1), int(match.group(2))
        assert number <= highest.get(kind, 0) + 1, f"{match.group(0)} before <{kind}:{number - 1}>"
        highest[kind] = max(highest.get(kind, 0), number)


def test_script_consumption_matches_model_inputs() -> None:
    """Every scripted turn was used by the reference (one model call per turn)."""
    for path in SCENARIO_FILES:
        doc = load(path)
        calls = doc.get("reference_model_inputs", [])
        assert len(calls) == len(doc["script"]), path.name


# -- the shared helpers ----------------------------------------------------------------------


def test_normaliser_round_trip() -> None:
    norm = Normaliser(["http://127.0.0.1:5000"])
    event = {
        "type": "thread.created",
        "thread": {
            "id": "thr_abc12345",
            "created_at": "2026-01-02T03:04:05.123456",
            "items": {"data": [], "has_more": False},
        },
    }
    item = {
        "type": "thread.item.done",
        "item": {
            "id": "msg_1234abcd",
            "thread_id": "thr_abc12345",
            "created_at": "2026-01-02T03:04:05+00:00",
            "type": "user_message",
            "attachments": [
                {
                    "id": "atc_99999999",
                    "mime_type": "image/png",
                    "type": "image",
                    "preview_url": "http://127.0.0.1:5000/files/atc_99999999",
                }
            ],
        },
    }
    out = norm.normalise([event, item])
    assert out[0]["thread"] == {
        "id": "<thread:1>",
        "created_at": "<ts>",
        "items": {"data": [], "has_more": False},
    }
    assert out[1]["item"]["id"] == "<item:1>"
    assert out[1]["item"]["thread_id"] == "<thread:1>"
    assert out[1]["item"]["attachments"][0]["id"] == "<attachment:1>"
    assert out[1]["item"]["attachments"][0]["preview_url"] == "<base>/files/<attachment:1>"
    request = {
        "type": "threads.retry_after_item",
        "params": {"thread_id": "<thread:1>", "item_id": "<item:1>"},
    }
    assert norm.resolve(request)["params"] == {
        "thread_id": "thr_abc12345",
        "item_id": "msg_1234abcd",
    }
    assert norm.resolve("<base>/x", base_url="http://h:1") == "http://h:1/x"
    with pytest.raises(UnknownPlaceholder):
        norm.resolve({"item_id": "<item:7>"})


def test_normaliser_leaves_app_ids_alone() -> None:
    norm = Normaliser()
    widget = {
        "type": "Card",
        "id": "card-1",
        "children": [{"type": "Text", "id": "title", "value": "x"}],
    }
    question = {"id": "priority", "question": "Which?", "type": "multiple_choice"}
    assert norm.normalise(widget) == widget
    assert norm.normalise(question) == question


def test_validate_turn_rejects_bad_shapes() -> None:
    for bad in [
        {},
        {"text": "abc"},
        {"error": "x", "text": ["a"]},
        {"tool_call": {}},
        {"text": ["a"], "tool_call": {"name": "x"}},
        {"error_after": 1},
        {"foo": 1},
    ]:
        with pytest.raises(ValueError):
            validate_turn(bad)


async def test_scripted_model_runs_under_agents() -> None:
    from agents import Agent, RunConfig, Runner, function_tool

    @function_tool
    def add_task(title: str) -> str:
        """Add a task."""
        return f"Added {title}"

    model = ScriptedModel(
        [
            {"tool_call": {"name": "add_task", "arguments": {"title": "milk"}}},
            {"text": ["Do", "ne"]},
            {"error_after": 1, "text": ["a", "b"]},
        ]
    )
    agent = Agent(name="t", model=model, tools=[add_task])
    config = RunConfig(tracing_disabled=True)
    result = Runner.run_streamed(agent, "hi", run_config=config)
    kinds = [
        getattr(getattr(e, "data", None), "type", e.type) async for e in result.stream_events()
    ]
    assert result.final_output == "Done"
    assert kinds.count("response.completed") == 2
    assert "response.output_text.delta" in kinds
    assert model.calls[1]["input"][-1]["type"] == "function_call_output"

    result = Runner.run_streamed(agent, "again", run_config=config)
    with pytest.raises(ScriptedModelError):
        async for _ in result.stream_events():
            pass
    assert model.remaining == 0
