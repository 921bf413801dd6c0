"""Writes of the upload store: a file comes in, its type is sniffed, its record is kept.

Everyone signed in uploads here (``POST /api/v1/assets``); the type of a file comes from
its content, never from its name.

- Teachers and admins (lesson pictures, homework attachments, message attachments): every
  type in :data:`eschool.uploads.sniff.ALLOWED_KINDS`, up to ``settings.upload_limit``.
- Parents and pupils (an absence note's document, a message attachment): documents and
  photos only (:data:`FAMILY_MIMES`: PDF, PNG, JPEG, GIF, WebP), at most
  :data:`FAMILY_FILE_LIMIT` (10 MiB) a file and :data:`FAMILY_DAILY_LIMIT` (50 MiB) of new
  uploads a person in any 24 hours (429 with ``Retry-After`` beyond it).

An upload is private to its uploader until something that uses it (a lesson, a note, a
message) makes a file audience vouch for a reader (:mod:`eschool.uploads.queries`).
"""

from __future__ import annotations

import asyncio
import math
import os
from datetime import timedelta
from pathlib import Path

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import UploadFile

from eschool.access import require_role
from eschool.errors import TooManyRequests, UnsupportedType
from eschool.i18n import gettext as _
from eschool.models import Role, User
from eschool.timeutil import utcnow
from eschool.uploads.models import Upload, UploadPublic
from eschool.uploads.sniff import (
    ALLOWED_KINDS,
    GIF,
    JPEG,
    PDF,
    PNG,
    SNIFF_BYTES,
    WEBP,
    sniff_mime,
)
from eschool.uploads.store import StoredFile, human_size, store_bytes, store_stream

STAFF_ROLES = (Role.admin, Role.teacher)  # every allowed type, the settings' limit
FAMILY_ROLES = (Role.parent, Role.pupil)  # documents and photos, the limits below
UPLOADER_ROLES = (*STAFF_ROLES, *FAMILY_ROLES)
FAMILY_MIMES = frozenset({PDF, PNG, JPEG, GIF, WEBP})  # a scan, a photo of a paper
FAMILY_FILE_LIMIT = 10 * 1024 * 1024  # a phone photo or a scanned PDF fits
FAMILY_DAILY_LIMIT = 50 * 1024 * 1024  # new uploads of a parent or pupil in any 24 hours
QUOTA_WINDOW = timedelta(hours=24)


async def _record(
    session: AsyncSession, *, actor: User, stored: StoredFile, mime: str, filename: str
) -> Upload:
    existing = (
        await session.exec(
            select(Upload).where(Upload.sha256 == stored.sha256, Upload.uploaded_by == actor.id)
        )
    ).first()
    if existing is not None:
        return existing
    upload = Upload(
        sha256=stored.sha256,
        school_id=actor.school_id,
        uploaded_by=actor.id or 0,
        mime=mime,
        size=stored.size,
        filename=filename[:255],
    )
    session.add(upload)
    return upload


def _checked_mime(head: bytes, *, actor: User) -> str:
    mime = sniff_mime(head)
    if actor.role in FAMILY_ROLES:
        if mime not in FAMILY_MIMES:
            raise UnsupportedType(_("Send a PDF or a photo (PNG, JPEG, GIF or WebP)."))
        return mime
    if mime is None or mime not in ALLOWED_KINDS:
        raise UnsupportedType(
            _("This type of file cannot be uploaded. Use pictures, audio, video or PDF."),
        )
    return mime


def upload_limit(actor: User, settings_limit: int) -> int:
    """The largest file ``actor`` may upload: the settings' limit, at most
    :data:`FAMILY_FILE_LIMIT` for parents and pupils."""
    if actor.role in FAMILY_ROLES:
        return min(settings_limit, FAMILY_FILE_LIMIT)
    return settings_limit


async def _check_quota(session: AsyncSession, *, actor: User, size: int) -> None:
    """429 when a parent's or pupil's new uploads of the last 24 hours and this one pass
    :data:`FAMILY_DAILY_LIMIT`; ``Retry-After`` says when the oldest of them leaves the window."""
    if actor.role not in FAMILY_ROLES:
        return
    since = utcnow() - QUOTA_WINDOW
    used, oldest = (
        await session.exec(
            select(func.coalesce(func.sum(Upload.size), 0), func.min(Upload.created_at)).where(
                Upload.uploaded_by == actor.id, col(Upload.created_at) >= since
            )
        )
    ).one()
    if int(used) + size <= FAMILY_DAILY_LIMIT:
        return
    retry_after = 3600
    if oldest is not None:
        aware = oldest if oldest.tzinfo else oldest.replace(tzinfo=since.tzinfo)
        retry_after = max(1, math.ceil((aware - since).total_seconds()))
    raise TooManyRequests(
        _(
            "The daily upload limit of {size} is reached. Try again later.",
            size=human_size(FAMILY_DAILY_LIMIT),
        ),
        retry_after=retry_after,
        code="upload_quota",
    )


def _base_name(name: str | None) -> str:
    return (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()


async def upload_store(
    session: AsyncSession, *, actor: User, uploads_dir: Path, upload: UploadFile
) -> Upload:
    """Store an uploaded file (anyone signed in; see the module for each role's types and
    limits): 415 for a refused type, 429 past a family member's daily quota.

    The caller has received the file within :func:`upload_limit`."""
    require_role(actor, *UPLOADER_ROLES)
    await upload.seek(0)
    mime = _checked_mime(await upload.read(SNIFF_BYTES), actor=actor)
    await upload.seek(0)
    size = upload.size if upload.size is not None else upload.file.seek(0, os.SEEK_END)
    await upload.seek(0)
    await _check_quota(session, actor=actor, size=size)
    stored = await asyncio.to_thread(store_stream, uploads_dir, upload.file)
    record = await _record(
        session, actor=actor, stored=stored, mime=mime, filename=_base_name(upload.filename)
    )
    await session.commit()
    return record


async def upload_store_bytes(
    session: AsyncSession,
    *,
    actor: User,
    uploads_dir: Path,
    content: bytes,
    filename: str = "",
    commit: bool = True,
) -> Upload:
    """Store a file given as bytes (the demo seed, lesson imports; teachers and admins):
    415 for a refused type.

    With ``commit=False`` the record joins the caller's transaction.
    """
    require_role(actor, *STAFF_ROLES)
    mime = _checked_mime(content[:SNIFF_BYTES], actor=actor)
    stored = await asyncio.to_thread(store_bytes, uploads_dir, content)
    record = await _record(session, actor=actor, stored=stored, mime=mime, filename=filename)
    if commit:
        await session.commit()
    return record


def upload_public(upload: Upload) -> UploadPublic:
    """``POST /api/v1/assets`` answer: ``{"id", "url", "mime", "size", "filename"}``."""
    return UploadPublic(
        id=upload.sha256,
        url=f"/assets/{upload.sha256}",
        mime=upload.mime,
        size=upload.size,
        filename=upload.filename,
    )
