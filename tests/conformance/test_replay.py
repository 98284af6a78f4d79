"""Replays the reference corpus against the bridge and holds it to the same answers.

For each scenario (except reference-only ones) the bridge is built on the test's database
(SQLite and PostgreSQL) with `harness.ScenarioApp`, the bridge-side twin of the recorder's
reference app, and the scenario's requests are replayed in order (`replay.Replay`). Each
answer must equal the recorded one with the scenario's declared `bridge_differences` applied:
same status, same recorded headers, same events in the same order with the same fields and
values (ids, timestamps and the base URL normalised), same JSON bodies.
A second test checks that every event and JSON body the replay produced validates against
`schemas/` with unknown fields forbidden (`strict.py`).
"""

from __future__ import annotations

import base64
import difflib
import json
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.settings import Settings

from ..conftest import Connect, MakeApp
from .harness import TRANSCRIPT, FakeTranscriptionServer, LoopbackServer, ScenarioApp
from .replay import (
    DeclarationError,
    Replay,
    check_declarations,
    differences_for,
    expected_response,
    settle_patterns,
)
from .strict import check_body, check_event

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
DOCS = {p.stem: json.loads(p.read_text()) for p in sorted(SCENARIO_DIR.glob("*.json"))}
REPLAYED = [name for name, doc in DOCS.items() if not doc.get("reference_only")]
ASGI_BASE = "http://bridge.test"


async def replay_scenario(
    doc: dict[str, Any], make_app: MakeApp, connect: Connect
) -> tuple[Replay, ScenarioApp, BaseException | None]:
    """Build the bridge for a scenario and replay it; a failure mid-way is returned, not raised."""
    scenario = ScenarioApp(doc["script"])
    settings: dict[str, Any] = {"models": ("gpt-test",)}  # follow_up picks this model
    async with AsyncExitStack() as stack:
        fake: FakeTranscriptionServer | None = None
        if "input.transcribe" in doc["ops"]:
            fake = FakeTranscriptionServer()
            await stack.enter_async_context(fake)
            settings.update(openai_api_key="sk-test", openai_base_url=f"{fake.url}/v1")
        app = await make_app(
            responder=scenario.responder(Settings.from_env(**settings)),
            actions=scenario.actions(),
            **settings,
        )
        if any("cancel_after_events" in e for e in doc["exchanges"]):
            # A stop is a closed connection: that needs a real server, not ASGITransport.
            server = await stack.enter_async_context(LoopbackServer(app))
            client = httpx.AsyncClient(base_url=server.url, timeout=30)
            base = server.url
        else:
            client = connect(app, base_url=ASGI_BASE)
            base = ASGI_BASE
        await stack.enter_async_context(client)
        replay = Replay(doc, client, base)
        failure: BaseException | None = None
        try:
            await replay.run()
        except Exception as exc:
            failure = exc
        if fake is not None and failure is None:
            sent = [e for e in doc["exchanges"] if e["op"] == "input.transcribe"]
            audio = [base64.b64decode(e["request"]["body"]["params"]["audio_base64"]) for e in sent]
            assert [r["audio"] for r in fake.requests] == audio
    return replay, scenario, failure


def _diff(expected: Any, actual: Any) -> str:
    a = json.dumps(expected, indent=1, sort_keys=True, ensure_ascii=False, default=str)
    b = json.dumps(actual, indent=1, sort_keys=True, ensure_ascii=False, default=str)
    return "\n".join(
        difflib.unified_diff(a.splitlines(), b.splitlines(), "expected", "bridge", lineterm="")
    )


@pytest.mark.parametrize("name", REPLAYED)
async def test_bridge_answers_like_the_reference(
    name: str, make_app: MakeApp, connect: Connect
) -> None:
    doc = DOCS[name]
    check_declarations(doc)
    replay, scenario, failure = await replay_scenario(doc, make_app, connect)
    problems = []
    for n, actual in enumerate(replay.responses):
        expected = settle_patterns(expected_response(doc, n), actual)
        if actual != expected:
            op = doc["exchanges"][n]["op"]
            problems.append(f"exchange {n} ({op}):\n{_diff(expected, actual)}")
    if failure is not None:
        problems.append(f"the replay stopped at exchange {len(replay.responses)}: {failure!r}")
    assert not problems, f"{name}: the bridge differs from the reference\n" + "\n\n".join(problems)
    assert scenario.model.remaining == 0, "the bridge did not call the model once per turn"


@pytest.mark.parametrize("name", REPLAYED)
async def test_bridge_sends_only_schema_fields(
    name: str, make_app: MakeApp, connect: Connect
) -> None:
    replay, _, failure = await replay_scenario(DOCS[name], make_app, connect)
    assert failure is None, failure
    assert replay.captured, "the replay captured nothing"
    for captured in replay.captured:
        if captured.kind == "event":
            check_event(captured.raw)
        else:
            check_body(captured.op, captured.raw)


def test_every_declared_difference_is_used() -> None:
    """A declaration names exchanges the scenario has and changes what it claims to."""
    for name in REPLAYED:
        doc = DOCS[name]
        check_declarations(doc)
        for n in range(len(doc["exchanges"])):
            if differences_for(doc, n):
                expected_response(doc, n)  # raises if a declaration does not fit the recording


def test_transcript_is_the_recorded_one() -> None:
    """The fake transcription endpoint answers what the reference app's transcribe() did."""
    body = DOCS["transcribe"]["exchanges"][0]["response"]["body"]
    assert body == {"text": TRANSCRIPT}


# ---- the checks themselves can fail ------------------------------------------------------------


def _recorded_event(name: str, exchange: int, index: int) -> dict[str, Any]:
    """A recorded event with real timestamps in place of `<ts>`."""
    text = json.dumps(DOCS[name]["exchanges"][exchange]["response"]["events"][index])
    event: dict[str, Any] = json.loads(text.replace('"<ts>"', '"2026-01-02T03:04:05.000006"'))
    return event


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda e: e.update(extra=1), id="event-level"),
        pytest.param(lambda e: e["item"].update(metadata={}), id="item-level"),
        pytest.param(lambda e: e["item"]["content"][0].update(logprobs=[]), id="content-part"),
        pytest.param(lambda e: e["item"].update(inference_options={"temperature": 1}), id="nested"),
    ],
)
def test_strict_check_rejects_unknown_fields(mutate: Callable[[dict[str, Any]], None]) -> None:
    event = _recorded_event("new_thread", 0, 9)  # the assistant message's thread.item.done
    check_event(json.dumps(event).encode())
    mutate(event)
    with pytest.raises(ValueError, match=r"extra_forbidden|Extra inputs"):
        check_event(json.dumps(event).encode())


def test_strict_check_rejects_coercions_and_unknown_body_fields() -> None:
    event = _recorded_event("new_thread", 0, 2)  # stream_options
    event["stream_options"]["allow_cancel"] = "true"
    with pytest.raises(ValueError):
        check_event(json.dumps(event).encode())
    body = {"data": [], "has_more": False, "cursor": "x"}
    with pytest.raises(ValueError):
        check_body("items.list", json.dumps(body).encode())
    with pytest.raises(AssertionError):
        check_body("threads.delete", b'{"ok":true}')


def test_a_declaration_that_does_not_fit_the_recording_is_refused() -> None:
    doc = json.loads(json.dumps(DOCS["structured_input"]))
    for diff in doc["bridge_differences"]:
        if diff["change"] == "set" and diff["path"] == "body/title":
            diff["reference"] = "a title the reference never sent"
    with pytest.raises(DeclarationError):
        expected_response(doc, 2)
    doc = json.loads(json.dumps(DOCS["tool_call"]))
    for diff in doc["bridge_differences"]:
        if diff["change"] == "insert_events":
            diff["at"] = 999
    with pytest.raises(DeclarationError):
        expected_response(doc, 0)


def test_an_undeclared_extra_event_is_a_difference() -> None:
    doc = DOCS["new_thread"]
    bridge = json.loads(json.dumps(doc["exchanges"][0]["response"]))
    bridge["headers"].update({"cache-control": "no-cache, no-transform", "x-accel-buffering": "no"})
    assert settle_patterns(expected_response(doc, 0), bridge) == bridge
    bridge["events"].insert(3, {"type": "progress_update", "text": "Thinking…"})
    assert settle_patterns(expected_response(doc, 0), bridge) != bridge


async def test_composer_tool_ids_are_routed_like_the_reference(
    make_app: MakeApp, connect: Connect
) -> None:
    """The model calls of `composer_tools` match the reference's: the same instructions (the
    app's own id picked another agent), the same forced tool_choice, the same tools."""
    doc = DOCS["composer_tools"]
    _, scenario, failure = await replay_scenario(doc, make_app, connect)
    assert failure is None, failure

    def settings_of(call: dict[str, Any]) -> tuple[Any, ...]:
        return (call["instructions"], call.get("tool_choice"), call["tools"])

    reference = [settings_of(call) for call in doc["reference_model_inputs"]]
    assert [settings_of(call) for call in scenario.model.calls] == reference
    assert [call.get("tool_choice") for call in scenario.model.calls] == [
        "add_task",
        None,
        None,
        None,
    ]
