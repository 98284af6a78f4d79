"""Everything the model stream can carry becomes ChatKit events, driven offline by a model
that plays raw Responses events: reasoning streams as it arrives, hosted tool calls show while
they run, image generation becomes a generated_image item, citations become annotations."""

from __future__ import annotations

from typing import Any

from bridge import AgentResponder, Settings
from schemas import AssistantMessageItem, GeneratedImageItem, TaskItem, WorkflowItem

from .conftest import MakeTurn, assert_well_formed, collect, types
from .raw_model import RawModel, message


async def _run(make_turn: MakeTurn, *turns: list[dict[str, Any]]) -> list[Any]:
    responder = AgentResponder(Settings(offline=True), model=RawModel(list(turns)))
    events = await collect(responder, await make_turn("go"))
    assert_well_formed(events)
    return events


def _thought_updates(events: list[Any]) -> list[tuple[str, int, str, str]]:
    return [
        (e.update.type, e.update.task_index, e.update.task.content, e.update.task.status_indicator)
        for e in events
        if e.type == "thread.item.updated" and e.update.type.startswith("workflow.task")
    ]


async def test_reasoning_summary_streams_as_it_arrives(make_turn: MakeTurn) -> None:
    at = {"item_id": "rs_0", "output_index": 0, "summary_index": 0}
    reasoning = [
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "reasoning", "id": "rs_0", "summary": []},
        },
        {
            "type": "response.reasoning_summary_part.added",
            **at,
            "part": {"type": "summary_text", "text": ""},
        },
        {"type": "response.reasoning_summary_text.delta", **at, "delta": "Compare "},
        {"type": "response.reasoning_summary_text.delta", **at, "delta": "the fares."},
        {"type": "response.reasoning_summary_text.done", **at, "text": "Compare the fares."},
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {
                "type": "reasoning",
                "id": "rs_0",
                "summary": [{"type": "summary_text", "text": "Compare the fares."}],
            },
        },
    ]

    events = await _run(make_turn, [*reasoning, *message("The 7:10.", index=1)])

    assert _thought_updates(events) == [
        ("workflow.task.added", 0, "Compare ", "loading"),
        ("workflow.task.updated", 0, "Compare the fares.", "loading"),
        ("workflow.task.updated", 0, "Compare the fares.", "complete"),
    ]
    [done] = [e.item for e in events if e.type == "thread.item.done" and e.item.type == "workflow"]
    assert isinstance(done, WorkflowItem) and done.workflow.type == "reasoning"
    assert [t.content for t in done.workflow.tasks] == ["Compare the fares."]
    assert types(events).index("thread.item.done:workflow") < types(events).index(
        "thread.item.added:assistant_message"
    )


async def test_reasoning_text_streams_too(make_turn: MakeTurn) -> None:
    # Open-weight models stream their raw reasoning text, not a summary.
    at = {"item_id": "rs_0", "output_index": 0, "content_index": 0}
    reasoning = [
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "reasoning", "id": "rs_0", "summary": []},
        },
        {"type": "response.reasoning_text.delta", **at, "delta": "hmm, "},
        {"type": "response.reasoning_text.delta", **at, "delta": "cheap first"},
        {"type": "response.reasoning_text.done", **at, "text": "hmm, cheap first"},
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {"type": "reasoning", "id": "rs_0", "summary": []},
        },
    ]

    events = await _run(make_turn, [*reasoning, *message("Done.", index=1)])

    assert _thought_updates(events) == [
        ("workflow.task.added", 0, "hmm, ", "loading"),
        ("workflow.task.updated", 0, "hmm, cheap first", "loading"),
        ("workflow.task.updated", 0, "hmm, cheap first", "complete"),
    ]


async def test_a_hosted_web_search_shows_while_it_runs(make_turn: MakeTurn) -> None:
    search = {
        "type": "web_search_call",
        "id": "ws_0",
        "status": "in_progress",
        "action": {"type": "search", "query": "rome weather"},
    }
    done = {
        **search,
        "status": "completed",
        "action": {
            "type": "search",
            "query": "rome weather",
            "sources": [{"type": "url", "url": "https://weather.example/rome"}],
        },
    }
    events = await _run(
        make_turn,
        [
            {"type": "response.output_item.added", "output_index": 0, "item": search},
            {"type": "response.web_search_call.searching", "output_index": 0, "item_id": "ws_0"},
            {"type": "response.output_item.done", "output_index": 0, "item": done},
            *message("Sunny.", index=1),
        ],
    )

    kinds = types(events)
    assert kinds[:2] == ["thread.item.added:task", "thread.item.done:task"]
    running, finished = events[0].item, events[1].item
    assert isinstance(running, TaskItem) and isinstance(finished, TaskItem)
    assert running.id == finished.id
    assert (running.task.type, running.task.status_indicator) == ("web_search", "loading")
    assert running.task.title == "Searching the web…"
    assert finished.task.status_indicator == "complete"
    assert finished.task.queries == ["rome weather"]
    assert [s.url for s in finished.task.sources] == ["https://weather.example/rome"]
    assert kinds[2] == "thread.item.added:assistant_message"


async def test_image_generation_is_a_generated_image_with_partials(make_turn: MakeTurn) -> None:
    call = {"type": "image_generation_call", "id": "ig_0", "status": "in_progress"}
    events = await _run(
        make_turn,
        [
            {"type": "response.output_item.added", "output_index": 0, "item": call},
            {
                "type": "response.image_generation_call.partial_image",
                "output_index": 0,
                "item_id": "ig_0",
                "partial_image_b64": "UEFSVA==",
                "partial_image_index": 0,
            },
            {
                "type": "response.output_item.done",
                "output_index": 0,
                "item": {
                    **call,
                    "status": "completed",
                    "result": "RklOQUw=",
                    "output_format": "webp",
                },
            },
            *message("Here it is.", index=1),
        ],
    )

    kinds = types(events)
    assert kinds[:3] == [
        "thread.item.added:generated_image",
        "generated_image.updated",
        "thread.item.done:generated_image",
    ]
    assert events[1].update.image.url == "data:image/png;base64,UEFSVA=="
    final = events[2].item
    assert isinstance(final, GeneratedImageItem) and final.image is not None
    assert final.image.url == "data:image/webp;base64,RklOQUw="
    assert final.id == events[0].item.id


async def test_citations_become_annotations_even_only_in_the_finished_part(
    make_turn: MakeTurn,
) -> None:
    cites = [
        {
            "type": "url_citation",
            "url": "https://a.example",
            "title": "A",
            "start_index": 0,
            "end_index": 4,
        },
        {"type": "file_citation", "file_id": "file_1", "filename": "fares.pdf", "index": 9},
    ]
    events = await _run(
        make_turn, message("Fares are low.", annotations=cites, stream_annotations=False)
    )

    kinds = types(events)
    added = [
        e.update
        for e in events
        if e.type == "thread.item.updated"
        and e.update.type == "assistant_message.content_part.annotation_added"
    ]
    assert [a.annotation_index for a in added] == [0, 1]
    assert kinds.index("assistant_message.content_part.annotation_added") < kinds.index(
        "assistant_message.content_part.done"
    )
    final = events[-1].item
    assert isinstance(final, AssistantMessageItem)
    sources = [a.source for a in final.content[0].annotations]
    assert [(s.type, s.title) for s in sources] == [("url", "A"), ("file", "fares.pdf")]
    assert [a.index for a in final.content[0].annotations] == [4, 9]
