"""Thread reads and edits: get_by_id, list, update (rename), delete."""

from __future__ import annotations

from starlette.responses import Response

from db.store import thread_json
from schemas import (
    ThreadsDeleteReq,
    ThreadsGetByIdReq,
    ThreadsListReq,
    ThreadsUpdateReq,
)

from ..context import RequestContext
from ..thread_titles import trim_title
from .common import EMPTY_OBJECT, json_response, page_limit


async def get_thread(ctx: RequestContext, req: ThreadsGetByIdReq) -> Response:
    """The thread with its first page of items, oldest first."""
    thread_id = req.params.thread_id
    thread = await ctx.store.load_thread(ctx.user_id, thread_id)
    page = await ctx.store.list_items(
        ctx.user_id, thread_id, limit=ctx.settings.page_size, order="asc"
    )
    head = thread_json(thread)
    # The metadata JSON ends with an empty items page; put the real page in its place.
    body = head[: head.rindex('"items":')] + '"items":' + page.to_json().decode() + "}"
    # Preview URLs expire: sign them afresh for whoever reads them (issue 15).
    return json_response(ctx.services.files.resign_previews(body.encode(), ctx.user_id))


async def list_threads(ctx: RequestContext, req: ThreadsListReq) -> Response:
    """A page of the user's threads, newest first by default."""
    params = req.params
    page = await ctx.store.list_threads(
        ctx.user_id, limit=page_limit(ctx, params.limit), order=params.order, after=params.after
    )
    return json_response(page.to_json())


async def update_thread(ctx: RequestContext, req: ThreadsUpdateReq) -> Response:
    """Rename a thread; answers the thread. A title past 200 characters is cut (at a word,
    with an ellipsis), as a user renaming a thread expects, rather than refused."""
    thread = await ctx.store.load_thread(ctx.user_id, req.params.thread_id)
    thread.title = trim_title(req.params.title)
    await ctx.store.save_thread(ctx.user_id, thread)
    return json_response(thread_json(thread).encode())


async def delete_thread(ctx: RequestContext, req: ThreadsDeleteReq) -> Response:
    """Delete a thread with its items, feedback and attachments (files too)."""
    removed = await ctx.store.delete_thread(ctx.user_id, req.params.thread_id)
    for stored in removed:
        await ctx.services.files.remove(stored.attachment.id, stored.storage)
    return json_response(EMPTY_OBJECT)
