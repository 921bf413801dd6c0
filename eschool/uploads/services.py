"""Writes of the upload store: a file comes in, its type is sniffed, its record is kept.

Teachers and admins upload (lesson pictures, homework attachments); the type of a file
comes from its content, never from its name, and only the types in
:data:`eschool.uploads.sniff.ALLOWED_KINDS` are kept.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import UploadFile

from eschool.access import require_role
from eschool.errors import UnsupportedType
from eschool.i18n import gettext as _
from eschool.models import Role, User
from eschool.uploads.models import Upload
from eschool.uploads.sniff import ALLOWED_KINDS, SNIFF_BYTES, sniff_mime
from eschool.uploads.store import StoredFile, store_bytes, store_stream

UPLOADER_ROLES = (Role.admin, Role.teacher)


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


def _checked_mime(head: bytes) -> str:
    mime = sniff_mime(head)
    if mime is None or mime not in ALLOWED_KINDS:
        raise UnsupportedType(
            _("This type of file cannot be uploaded. Use pictures, audio, video or PDF."),
        )
    return mime


def _base_name(name: str | None) -> str:
    return (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()


async def upload_store(
    session: AsyncSession, *, actor: User, uploads_dir: Path, upload: UploadFile
) -> Upload:
    """Store an uploaded file (teachers and admins): 415 for a refused type."""
    require_role(actor, *UPLOADER_ROLES)
    await upload.seek(0)
    mime = _checked_mime(await upload.read(SNIFF_BYTES))
    await upload.seek(0)
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
    """Store a file given as bytes (the demo seed, lesson imports): 415 for a refused type.

    With ``commit=False`` the record joins the caller's transaction.
    """
    require_role(actor, *UPLOADER_ROLES)
    mime = _checked_mime(content[:SNIFF_BYTES])
    stored = await asyncio.to_thread(store_bytes, uploads_dir, content)
    record = await _record(session, actor=actor, stored=stored, mime=mime, filename=filename)
    if commit:
        await session.commit()
    return record


def upload_public(upload: Upload) -> dict[str, Any]:
    """``POST /api/v1/assets`` answer: ``{"id", "url", "mime", "size", "filename"}``."""
    return {
        "id": upload.sha256,
        "url": f"/assets/{upload.sha256}",
        "mime": upload.mime,
        "size": upload.size,
        "filename": upload.filename,
    }
