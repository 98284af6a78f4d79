"""Thread items in, model input out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bridge.agent.history import build_input
from schemas import (
    AssistantMessageContent,
    AssistantMessageItem,
    ClientToolCallItem,
    EndOfTurnItem,
    FileAttachment,
    HiddenContextItem,
    ImageAttachment,
    SDKHiddenContextItem,
    UserMessageItem,
    UserMessageTagContent,
    UserMessageTextContent,
    WidgetItem,
    Workflow,
    WorkflowItem,
)

T = datetime(2026, 1, 1, tzinfo=UTC)
BASE: dict[str, Any] = {"thread_id": "thr_1", "created_at": T}


def _user(text: str, **fields: Any) -> UserMessageItem:
    return UserMessageItem(id="u", content=[UserMessageTextContent(text=text)], **BASE, **fields)


async def test_a_conversation() -> None:
    items = [
        _user("add milk"),
        AssistantMessageItem(id="a", content=[AssistantMessageContent(text="Added.")], **BASE),
        SDKHiddenContextItem(id="h", content="The user stopped the previous answer.", **BASE),
        HiddenContextItem(id="h2", content={"plan": "pro"}, **BASE),
        WorkflowItem(id="w", workflow=Workflow(type="reasoning"), **BASE),
        EndOfTurnItem(id="e", **BASE),
        WidgetItem(id="wd", widget={"type": "ListView"}, copy_text="[ ] 1. milk", **BASE),
        ClientToolCallItem(
            id="c1",
            status="completed",
            call_id="call_a",
            name="get_location",
            arguments={"precise": True},
            output={"city": "Oslo"},
            **BASE,
        ),
        ClientToolCallItem(
            id="c2", status="pending", call_id="call_b", name="get_location", **BASE
        ),
    ]

    out = await build_input(items)

    assert out == [
        {"role": "user", "content": [{"type": "input_text", "text": "add milk"}]},
        {"role": "assistant", "content": "Added."},
        {"role": "user", "content": "[Context: The user stopped the previous answer.]"},
        {"role": "user", "content": '[Context: {"plan": "pro"}]'},
        {"role": "assistant", "content": "[Shown to the user: [ ] 1. milk]"},
        {
            "type": "function_call",
            "call_id": "call_a",
            "name": "get_location",
            "arguments": '{"precise": true}',
        },
        {"type": "function_call_output", "call_id": "call_a", "output": '{"city": "Oslo"}'},
    ]


async def test_tags_quotes_and_attachments_are_described() -> None:
    item = UserMessageItem(
        id="u",
        content=[
            UserMessageTextContent(text="finish "),
            UserMessageTagContent(id="task-3", text="pay rent", data={"task_id": 3}, group="task"),
        ],
        quoted_text="line one\nline two",
        attachments=[
            FileAttachment(id="att_1", name="notes.txt", mime_type="text/plain"),
            ImageAttachment(
                id="att_2", name="cat.png", mime_type="image/png", preview_url="https://x/cat.png"
            ),
        ],
        **BASE,
    )

    [message] = await build_input([item])

    text = message["content"][0]["text"]
    assert text.endswith("\n\nfinish @pay rent")
    assert "> line one\n> line two" in text
    assert '@pay rent refers to task task-3: {"task_id": 3}' in text
    assert "“notes.txt” (text/plain)" in text and "“cat.png” (image/png)" in text


async def test_attachment_reader_hook_supplies_content() -> None:
    item = _user(
        "what is this?",
        attachments=[
            ImageAttachment(
                id="att_2", name="cat.png", mime_type="image/png", preview_url="https://x/cat.png"
            ),
        ],
    )

    async def read(attachment: Any) -> list[dict[str, Any]]:
        return [{"type": "input_image", "image_url": f"data:{attachment.mime_type};base64,AAAA"}]

    [message] = await build_input([item], read_attachment=read)

    assert message["content"] == [
        {"type": "input_text", "text": "what is this?"},
        {"type": "input_image", "image_url": "data:image/png;base64,AAAA"},
    ]
