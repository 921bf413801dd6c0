"""Reads of the upload store, and the one rule that decides who may fetch a stored file.

A file is served to its uploader, or to someone for whom a registered *file audience*
says they may see something that uses the file (a lesson, a homework attachment…), and
always within the actor's own school. Nothing else grants access; the routes answer 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.models import User
from eschool.uploads.models import Upload
from eschool.uploads.store import SHA256_HEX

# (session, actor, sha256) -> True when something the actor may see uses that file. Each
# domain package appends its own to ``app.state.file_audiences`` in its routes' lifespan.
FileAudience = Callable[[AsyncSession, User, str], Awaitable[bool]]


async def upload_for(
    session: AsyncSession, *, actor: User, sha256: str, audiences: Iterable[FileAudience]
) -> Upload | None:
    """The stored file ``sha256`` if the actor may fetch it, else None.

    The actor's own upload first; then, if one of ``audiences`` vouches for the actor,
    the file's record in the actor's school (another school's record never counts).
    """
    if not SHA256_HEX.fullmatch(sha256):
        return None
    own = await session.exec(
        select(Upload).where(
            Upload.sha256 == sha256,
            Upload.uploaded_by == actor.id,
            Upload.school_id == actor.school_id,
        )
    )
    found = own.first()
    if found is not None:
        return found
    for audience in audiences:
        if await audience(session, actor, sha256):
            return await upload_in_school(session, school_id=actor.school_id, sha256=sha256)
    return None


async def upload_in_school(session: AsyncSession, *, school_id: int, sha256: str) -> Upload | None:
    """A record of the file ``sha256`` uploaded in that school (for its type and size)."""
    rows = await session.exec(
        select(Upload)
        .where(Upload.sha256 == sha256, Upload.school_id == school_id)
        .order_by(col(Upload.id))
    )
    return rows.first()


async def uploads_info(
    session: AsyncSession, *, school_id: int, shas: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """Media type, size and original name of stored files of a school (to show them)."""
    wanted = set(shas)
    if not wanted:
        return {}
    rows = await session.exec(
        select(Upload)
        .where(col(Upload.sha256).in_(wanted), Upload.school_id == school_id)
        .order_by(col(Upload.id))
    )
    info: dict[str, dict[str, Any]] = {}
    for row in rows.all():
        info.setdefault(row.sha256, {"mime": row.mime, "size": row.size, "filename": row.filename})
    return info
