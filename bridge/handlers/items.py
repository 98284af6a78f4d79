"""Item reads and feedback: items.list, items.feedback."""

from __future__ import annotations

from starlette.responses import Response

from schemas import ItemsFeedbackReq, ItemsListReq

from ..context import RequestContext
from .common import EMPTY_OBJECT, json_response, page_limit


async def list_items(ctx: RequestContext, req: ItemsListReq) -> Response:
    """A page of a thread's visible items (stored JSON, sent as is)."""
    params = req.params
    page = await ctx.store.list_items(
        ctx.user_id,
        params.thread_id,
        limit=page_limit(ctx, params.limit),
        order=params.order,
        after=params.after,
    )
    return json_response(page.to_json())


async def add_feedback(ctx: RequestContext, req: ItemsFeedbackReq) -> Response:
    """Store a thumbs up or down on items of the thread; no items is a no-op (`{}`)."""
    params = req.params
    if not params.item_ids:
        await ctx.store.load_thread(ctx.user_id, params.thread_id)  # still 404 if not theirs
        return json_response(EMPTY_OBJECT)
    await ctx.store.add_feedback(ctx.user_id, params.thread_id, params.item_ids, params.kind)
    return json_response(EMPTY_OBJECT)
