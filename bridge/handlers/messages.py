"""Turns: create, add_user_message, retry_after_item, add_client_tool_output,
add_structured_input. Each checks and authorises before the stream starts (4xx JSON), then
hands the answer to the turn pipeline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from starlette.responses import Response

from db.store import wire_thread
from schemas import (
    ClientToolCallItem,
    InferenceOptions,
    StructuredInputAnswer,
    StructuredInputItem,
    StructuredInputMultipleChoice,
    StructuredInputSubmission,
    ThreadCreatedEvent,
    ThreadItem,
    ThreadItemDoneEvent,
    ThreadItemReplacedEvent,
    ThreadMetadata,
    ThreadsAddClientToolOutputReq,
    ThreadsAddStructuredInputReq,
    ThreadsAddUserMessageReq,
    ThreadsCreateReq,
    ThreadsRetryAfterItemReq,
    ThreadStreamEvent,
    UserMessageInput,
    UserMessageItem,
    utcnow,
)

from ..context import RequestContext
from ..errors import BadRequest, Conflict, PayloadTooLarge, TurnFailed
from ..ids import new_id
from ..responder import Turn
from .common import new_lease, open_stream, start_turn, take_lease

ItemT = TypeVar("ItemT", bound=ThreadItem)

PENDING_TOOL_LOOKBACK = 20
NOTHING_PENDING_MESSAGE = (
    "Nothing was waiting for this result any more, so it was not used. Send a message to continue."
)


async def create_thread(ctx: RequestContext, req: ThreadsCreateReq) -> Response:
    """A new thread from its first message: `thread.created` first, then the user echo."""
    thread = ThreadMetadata(id=new_id("thr"), created_at=utcnow())
    item = await _user_item(ctx, thread.id, req.params.input)
    # The thread, its first message and its lease are stored in one transaction before the
    # stream starts: a client that hangs up before reading `thread.created` (or a database
    # that fails in between) must not leave a thread without its message.
    lease = new_lease(ctx, thread.id)
    await lease.create_thread(thread, item)
    await _link_attachments(ctx, item)
    created = ThreadCreatedEvent(thread=wire_thread(thread))
    echo = ThreadItemDoneEvent(item=item)
    turn = ctx.turn(thread=thread, input=item, inference_options=item.inference_options)
    return open_stream(
        ctx, thread, lease, _respond(ctx, turn), lead=[created, echo], title_from=item, turn=turn
    )


async def add_user_message(ctx: RequestContext, req: ThreadsAddUserMessageReq) -> Response:
    """A message for an existing thread, echoed, then answered.

    One round trip before the echo (issue #13): the thread is authorised, leased and given
    the message by one statement. A message that needs the database to be checked (its
    attachments) or that is invalid first loads the thread, so an unknown thread stays a 404.
    """
    thread_id = req.params.thread_id
    given = req.params.input
    if given.attachments or _invalid(ctx, given):
        await _open_thread(ctx, thread_id)
    item = await _user_item(ctx, thread_id, given)
    thread, lease = await start_turn(ctx, thread_id, item)
    await _link_attachments(ctx, item)
    turn = ctx.turn(thread=thread, input=item, inference_options=item.inference_options)
    echo = ThreadItemDoneEvent(item=item)
    return open_stream(
        ctx, thread, lease, _respond(ctx, turn), lead=[echo], title_from=item, turn=turn
    )


async def retry_after_item(ctx: RequestContext, req: ThreadsRetryAfterItemReq) -> Response:
    """Drop everything after a user message and answer it again (no echo)."""
    thread, item = await _open_item(ctx, req, UserMessageItem, "; retry needs a user message")
    lease = await take_lease(ctx, thread.id)
    turn = ctx.turn(thread=thread, input=item, inference_options=item.inference_options)

    async def answer() -> AsyncIterator[ThreadStreamEvent]:
        await ctx.store.delete_items_after(ctx.user_id, thread.id, item.id)
        async for event in ctx.services.responder.respond(turn):
            yield event

    return open_stream(ctx, thread, lease, answer, title_from=item, turn=turn)


async def add_client_tool_output(
    ctx: RequestContext, req: ThreadsAddClientToolOutputReq
) -> Response:
    """Complete the latest pending client tool call with the page's result, then answer.

    With no call pending (the page answered twice, or the thread moved on) nothing changes and
    the stream says so in an `error` event the widget shows: a 4xx on a streaming op would be
    silent in the widget, and answering again would repeat the last answer.
    """
    thread = await _open_thread(ctx, req.params.thread_id)
    recent = await ctx.store.load_items(ctx.user_id, thread.id, last=PENDING_TOOL_LOOKBACK)
    pending = [
        item for item in recent if isinstance(item, ClientToolCallItem) and item.status == "pending"
    ]
    lease = await take_lease(ctx, thread.id)
    turn = ctx.turn(thread=thread, inference_options=_continued_options(recent))
    if not pending:
        return open_stream(ctx, thread, lease, _nothing_pending)
    call = pending[-1].model_copy(update={"status": "completed", "output": req.params.result})

    async def answer() -> AsyncIterator[ThreadStreamEvent]:
        await lease.save_item(call)
        for stale in pending[:-1]:  # an unanswered older call can never complete now
            await lease.delete_item(stale.id)
        async for event in ctx.services.responder.respond(turn):
            yield event

    return open_stream(ctx, thread, lease, answer)


async def add_structured_input(ctx: RequestContext, req: ThreadsAddStructuredInputReq) -> Response:
    """Record the answers (`thread.item.replaced`), then answer."""
    thread, item = await _open_item(ctx, req, StructuredInputItem, ", not a structured input")
    if item.status != "pending":
        raise Conflict(
            f"structured input {item.id!r} was already {item.status}", code="already_answered"
        )
    answered = apply_submission(item, req.params.input)
    recent = await ctx.store.load_items(ctx.user_id, thread.id, last=PENDING_TOOL_LOOKBACK)
    lease = await take_lease(ctx, thread.id)
    turn = ctx.turn(thread=thread, inference_options=_continued_options(recent))

    async def answer() -> AsyncIterator[ThreadStreamEvent]:
        yield ThreadItemReplacedEvent(item=answered)
        async for event in ctx.services.responder.respond(turn):
            yield event

    return open_stream(ctx, thread, lease, answer)


def apply_submission(
    item: StructuredInputItem, submission: StructuredInputSubmission
) -> StructuredInputItem:
    """The item with each question answered or skipped; a single choice keeps one value."""
    answered = item.model_copy(deep=True)
    for question in answered.inputs:
        given = submission.answers.get(question.id)
        if submission.status == "skipped" or given is None or given.skipped or not given.values:
            question.answer = StructuredInputAnswer(skipped=True)
            continue
        values = given.values
        if isinstance(question, StructuredInputMultipleChoice) and not question.multiple:
            values = values[:1]
        question.answer = StructuredInputAnswer(values=values)
    answered.status = submission.status
    return answered


def _continued_options(recent: list[ThreadItem]) -> InferenceOptions:
    """A continuation answers on the model the user picked for their last message; the tool
    menu's choice is not carried over (forcing the tool again would call it again)."""
    for item in reversed(recent):
        if isinstance(item, UserMessageItem):
            return InferenceOptions(model=item.inference_options.model)
    return InferenceOptions()


async def _nothing_pending() -> AsyncIterator[ThreadStreamEvent]:
    raise TurnFailed(NOTHING_PENDING_MESSAGE, reason="no_pending_tool_call")
    yield  # an async generator that ends at once


def _respond(ctx: RequestContext, turn: Turn) -> Callable[[], AsyncIterator[ThreadStreamEvent]]:
    def answer() -> AsyncIterator[ThreadStreamEvent]:
        return ctx.services.responder.respond(turn)

    return answer


async def _open_thread(ctx: RequestContext, thread_id: str) -> ThreadMetadata:
    thread = await ctx.store.load_thread(ctx.user_id, thread_id)
    if thread.status.type != "active":
        raise Conflict(f"thread {thread_id!r} is {thread.status.type}", code="thread_not_active")
    return thread


async def _open_item(
    ctx: RequestContext,
    req: ThreadsRetryAfterItemReq | ThreadsAddStructuredInputReq,
    kind: type[ItemT],
    mismatch: str,
) -> tuple[ThreadMetadata, ItemT]:
    """The active thread and the item the request names, which must be a `kind` (else a 400
    whose message ends with `mismatch`)."""
    thread = await _open_thread(ctx, req.params.thread_id)
    item = await ctx.store.load_item(ctx.user_id, thread.id, req.params.item_id)
    if not isinstance(item, kind):
        raise BadRequest(f"item {item.id!r} is a {item.type}{mismatch}", code="invalid_params")
    return thread, item


def _invalid(ctx: RequestContext, given: UserMessageInput) -> bool:
    """Whether `_user_item` will refuse the message without asking the database."""
    try:
        _check_message(ctx, given)
    except (BadRequest, PayloadTooLarge):
        return True
    return False


def _check_message(ctx: RequestContext, given: UserMessageInput) -> None:
    text_chars = sum(len(part.text) for part in given.content)
    if text_chars > ctx.settings.max_message_chars:
        raise PayloadTooLarge(
            f"message is {text_chars} characters; the limit is {ctx.settings.max_message_chars}",
            code="message_too_long",
        )
    if (
        not any(part.text.strip() for part in given.content)
        and not given.attachments
        and not (given.quoted_text or "").strip()
    ):
        raise BadRequest("the message is empty", code="empty_message")


async def _user_item(
    ctx: RequestContext, thread_id: str, given: UserMessageInput
) -> UserMessageItem:
    """The user message item, checked: not empty, within limits, attachments uploaded."""
    _check_message(ctx, given)
    attachments = []
    for attachment_id in dict.fromkeys(given.attachments):
        stored = await ctx.store.load_attachment(ctx.user_id, attachment_id)
        if not stored.uploaded:
            raise BadRequest(
                f"attachment {attachment_id!r} has not been uploaded",
                code="attachment_not_uploaded",
            )
        if stored.attachment.thread_id not in (None, thread_id):
            raise BadRequest(
                f"attachment {attachment_id!r} belongs to another thread", code="invalid_params"
            )
        update: dict[str, object] = {"thread_id": thread_id}
        preview = getattr(stored.attachment, "preview_url", None)
        if preview:  # its token expires: the message carries a fresh one (issue 15)
            resigned = ctx.services.files.resign_previews(preview.encode(), ctx.user_id)
            update["preview_url"] = resigned.decode()
        attachments.append(stored.attachment.model_copy(update=update))
    return UserMessageItem(
        id=new_id("msg"),
        thread_id=thread_id,
        created_at=utcnow(),
        content=given.content,
        attachments=attachments,
        quoted_text=given.quoted_text,
        inference_options=given.inference_options,
    )


async def _link_attachments(ctx: RequestContext, item: UserMessageItem) -> None:
    for attachment in item.attachments:
        await ctx.store.save_attachment(ctx.user_id, attachment)
