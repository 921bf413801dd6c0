"""The upload store: files named by the sha256 of their content, received as a stream.

Every uploaded file of every package (lesson pictures, homework attachments) lives here.
Files live under ``<uploads_dir>/<sha[:2]>/<sha>``: the same content uploaded twice is
stored once, and a name never changes meaning. Writing goes through a temporary file in
the same directory tree and an atomic rename, so a reader never sees half a file.
The functions here do blocking file I/O: call them through ``asyncio.to_thread``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from eschool.errors import BadRequest, TooLarge, UnsupportedType
from eschool.i18n import gettext as _

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
# Room for the multipart boundaries and part headers around the file itself.
MULTIPART_OVERHEAD = 16 * 1024
_CHUNK = 256 * 1024
_TEMP_DIR = "tmp"


@dataclass(frozen=True)
class StoredFile:
    """A file now in the store."""

    sha256: str
    size: int


def stored_path(uploads_dir: Path, sha256: str) -> Path:
    """Where the file with this sha256 lives (whether or not it exists)."""
    if not SHA256_HEX.fullmatch(sha256):
        raise ValueError("not a sha256 hex digest")
    return uploads_dir / sha256[:2] / sha256


def store_stream(uploads_dir: Path, source: BinaryIO) -> StoredFile:
    """Copy a readable binary stream into the store; return its sha256 and size."""
    temp_dir = uploads_dir / _TEMP_DIR
    temp_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temp_name = tempfile.mkstemp(dir=temp_dir)
    try:
        with os.fdopen(handle, "wb") as target:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
        sha256 = digest.hexdigest()
        final = stored_path(uploads_dir, sha256)
        if final.exists():
            os.unlink(temp_name)
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp_name, final)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return StoredFile(sha256=sha256, size=size)


def store_bytes(uploads_dir: Path, content: bytes) -> StoredFile:
    """Put bytes into the store (a no-op when the same content is there already)."""
    sha256 = hashlib.sha256(content).hexdigest()
    if stored_path(uploads_dir, sha256).exists():
        return StoredFile(sha256=sha256, size=len(content))
    return store_stream(uploads_dir, io.BytesIO(content))


def read_stored(uploads_dir: Path, sha256: str) -> bytes:
    """The content of a stored file (FileNotFoundError when it is missing)."""
    return stored_path(uploads_dir, sha256).read_bytes()


async def receive_upload(request: Request, *, limit: int, field: str = "file") -> UploadFile:
    """The one file of a ``multipart/form-data`` request, refused while it streams in.

    413 when the declared or the received size passes ``limit`` (nothing beyond it is
    read), 415 for a body that is not multipart, 400 when the form has no such file.
    The caller closes the returned file.
    """
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UnsupportedType(_("Send the file as multipart/form-data."))
    body_limit = limit + MULTIPART_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > body_limit:
        raise TooLarge(_("The file is larger than the limit of {size}.", size=human_size(limit)))
    received = 0
    too_large = False

    async def counted_body() -> AsyncGenerator[bytes, None]:
        nonlocal received, too_large
        async for chunk in request.stream():
            received += len(chunk)
            if received > body_limit:
                too_large = True
                # Raised as the parser's own error, so that it closes its spooled files.
                raise MultiPartException("too large")
            yield chunk

    parser = MultiPartParser(request.headers, counted_body(), max_files=1, max_fields=10)
    try:
        form = await parser.parse()
    except MultiPartException as error:
        if too_large:
            raise TooLarge(
                _("The file is larger than the limit of {size}.", size=human_size(limit))
            ) from error
        raise BadRequest(_("The upload could not be read."), code="bad_upload") from error
    upload = form.get(field)
    _close_cut_off_parts(parser, keep=upload)
    if not isinstance(upload, UploadFile):
        await form.close()
        raise BadRequest(_("Send the file in the form field “{field}”.", field=field))
    if (upload.size or 0) > limit:
        await form.close()
        raise TooLarge(_("The file is larger than the limit of {size}.", size=human_size(limit)))
    return upload


def _close_cut_off_parts(parser: MultiPartParser, *, keep: object) -> None:
    """Close the spool file of a part the body cut off before its end: Starlette's parser
    opened it but, with no error raised, neither returns nor closes it."""
    kept = keep.file if isinstance(keep, UploadFile) else None
    for spooled in getattr(parser, "_files_to_close_on_error", ()):
        if spooled is not kept and not spooled.closed:
            spooled.close()


def human_size(size: int) -> str:
    """A byte count for people: ``512 B``, ``12 KB``, ``3.4 MB``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size // 1024} KB"
    return f"{size / (1024 * 1024):.1f} MB"
