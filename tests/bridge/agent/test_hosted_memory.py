"""Hosted tool calls (web search, image generation…) are remembered across turns: kept as hidden
items, never sent to the page, replayed into the next turn's model input, as the provider's
own items for a Responses API model and as notes for any other model."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.applications import Starlette

from bridge import AgentResponder, Settings
from bridge.agent.history import build_input
from bridge.agent.hosted_memory import HOSTED_MEMORY, summary
from bridge.auth import LOCAL_USER
from db import Store
from schemas import HiddenContextItem, utcnow

from ...wire import parse_sse, post, user_input
from . import fakeprovider as fp
from .conftest import USER, MakeTurn, collect
from .raw_model import RawModel, message

IMAGE_B64 = "SU1BR0U=" * 2000
SEARCH: dict[str, Any] = {
    "type": "web_search_call",
    "id": "ws_1",
    "status": "completed",
    "action": {
        "type": "search",
        "query": "rome weather",
        "sources": [{"type": "url", "url": "https://weather.example/rome"}],
    },
}
IMAGE: dict[str, Any] = {
    "type": "image_generation_call",
    "id": "ig_1",
    "status": "completed",
    "result": IMAGE_B64,
    "output_format": "png",
    "size": "1024x1024",
    "revised_prompt": "a red bicycle by the Colosseum",
}
SEARCH_NOTE = "[Searched the web for “rome weather”; sources: https://weather.example/rome]"
IMAGE_NOTE = (
    "[Generated an image (1024x1024, png), shown to the user; "
    "prompt: a red bicycle by the Colosseum]"
)


def _hosted(index: int, item: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "type": "response.output_item.added",
            "output_index": index,
            "item": {**item, "status": "in_progress", "result": None}
            if item["type"] == "image_generation_call"
            else {**item, "status": "in_progress"},
        },
        {"type": "response.output_item.done", "output_index": index, "item": item},
    ]


def _hidden_shown(text: str) -> bool:
    # (The image itself is shown: the generated_image item carries it.)
    return any(mark in text for mark in ("hidden_context_item", HOSTED_MEMORY, "image_chars"))


async def test_hosted_calls_are_remembered_and_never_shown(make_app: Any, connect: Any) -> None:
    model = RawModel(
        [
            [
                *_hosted(0, SEARCH),
                *_hosted(1, IMAGE),
                *message("Sunny. Here is the bike.", index=2),
            ],
            message("It said sunny.", index=0),
        ]
    )
    app: Starlette = await make_app(responder=AgentResponder(Settings(offline=True), model=model))
    client = connect(app)

    created = await post(client, "threads.create", input=user_input("weather, and a picture"))
    assert created.status_code == 200 and not _hidden_shown(created.text)
    first = parse_sse(created.text)
    thread_id = first[0]["thread"]["id"]
    shown = [e["item"]["type"] for e in first if e["type"] == "thread.item.done"]
    assert shown == ["user_message", "task", "generated_image", "assistant_message"]

    store: Store = app.state.services.store
    stored = await store.load_items(LOCAL_USER, thread_id)
    memory = [i for i in stored if isinstance(i, HiddenContextItem)]
    assert [m.content["item"]["type"] for m in memory] == [
        "web_search_call",
        "image_generation_call",
    ]
    assert memory[0].content["item"] == SEARCH  # the provider's item as it came
    assert "result" not in memory[1].content["item"]  # the image is the generated_image item
    assert memory[1].content["image_chars"] == len(IMAGE_B64)

    for order in ("asc", "desc"):
        listed = await post(client, "items.list", thread_id=thread_id, order=order)
        assert listed.status_code == 200 and not _hidden_shown(listed.text)
        assert "hidden_context_item" not in {i["type"] for i in listed.json()["data"]}
    loaded = await post(client, "threads.get_by_id", thread_id=thread_id)
    assert loaded.status_code == 200 and not _hidden_shown(loaded.text)

    second = await post(
        client,
        "threads.add_user_message",
        thread_id=thread_id,
        input=user_input("what did the search say?"),
    )
    assert second.status_code == 200 and not _hidden_shown(second.text)

    told = model.inputs[-1]
    said = [i["content"] for i in told if i.get("role") == "assistant"]
    assert said == [SEARCH_NOTE, IMAGE_NOTE, "Sunny. Here is the bike."]
    assert IMAGE_B64[:40] not in json.dumps(told)
    assert told[-1]["role"] == "user"


async def test_a_responses_model_gets_the_calls_back_as_its_own_items(
    make_turn: MakeTurn,
) -> None:
    provider = fp.FakeProvider()
    settings = Settings(
        openai_api_key="sk-test", openai_base_url="http://provider.test/v1", model="gpt-test"
    )
    responder = AgentResponder(settings, client=provider.client())
    other_search = {**SEARCH, "id": "ws_2", "action": {"type": "search", "query": "rome rain"}}
    provider.replies.append(
        provider.sse(
            fp.responses_events(
                fp.reasoning(["Look it up."]),
                fp.hosted(SEARCH),
                fp.hosted(other_search),
                fp.hosted(IMAGE),
                fp.text(["Sunny."]),
            )
        )
    )
    await collect(responder, await make_turn("weather?"))

    provider.replies.append(provider.sse(fp.responses_events(fp.text(["Sunny, it said."]))))
    await collect(responder, await make_turn("and?"))

    told = provider.requests[-1]["input"]
    assert [i.get("type") if "type" in i else i.get("role") for i in told] == [
        "user",  # the first message
        "reasoning",  # once, before the first call that followed it
        "web_search_call",
        "web_search_call",
        "assistant",  # the image: a note, never its megabytes
        "assistant",  # the first answer
        "user",  # the new message
    ]
    assert told[1] == {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "Look it up."}],
    }
    assert told[2] == SEARCH and told[3] == other_search
    assert told[4]["content"] == IMAGE_NOTE
    assert IMAGE_B64[:40] not in json.dumps(provider.requests[-1])


async def test_a_chat_completions_model_gets_notes(make_turn: MakeTurn) -> None:
    provider = fp.FakeProvider()
    base = {"openai_api_key": "sk-test", "openai_base_url": "http://provider.test/v1"}
    responses = AgentResponder(Settings(**base, model="gpt-test"), client=provider.client())
    provider.replies.append(
        provider.sse(fp.responses_events(fp.hosted(SEARCH), fp.text(["Sunny."])))
    )
    await collect(responses, await make_turn("weather?"))

    # The same thread, now answered by an OpenAI-compatible server: it refuses hosted items.
    chat = AgentResponder(
        Settings(**base, model="llama3", model_api="chat_completions"), client=provider.client()
    )
    provider.replies.append(provider.sse(fp.chat_text(["Sunny, it said."]), done=True))
    await collect(chat, await make_turn("and?"))

    messages = provider.requests[-1]["messages"]
    assert provider.paths[-1].endswith("/chat/completions")
    assistant = [m["content"] for m in messages if m["role"] == "assistant"]
    assert assistant == [SEARCH_NOTE, "Sunny."]
    assert "web_search_call" not in json.dumps(messages)


def _memory(item: dict[str, Any], **extra: Any) -> HiddenContextItem:
    return HiddenContextItem(
        id="m",
        thread_id="thr_1",
        created_at=utcnow(),
        content={"kind": HOSTED_MEMORY, "item": item, **extra},
    )


async def test_hosted_calls_convert_per_type() -> None:
    def search_input(item: HiddenContextItem) -> list[Any]:
        return [{"role": "assistant", "content": f"[looked up {item.content['item']['id']}]"}]

    items = [_memory(SEARCH), _memory({**IMAGE, "result": None})]
    tool = HiddenContextItem(
        id="t",
        thread_id="thr_1",
        created_at=utcnow(),
        content={"kind": "bridge.tool_call", "call_id": "c", "name": "f", "output": "x"},
    )

    out = await build_input(
        [*items, tool],
        convert={"web_search_call": search_input, "function_call": lambda item: []},
        hosted="items",
    )

    assert out == [
        {"role": "assistant", "content": "[looked up ws_1]"},
        {
            "role": "assistant",
            "content": "[Generated an image (1024x1024, png); "
            "prompt: a red bicycle by the Colosseum]",
        },
    ]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            {
                "type": "file_search_call",
                "id": "fs_1",
                "status": "completed",
                "queries": ["refund policy"],
                "results": [{"filename": "policy.md", "text": "Refunds within 30 days."}],
            },
            "Searched files for “refund policy”\n- policy.md: Refunds within 30 days.",
        ),
        (
            {
                "type": "code_interpreter_call",
                "id": "ci_1",
                "status": "completed",
                "container_id": "cntr_1",
                "code": "print(6 * 7)",
                "outputs": [{"type": "logs", "logs": "42"}],
            },
            "Ran code:\nprint(6 * 7)\nOutput: 42",
        ),
        (
            {
                "type": "mcp_call",
                "id": "mcp_1",
                "server_label": "trips",
                "name": "book",
                "arguments": '{"flight": "FR9012"}',
                "output": "booking TRIP-0001",
            },
            'Called trips.book({"flight": "FR9012"}) → booking TRIP-0001',
        ),
        (
            {
                "type": "web_search_call",
                "id": "ws_9",
                "status": "failed",
                "action": {"type": "open_page", "url": "https://x.example"},
            },
            "Opened the web page https://x.example (status: failed)",
        ),
        (
            {"type": "image_generation_call", "id": "ig_9", "status": "failed"},
            "Tried to generate an image (status: failed)",
        ),
    ],
    ids=["file_search", "code_interpreter", "mcp", "failed_open_page", "failed_image"],
)
def test_summaries_say_what_was_asked_and_found(item: dict[str, Any], expected: str) -> None:
    assert summary({"kind": HOSTED_MEMORY, "item": item}) == expected


async def test_a_stored_record_replays_after_a_reload(store: Store, make_turn: MakeTurn) -> None:
    # The record round-trips through the store's JSON as the provider's item, unchanged.
    turn = await make_turn("weather?")
    # Two calls after one reasoning item: the reasoning goes in once, before the first.
    reasoning = {"type": "reasoning", "id": "rs_9"}
    other = {**SEARCH, "id": "ws_2"}
    for n, item in enumerate((SEARCH, other)):
        kept = _memory(item, reasoning=reasoning)
        await store.add_item(
            USER, kept.model_copy(update={"id": f"m{n}", "thread_id": turn.thread.id})
        )
    history = await store.load_items(USER, turn.thread.id)

    out = await build_input(history, hosted="items")

    assert out[1:] == [reasoning, SEARCH, other]
    assert await build_input(history) == [
        out[0],
        *[{"role": "assistant", "content": SEARCH_NOTE}] * 2,
    ]
