"""Widget and client actions: threads.custom_action (streams), threads.sync_custom_action."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.responses import Response

from schemas import (
    SyncCustomActionResponse,
    ThreadCustomActionParams,
    ThreadsCustomActionReq,
    ThreadsSyncCustomActionReq,
    ThreadStreamEvent,
    WidgetItem,
    encode,
)

from ..actions import ActionContext
from ..context import RequestContext
from ..errors import BadRequest
from .common import json_response, open_stream, take_lease


async def custom_action(ctx: RequestContext, req: ThreadsCustomActionReq) -> Response:
    """Run a streaming action handler; its events go through the turn pipeline."""
    handler = ctx.services.actions.streaming_handler(req.params.action.type)
    action_ctx, sender = await _prepare(ctx, req.params)
    lease = await take_lease(ctx, action_ctx.thread.id)

    def answer() -> AsyncIterator[ThreadStreamEvent]:
        return handler(action_ctx, req.params.action, sender)

    return open_stream(ctx, action_ctx.thread, lease, answer)


async def sync_custom_action(ctx: RequestContext, req: ThreadsSyncCustomActionReq) -> Response:
    """Run a sync action handler and answer `{updated_item?}`; the item is stored."""
    handler = ctx.services.actions.sync_handler(req.params.action.type)
    action_ctx, sender = await _prepare(ctx, req.params)
    updated = await handler(action_ctx, req.params.action, sender)
    if updated is not None:
        await ctx.store.save_item(ctx.user_id, updated)
    return json_response(encode(SyncCustomActionResponse(updated_item=updated)))


async def _prepare(
    ctx: RequestContext, params: ThreadCustomActionParams
) -> tuple[ActionContext, WidgetItem | None]:
    thread = await ctx.store.load_thread(ctx.user_id, params.thread_id)
    sender = None
    if params.item_id:
        item = await ctx.store.load_item(ctx.user_id, thread.id, params.item_id)
        if not isinstance(item, WidgetItem):
            raise BadRequest(
                f"item {item.id!r} is a {item.type}; actions come from widget items",
                code="invalid_params",
            )
        sender = item
    return ActionContext(ctx.user_id, thread, ctx.store, ctx.services), sender
