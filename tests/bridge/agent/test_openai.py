"""The OpenAI paths, with the provider's HTTP answered by a scripted mock transport."""

from __future__ import annotations

import json

import pytest

from bridge.agent import AgentResponder
from bridge.errors import TurnFailed
from bridge.settings import Settings
from bridge.todo.task_store import TaskStore
from bridge.todo.tools import make_responder
from db import Store
from schemas import AssistantMessageItem, WorkflowItem

from . import fakeprovider as fp
from .conftest import USER, MakeTurn, answer_text, assert_well_formed, collect, types


def _settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "openai_api_key": "sk-test",
        "openai_base_url": "http://provider.test/v1",
        "model": "gpt-test",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def provider() -> fp.FakeProvider:
    return fp.FakeProvider()


@pytest.fixture
def responder(provider: fp.FakeProvider) -> AgentResponder:
    return make_responder(_settings(), client=provider.client())


def _deltas(events: list) -> list[str]:
    return [
        e.update.delta
        for e in events
        if e.type == "thread.item.updated" and e.update.type.endswith("text_delta")
    ]


async def test_responses_text_streams_as_deltas(
    responder: AgentResponder, provider: fp.FakeProvider, make_turn: MakeTurn
) -> None:
    provider.replies.append(provider.sse(fp.responses_events(fp.text(["Hel", "lo ", "there."]))))

    events = await collect(responder, await make_turn("hi"))

    assert_well_formed(events)
    assert types(events) == [
        "thread.item.added:assistant_message",
        "assistant_message.content_part.added",
        "assistant_message.content_part.text_delta",
        "assistant_message.content_part.text_delta",
        "assistant_message.content_part.text_delta",
        "assistant_message.content_part.done",
        "thread.item.done:assistant_message",
    ]
    assert _deltas(events) == ["Hel", "lo ", "there."]
    assert answer_text(events) == "Hello there."
    assert events[0].item.id != "msg_p1" and events[0].item.id.startswith("msg_")
    [request] = provider.requests
    assert provider.paths == ["/v1/responses"]
    assert request["model"] == "gpt-test" and request["stream"] is True
    assert request["input"][-1]["content"][0]["text"] == "hi"
    assert {tool["name"] for tool in request["tools"]} >= {"add_task", "list_tasks", "delete_task"}


async def test_responses_function_call_round_trip(
    responder: AgentResponder, provider: fp.FakeProvider, make_turn: MakeTurn, store: Store
) -> None:
    provider.replies += [
        provider.sse(
            fp.responses_events(
                fp.call("add_task", {"title": "buy milk", "due_date": "2030-01-02"})
            )
        ),
        provider.sse(fp.responses_events(fp.text(["Added ", "buy milk."], item_id="msg_p2"))),
    ]

    events = await collect(responder, await make_turn("please remember milk"))

    assert_well_formed(events)
    assert types(events) == [
        "progress_update",
        "client_effect",
        "thread.item.added:assistant_message",
        "assistant_message.content_part.added",
        "assistant_message.content_part.text_delta",
        "assistant_message.content_part.text_delta",
        "assistant_message.content_part.done",
        "thread.item.done:assistant_message",
    ]
    assert events[0].text == "Adding task…"
    [task] = await TaskStore.of(store).list_tasks(USER)
    assert (task["title"], task["due_date"]) == ("buy milk", "2030-01-02")
    second = provider.requests[1]["input"]
    output = next(i for i in second if i.get("type") == "function_call_output")
    assert output["call_id"] == "call_1" and "Added task 1" in output["output"]


async def test_tool_error_goes_back_to_the_model(
    responder: AgentResponder, provider: fp.FakeProvider, make_turn: MakeTurn, store: Store
) -> None:
    provider.replies += [
        provider.sse(fp.responses_events(fp.call("complete_task", {"task_id": 42}))),
        provider.sse(fp.responses_events(fp.text(["No such task."]))),
    ]

    events = await collect(responder, await make_turn("finish 42"))

    assert_well_formed(events)
    output = next(
        i for i in provider.requests[1]["input"] if i.get("type") == "function_call_output"
    )
    assert output["output"] == "There is no task 42."
    assert "client_effect" not in types(events)


async def test_reasoning_summary_and_citations(
    responder: AgentResponder, provider: fp.FakeProvider, make_turn: MakeTurn
) -> None:
    citation = {
        "type": "url_citation",
        "url": "https://example.com/a",
        "title": "Example",
        "start_index": 0,
        "end_index": 5,
    }
    provider.replies.append(
        provider.sse(
            fp.responses_events(
                fp.reasoning(["Thinking about milk.", "Deciding."]),
                fp.text(["Milk ", "is white."], annotations=[citation]),
            )
        )
    )

    events = await collect(responder, await make_turn("what colour is milk"))

    assert_well_formed(events)
    sequence = types(events)
    assert sequence[:6] == [
        "thread.item.added:workflow",
        "workflow.task.added",
        "workflow.task.updated",
        "workflow.task.added",
        "workflow.task.updated",
        "thread.item.done:workflow",
    ]
    workflow = events[5].item
    assert isinstance(workflow, WorkflowItem)
    assert workflow.workflow.type == "reasoning"
    assert [t.content for t in workflow.workflow.tasks] == ["Thinking about milk.", "Deciding."]
    assert "assistant_message.content_part.annotation_added" in sequence
    message = events[-1].item
    assert isinstance(message, AssistantMessageItem)
    [annotation] = message.content[0].annotations
    assert annotation.source.type == "url" and annotation.source.url == "https://example.com/a"
    assert annotation.index == 5


@pytest.mark.parametrize(
    ("reply", "retry", "words", "reason"),
    [
        pytest.param(
            fp.error(401, "Incorrect API key provided"), False, "API key", "model_auth", id="401"
        ),
        pytest.param(
            fp.error(403, "Project lacks access"), False, "API key", "model_auth", id="403"
        ),
        pytest.param(
            fp.error(429, "Rate limit reached"),
            True,
            "rate limiting",
            "model_rate_limited",
            id="429",
        ),
        pytest.param(fp.error(503, "overloaded"), True, "try again", "model_unavailable", id="503"),
        pytest.param(
            fp.error(404, "The model does not exist"),
            False,
            "BRIDGE_MODEL",
            "model_not_found",
            id="404",
        ),
        pytest.param(
            fp.error(400, "Invalid 'input'"),
            False,
            "Invalid 'input'",
            "model_bad_request",
            id="400",
        ),
        pytest.param(
            fp.error(409, "conflicting request"), False, "answered 409", "model_error", id="409"
        ),
        pytest.param(
            fp.refuse_connection,
            True,
            "OPENAI_BASE_URL",
            "model_unreachable",
            id="connection-refused",
        ),
    ],
)
async def test_provider_failures_become_turn_failed(
    provider: fp.FakeProvider,
    make_turn: MakeTurn,
    reply: fp.Reply,
    retry: bool,
    words: str,
    reason: str,
) -> None:
    responder = make_responder(_settings(), client=provider.client())
    provider.replies.append(reply)

    with pytest.raises(TurnFailed) as failed:
        await collect(responder, await make_turn("hi"))

    assert failed.value.allow_retry is retry
    assert words.lower() in failed.value.message.lower()
    # The protocol's code (the widget shows the message); the cause is for the log line.
    assert failed.value.code == "custom"
    assert failed.value.reason == reason
    assert len(provider.requests) == 1


async def test_timeout_is_retryable(make_turn: MakeTurn) -> None:
    import httpx2
    from openai import AsyncOpenAI

    def slow(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("timed out", request=request)

    client = AsyncOpenAI(
        api_key="sk-test",
        base_url="http://provider.test/v1",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(slow)),
    )
    with pytest.raises(TurnFailed) as failed:
        await collect(make_responder(_settings(), client=client), await make_turn("hi"))

    assert failed.value.allow_retry is True
    assert "too long" in failed.value.message
    assert (failed.value.code, failed.value.reason) == ("custom", "model_timeout")


# ---- Chat Completions (Ollama, vLLM…) -------------------------------------------------------


@pytest.fixture
def chat_responder(provider: fp.FakeProvider) -> AgentResponder:
    settings = _settings(model="llama3.2/latest", model_api="chat_completions")
    return make_responder(settings, client=provider.client())


async def test_chat_completions_text(
    chat_responder: AgentResponder, provider: fp.FakeProvider, make_turn: MakeTurn
) -> None:
    provider.replies.append(provider.sse(fp.chat_text(["Hi ", "from ", "llama."]), done=True))

    events = await collect(chat_responder, await make_turn("hello"))

    assert_well_formed(events)
    assert _deltas(events) == ["Hi ", "from ", "llama."]
    assert answer_text(events) == "Hi from llama."
    assert provider.paths == ["/v1/chat/completions"]
    assert provider.requests[0]["model"] == "llama3.2/latest"


async def test_chat_completions_ids_are_ours_and_unique(
    chat_responder: AgentResponder, provider: fp.FakeProvider, make_turn: MakeTurn, store: Store
) -> None:
    provider.replies += [
        provider.sse(fp.chat_call("add_task", {"title": "buy milk"}), done=True),
        provider.sse(fp.chat_text(["Added ", "it."]), done=True),
        provider.sse(fp.chat_call("list_tasks", {"status": "all"}, call_id="call_2"), done=True),
        provider.sse(fp.chat_text(["Here ", "they are."]), done=True),
    ]

    first = await collect(chat_responder, await make_turn("add buy milk"))
    second = await collect(chat_responder, await make_turn("show all"))

    for events in (first, second):
        assert_well_formed(events)
    ids = [e.item.id for e in first + second if e.type == "thread.item.done"]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert all(not i.startswith("__fake_id__") for i in ids)
    assert [t["title"] for t in await TaskStore.of(store).list_tasks(USER)] == ["buy milk"]
    assert types(second)[:2] == ["progress_update", "thread.item.done:widget"]
    # The second turn's history carries the first answer, under our id, not a provider one.
    history = provider.requests[2]["messages"]
    assert any(
        m["role"] == "assistant" and "Added it." in json.dumps(m["content"]) for m in history
    )


async def test_model_names_with_slashes_use_the_explicit_client(
    chat_responder: AgentResponder, provider: fp.FakeProvider, make_turn: MakeTurn
) -> None:
    provider.replies.append(provider.sse(fp.chat_text(["ok"]), done=True))

    await collect(chat_responder, await make_turn("hello"))

    assert provider.requests[0]["model"] == "llama3.2/latest"


async def test_a_turn_never_ends_on_a_bare_progress_update(
    responder: AgentResponder, provider: fp.FakeProvider, make_turn: MakeTurn
) -> None:
    provider.replies += [
        provider.sse(fp.responses_events(fp.call("list_tasks", {"status": "open"}))),
        provider.sse(fp.responses_events()),  # the model ends without a word
    ]

    events = await collect(responder, await make_turn("list"))

    assert_well_formed(events)
    assert types(events)[:2] == ["progress_update", "thread.item.done:widget"]


async def test_empty_answer_after_a_tool_still_ends_with_an_item(
    responder: AgentResponder, provider: fp.FakeProvider, make_turn: MakeTurn
) -> None:
    provider.replies += [
        provider.sse(fp.responses_events(fp.call("complete_task", {"task_id": 7}))),
        provider.sse(fp.responses_events()),
    ]

    events = await collect(responder, await make_turn("finish 7"))

    assert_well_formed(events)
    assert types(events)[0] == "progress_update"
    assert events[-1].type == "thread.item.done"
    assert answer_text(events) == "Done."


@pytest.mark.parametrize(
    ("overrides", "kind"),
    [
        pytest.param({"openai_api_key": None}, "OfflineModel", id="no-key"),
        pytest.param({"offline": True}, "OfflineModel", id="forced-offline"),
        pytest.param({}, "OpenAIResponsesModel", id="responses"),
        pytest.param(
            {"model_api": "chat_completions"}, "OpenAIChatCompletionsModel", id="chat-completions"
        ),
    ],
)
def test_make_responder_picks_the_model(overrides: dict[str, object], kind: str) -> None:
    from bridge.todo.tools import make_responder

    responder = make_responder(_settings(**overrides))

    assert type(responder.catalog.get(None)).__name__ == kind
