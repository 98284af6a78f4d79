"""Attachments: attachments.create (two-phase), attachments.delete, and the upload and
content routes. Bytes go to `AttachmentFiles` (disk or database)."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from schemas import (
    Attachment,
    AttachmentCreateParams,
    AttachmentsCreateReq,
    AttachmentsDeleteReq,
    AttachmentUploadDescriptor,
    FileAttachment,
    ImageAttachment,
    encode,
)

from ..attachment_quota import check_quota
from ..auth import Principal
from ..context import RequestContext, Services
from ..errors import BadRequest, Conflict, NotFoundError, PayloadTooLarge
from ..ids import new_id
from ..limits import read_body
from ..mediatypes import RASTER_TYPES, InvalidMediaType, parse_media_type, sniff_raster
from .common import EMPTY_OBJECT, json_response

UPLOAD_PATH = "/attachments/{attachment_id}/upload"
CONTENT_PATH = "/attachments/{attachment_id}/content"

# File systems cap names at 255 bytes; a longer name is not a file's (issue 15: 1 MB names).
MAX_NAME_CHARS = 255
# Attachment bytes are the client's: whatever they are, they never run as a page of this origin
# (issue 15: an SVG preview with a <script> read the console's token).
CONTENT_SECURITY_POLICY = "default-src 'none'; sandbox"


async def create_attachment(ctx: RequestContext, req: AttachmentsCreateReq) -> Response:
    """Register an attachment and answer it with an absolute upload URL on this bridge."""
    attachment = _new_attachment(ctx, req.params, two_phase=True)
    await check_quota(ctx.store, ctx.settings, ctx.user_id, req.params.size)
    await ctx.store.add_attachment(
        ctx.user_id, attachment, size=req.params.size, storage=ctx.services.files.storage
    )
    return json_response(encode(attachment))


async def delete_attachment(ctx: RequestContext, req: AttachmentsDeleteReq) -> Response:
    """Delete an attachment and its bytes."""
    stored = await ctx.store.delete_attachment(ctx.user_id, req.params.attachment_id)
    await ctx.services.files.remove(stored.attachment.id, stored.storage)
    return json_response(EMPTY_OBJECT)


async def direct_upload(ctx: RequestContext) -> Response:
    """`POST <path>/attachments`: multipart field `file`; answers the attachment."""
    upload = await _read_upload(ctx.request, ctx.settings.max_upload_bytes)
    content = upload.content
    params = AttachmentCreateParams(
        name=upload.filename or "upload",
        size=len(content),
        mime_type=_mime(upload.content_type, upload.filename),
    )
    attachment = _new_attachment(ctx, params, two_phase=False)
    _check_bytes(attachment.mime_type, content)
    await check_quota(ctx.store, ctx.settings, ctx.user_id, len(content))
    await ctx.store.add_attachment(
        ctx.user_id, attachment, size=len(content), storage=ctx.services.files.storage
    )
    await ctx.services.files.write(ctx.user_id, attachment.id, content)
    return json_response(encode(attachment))


async def receive_upload(services: Services, request: Request) -> Response:
    """The two-phase upload URL: multipart POST (field `file`) or a raw PUT body."""
    attachment_id = request.path_params["attachment_id"]
    user_id = await _signed_url_user(services, request, "upload")
    stored = await services.store.load_attachment(user_id, attachment_id)
    if stored.uploaded:
        # An upload URL is good for one upload: it never rewrites bytes a message may show.
        raise Conflict(
            f"attachment {attachment_id!r} was already uploaded", code="already_uploaded"
        )
    limit = services.settings.max_upload_bytes
    if request.method == "PUT":
        content = await read_body(request, limit)
    else:
        content = (await _read_upload(request, limit)).content
    if len(content) > limit:
        raise PayloadTooLarge(_too_large(len(content), limit), code="upload_too_large")
    _check_bytes(stored.attachment.mime_type, content)
    await services.files.write(user_id, attachment_id, content)
    answer = stored.attachment.model_copy(update={"upload_descriptor": None})
    await services.store.save_attachment(user_id, answer)
    return json_response(encode(answer))


async def send_content(services: Services, request: Request) -> Response:
    """An attachment's bytes, for its owner's signed URL (image previews in the widget)."""
    attachment_id = request.path_params["attachment_id"]
    user_id = await _signed_url_user(services, request, "content")
    stored = await services.store.load_attachment(user_id, attachment_id)
    content = await services.files.read(user_id, attachment_id)
    if content is None:
        raise NotFoundError(f"attachment {attachment_id!r} has no content yet")
    attachment = stored.attachment
    try:
        essence = parse_media_type(attachment.mime_type).essence
    except InvalidMediaType:  # a row stored before types were checked
        essence = "application/octet-stream"
    # Inline only for a raster image whose bytes are what it says (rows from before the upload
    # check included); anything else is a download.
    inline = essence in RASTER_TYPES and sniff_raster(content) == essence
    disposition = "inline" if inline else "attachment"
    return Response(
        content,
        media_type=essence if inline else "application/octet-stream",
        headers={
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(attachment.name)}",
        },
    )


async def _signed_url_user(services: Services, request: Request, purpose: str) -> str:
    """The owner a signed upload or preview URL names, through the gate (rate limits)."""

    async def check(request: Request) -> Principal:
        token = request.query_params.get("token", "")
        attachment_id = request.path_params["attachment_id"]
        return Principal(services.files.verify(token, attachment_id, purpose))

    principal = await services.gate.admit(request, check, files=True)
    return principal.user_id


def _new_attachment(
    ctx: RequestContext, params: AttachmentCreateParams, *, two_phase: bool
) -> Attachment:
    limit = ctx.settings.max_upload_bytes
    if params.size > limit:
        raise PayloadTooLarge(_too_large(params.size, limit), code="upload_too_large")
    name = params.name.strip()
    if not name:
        raise BadRequest("attachment name is empty", code="invalid_params")
    if len(name) > MAX_NAME_CHARS:
        raise BadRequest(
            f"attachment name is longer than {MAX_NAME_CHARS} characters", code="invalid_params"
        )
    try:
        media_type = parse_media_type(params.mime_type)
    except InvalidMediaType as exc:
        raise BadRequest(f"mime_type: {exc}", code="invalid_params") from None
    mime_type = str(media_type)
    attachment_id = new_id("atc")
    files = ctx.services.files
    base = ctx.base_url() + ctx.settings.path
    descriptor = None
    if two_phase:
        token = files.sign(ctx.user_id, attachment_id, "upload")
        descriptor = AttachmentUploadDescriptor(
            url=f"{base}{UPLOAD_PATH.format(attachment_id=attachment_id)}?token={token}",
            method="POST",
        )
    # Only images a browser shows from an <img> get a preview; an SVG, HEIC or TIFF is a file
    # (its content URL is a download, which no preview could render).
    if media_type.essence in RASTER_TYPES:
        token = files.sign(ctx.user_id, attachment_id, "content")
        return ImageAttachment(
            id=attachment_id,
            name=name,
            mime_type=mime_type,
            upload_descriptor=descriptor,
            preview_url=f"{base}{CONTENT_PATH.format(attachment_id=attachment_id)}?token={token}",
        )
    return FileAttachment(
        id=attachment_id, name=name, mime_type=mime_type, upload_descriptor=descriptor
    )


def _check_bytes(mime_type: str, content: bytes) -> None:
    """Refuse a raster image whose bytes are not that image (HTML declared `image/png`...)."""
    try:
        essence = parse_media_type(mime_type).essence
    except InvalidMediaType:  # a row stored before types were checked: served as a download
        return
    if essence in RASTER_TYPES and sniff_raster(content) != essence:
        raise BadRequest(f"the uploaded bytes are not a {mime_type} image", code="content_mismatch")


@dataclass(frozen=True)
class _Upload:
    content: bytes
    filename: str | None
    content_type: str | None


async def _read_upload(request: Request, limit: int) -> _Upload:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise PayloadTooLarge(_too_large(int(declared), limit), code="upload_too_large")
    try:
        form = await request.form(max_files=1, max_fields=10, max_part_size=limit + 1)
    except Exception as exc:  # malformed multipart, or a part past max_part_size
        raise BadRequest(
            f"could not read the multipart upload: {exc}", code="invalid_upload"
        ) from None
    # Closing the form closes its spooled temporary files (Starlette never does it for us).
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise BadRequest(
                "the upload needs a multipart file field named 'file'", code="invalid_upload"
            )
        if upload.size is not None and upload.size > limit:
            raise PayloadTooLarge(_too_large(upload.size, limit), code="upload_too_large")
        return _Upload(await upload.read(), upload.filename, upload.content_type)
    finally:
        await form.close()


def _mime(content_type: str | None, filename: str | None) -> str:
    if content_type and content_type != "application/octet-stream":
        return content_type
    guessed, _ = mimetypes.guess_type(filename or "")
    return guessed or "application/octet-stream"


def _too_large(size: int, limit: int) -> str:
    return f"the file is {size} bytes; the limit is {limit} bytes"
