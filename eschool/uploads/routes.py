"""Routes of the upload store: ``POST /api/v1/assets`` and ``GET /assets/{sha}``.

:func:`file_response` is the one place a stored file becomes an HTTP response (its
headers included); the live lessons' observer route serves through it too.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
from pathlib import Path

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from eschool.api_schema import BINARY, Body, operation
from eschool.errors import NotFound
from eschool.i18n import gettext as _
from eschool.uploads.models import Upload, UploadPublic
from eschool.uploads.queries import upload_for
from eschool.uploads.services import UPLOADER_ROLES, upload_limit, upload_public, upload_store
from eschool.uploads.sniff import ACTIVE_CONTENT_MIMES
from eschool.uploads.store import receive_upload, stored_path
from eschool.web import acting_user, api_endpoint, db, json_ok

# An SVG may carry scripts: it is served sandboxed, never as a page of our origin.
SVG_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'"
# What pages embed (img, audio, video) is served inline; any other type is a download.
EMBEDDED_TYPES = ("image/", "audio/", "video/")
UPLOAD_BODY = Body(
    "multipart/form-data",
    "The file, in the form field `file`.",
    {"type": "object", "properties": {"file": BINARY}, "required": ["file"]},
)
# A stored file answers with its own type (sniffed from its content when it was uploaded).
STORED_FILE = Body("*/*", "The file, with its own media type.")
PART_OF_FILE = Body("*/*", "The byte range asked for with `Range`.")
# One byte-range-spec of RFC 9110 §14.1.2: ``first-last``, ``first-`` or a suffix ``-length``.
RANGE_SPEC = re.compile(r"\s*(?:(\d+)-(\d*)|-(\d+))\s*")


def usable_range(value: str) -> bool:
    """Whether a ``Range`` header asks for parts of the file in a form we answer with 206 (or
    416 when no part of it exists). RFC 9110 §14.2: a Range in a unit other than ``bytes``
    must be ignored, and a malformed one may be: both get the whole file, as a media player
    or download manager expects, instead of a plain-text 400."""
    unit, equals, specs = value.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return False
    for spec in specs.split(","):
        found = RANGE_SPEC.fullmatch(spec)
        if found is None:
            return False
        first, last, _suffix = found.groups()
        if first is not None and last and int(last) < int(first):
            return False
    return True


class StoredFileResponse(FileResponse):
    """A stored file; a ``Range`` header it cannot use is ignored (see :func:`usable_range`)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asked = Headers(scope=scope).get("range")
        if asked is not None and not usable_range(asked):
            kept = [(name, value) for name, value in scope["headers"] if name != b"range"]
            scope = {**scope, "headers": kept}
        await super().__call__(scope, receive, send)


async def file_response(
    uploads_dir: Path, upload: Upload | None, *, embed: bool = False
) -> Response:
    """The stored file of ``upload`` with its type, ``nosniff``, a sandbox for active content
    and private caching; 404 when there is no record or the content is missing.

    Pictures, sound and video are served inline (pages embed them); every other document (a
    PDF, say) is an attachment that the browser downloads, unless ``embed`` says that a page
    shows it in a viewer on purpose.
    """
    if upload is None:
        raise NotFound(_("No such file."))
    path = stored_path(uploads_dir, upload.sha256)
    if not await asyncio.to_thread(path.is_file):
        raise NotFound(_("No such file."))
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=86400",
    }
    if upload.mime in ACTIVE_CONTENT_MIMES:
        headers["Content-Security-Policy"] = SVG_POLICY
    if embed or upload.mime.startswith(EMBEDDED_TYPES):
        return StoredFileResponse(path, media_type=upload.mime, headers=headers)
    extension = mimetypes.guess_extension(upload.mime) or ""
    return StoredFileResponse(
        path,
        media_type=upload.mime,
        headers=headers,
        filename=upload.filename or f"file-{upload.sha256[:8]}{extension}",
        content_disposition_type="attachment",
    )


@api_endpoint(*UPLOADER_ROLES)
@operation(
    "POST",
    "Upload a file",
    description="Staff: every allowed type up to the server's limit; parents and pupils: PDF "
    "and photos, at most 10 MiB a file and 50 MiB a day (429 with `Retry-After` beyond it). "
    "The type comes from the content, never from the name (415 for a refused one).",
    body=UPLOAD_BODY,
    roles=UPLOADER_ROLES,
    responses={201: UploadPublic},
    errors=(429,),
)
async def api_upload(request: Request) -> Response:
    """``POST /api/v1/assets`` (multipart ``file``) → 201 ``{"id","url","mime","size",
    "filename"}``. Staff: every allowed type; parents and pupils: PDF and photos, smaller
    files and a daily quota (:mod:`eschool.uploads.services`)."""
    settings = request.app.state.settings
    actor = acting_user(request)
    upload = await receive_upload(request, limit=upload_limit(actor, settings.upload_limit))
    try:
        record = await upload_store(
            db(request), actor=actor, uploads_dir=settings.uploads_dir, upload=upload
        )
    finally:
        await upload.close()
    return json_ok(upload_public(record), 201)


@api_endpoint()
@operation(
    "GET",
    "A stored file",
    description="For its uploader and for the people something that uses it (a lesson, a "
    "message, a homework, an absence note) lets see it; 404 for everyone else. Pictures, "
    "sound and video are served inline, other documents as a download.",
    responses={200: STORED_FILE, 206: PART_OF_FILE},
    errors=(416,),
)
async def upload_file(request: Request) -> Response:
    """``GET /assets/{sha}``: a stored file, to its uploader and to those a file audience
    lets see something that uses it (404 for everyone else)."""
    record = await upload_for(
        db(request),
        actor=acting_user(request),
        sha256=str(request.path_params["sha"]),
        audiences=request.app.state.file_audiences,
    )
    return await file_response(request.app.state.settings.uploads_dir, record)


routes: list[BaseRoute] = [
    Route("/api/v1/assets", api_upload, methods=["POST"]),
    Route("/api/v1/assets/{sha}", upload_file, methods=["GET"]),
    Route("/assets/{sha}", upload_file, methods=["GET"]),
]
