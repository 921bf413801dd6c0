"""The lesson library's personal data: who wrote and published each lesson (see
:mod:`eschool.privacy.registry` for the contract). Pupils author no lessons."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.models import User
from eschool.privacy.registry import Erasure, PackageExport, PersonalTable
from eschool.settings import Settings
from eschool.timeutil import iso
from lessons.models import Lesson

TABLES = (
    PersonalTable(
        "lessons",
        {
            "author_id": "the lesson's author (staff)",
            "copied_from_author": "the name of the author of the lesson it was copied from",
        },
        purpose="The library: who wrote a lesson, and whose lesson a copy came from.",
        erasure=Erasure.keep,
        erasure_note="Staff only: a pupil authors no lessons.",
    ),
    PersonalTable(
        "lesson_versions",
        {"author_id": "the lesson's author", "published_by": "who published the version"},
        purpose="Published versions, which journal slots and live lessons point at.",
        erasure=Erasure.keep,
        erasure_note="Staff only: a pupil publishes no lessons.",
    ),
)


async def export_pupil(session: AsyncSession, *, pupil: User, settings: Settings) -> PackageExport:
    """Lessons the person authored (none for a pupil, listed for completeness)."""
    rows = await session.exec(
        select(Lesson).where(col(Lesson.author_id) == pupil.id).order_by(col(Lesson.id))
    )
    return PackageExport(
        data={
            "lessons": [
                {"id": lesson.id, "title": lesson.title, "created_at": iso(lesson.created_at)}
                for lesson in rows.all()
            ]
        }
    )


async def erase_pupil(session: AsyncSession, *, pupil: User, label: str) -> dict[str, int]:
    """Nothing to erase: the library holds no pupil's data."""
    return {}
