"""Item reads and feedback: items.list, items.feedback."""

from __future__ import annotations

from starlette.responses import Response

from schemas import ItemsFeedbackReq, ItemsListReq

from ..context import RequestContext
from ..errors import BadRequest
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
    return json_response(ctx.services.files.resign_previews(page.to_json(), ctx.user_id))


# A response is a handful of items; the cap keeps one statement under PostgreSQL's 65,535
# parameters (issue 15: 70,000 ids were a 503 the widget retried).
MAX_FEEDBACK_ITEMS = 1000


async def add_feedback(ctx: RequestContext, req: ItemsFeedbackReq) -> Response:
    """Store a thumbs up or down on items of the thread; no items is a no-op (`{}`)."""
    params = req.params
    if not params.item_ids:
        await ctx.store.load_thread(ctx.user_id, params.thread_id)  # still 404 if not theirs
        return json_response(EMPTY_OBJECT)
    if len(params.item_ids) > MAX_FEEDBACK_ITEMS:
        raise BadRequest(
            f"item_ids names {len(params.item_ids)} items; the limit is {MAX_FEEDBACK_ITEMS}",
            code="invalid_params",
        )
    await ctx.store.add_feedback(ctx.user_id, params.thread_id, params.item_ids, params.kind)
    return json_response(EMPTY_OBJECT)
