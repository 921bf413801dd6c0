"""Reads of the lesson library: who sees which face of a lesson, search, versions, files.

The rules, in one place:
- the library is for admins, teachers and pupils of the lesson's own school (never parents;
  another school's lesson is "not found");
- the author and the school's admin see the working copy; everyone else sees the latest
  published version, and only while the lesson is published (teachers may still open an
  archived lesson's versions by id, since journals and live lessons point at them);
- answer keys go to teachers and admins only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.errors import Forbidden, NotFound
from eschool.i18n import gettext as _
from eschool.models import Role, User
from eschool.timeutil import iso
from lessons.blocks import blocks_for_display
from lessons.models import (
    Lesson,
    LessonAssetRef,
    LessonFace,
    LessonStatus,
    LessonVersion,
)
from lessons.public_models import (
    CopiedFrom,
    LessonPublic,
    LessonSummaryPublic,
    LessonVersionPublic,
    PersonBrief,
)

LIBRARY_ROLES = (Role.admin, Role.teacher, Role.pupil)
KEY_ROLES = (Role.admin, Role.teacher)


# --- the rules ------------------------------------------------------------------------


def require_library(actor: User) -> None:
    """Refuse (403) a role that has no lesson library: parents."""
    if actor.role not in LIBRARY_ROLES:
        raise Forbidden(_("The lesson library is for teachers and pupils."))


def sees_working_copy(actor: User, lesson: Lesson) -> bool:
    """The author and the school's admin see (and may export or copy) the working copy."""
    return lesson.school_id == actor.school_id and (
        lesson.author_id == actor.id or actor.role == Role.admin
    )


def sees_answer_keys(actor: User) -> bool:
    """Teachers and admins see quiz answer keys; pupils never do."""
    return actor.role in KEY_ROLES


def may_read_versions(actor: User, lesson: Lesson) -> bool:
    """Whether the actor may read the lesson's published versions (if it has any)."""
    if lesson.school_id != actor.school_id or lesson.version is None:
        return False
    if sees_working_copy(actor, lesson):
        return True
    if lesson.status == LessonStatus.published:
        return actor.role in LIBRARY_ROLES
    return lesson.status == LessonStatus.archived and actor.role in KEY_ROLES


async def lesson_in_school(session: AsyncSession, *, actor: User, lesson_id: int) -> Lesson:
    """The lesson if it belongs to the actor's school; 404 otherwise; 403 for parents."""
    require_library(actor)
    lesson = await session.get(Lesson, lesson_id)
    if lesson is None or lesson.school_id != actor.school_id:
        raise NotFound(_("No such lesson."))
    return lesson


async def version_row(session: AsyncSession, *, lesson_id: int, number: int) -> LessonVersion:
    """One published version; 404 when there is no such number."""
    row = (
        await session.exec(
            select(LessonVersion).where(
                LessonVersion.lesson_id == lesson_id, LessonVersion.number == number
            )
        )
    ).first()
    if row is None:
        raise NotFound(_("No such version of this lesson."))
    return row


@dataclass(frozen=True)
class Visible:
    """What one actor sees of a lesson: the face, and which version it is (None: working)."""

    lesson: Lesson
    face: LessonFace
    version: int | None


async def lesson_visible(
    session: AsyncSession, *, actor: User, lesson_id: int, version: int | None = None
) -> Visible:
    """The face of a lesson the actor may see (a given version, or the default one).

    404 when the actor may not see the lesson at all (drafts of others, other schools).
    """
    lesson = await lesson_in_school(session, actor=actor, lesson_id=lesson_id)
    if version is None and sees_working_copy(actor, lesson):
        return Visible(lesson, lesson, None)
    if not may_read_versions(actor, lesson):
        raise NotFound(_("No such lesson."))
    version = version if version is not None else lesson.version or 0
    row = await version_row(session, lesson_id=lesson.id or 0, number=version)
    return Visible(lesson, row, version)


# --- wire forms -----------------------------------------------------------------------


def person_brief(user: User | None) -> PersonBrief | None:
    """``{"id", "name"}`` of a person, as lessons show authors."""
    return PersonBrief(id=user.id or 0, name=user.name) if user is not None else None


def copied_from(lesson: Lesson) -> CopiedFrom | None:
    """The attribution of a copy: the lesson it was copied from, as it was then."""
    if lesson.copied_from_id is None:
        return None
    return CopiedFrom(
        id=lesson.copied_from_id,
        title=lesson.copied_from_title,
        author=lesson.copied_from_author,
        version=lesson.copied_from_version,
    )


def _face_fields(face: LessonFace) -> dict[str, Any]:
    return {
        "title": face.title,
        "summary": face.summary,
        "subject": face.subject,
        "grades": list(face.grades),
        "tags": list(face.tags),
        "language": face.language,
        "licence": face.licence,
        "credits": list(face.credits),
    }


def lesson_summary(
    lesson: Lesson, face: LessonFace, *, author: User | None, working: bool
) -> LessonSummaryPublic:
    """A lesson as lists show it: no blocks, but which kinds of block it has."""
    # A version changes only when it is published; a working copy on every save.
    changed = face.published_at if isinstance(face, LessonVersion) else lesson.updated_at
    kinds = sorted({str(block.get("kind")) for block in face.blocks})
    return LessonSummaryPublic.model_validate(
        summary_fields(
            lesson,
            face,
            author=person_brief(author),
            working=working,
            changed=changed,
            block_kinds=kinds,
        )
    )


def summary_fields(
    lesson: Any,
    face: Any,
    *,
    author: PersonBrief | dict[str, Any] | None,
    working: bool,
    changed: Any,
    block_kinds: list[str],
) -> dict[str, Any]:
    """The fields of ``LessonSummaryPublic`` from anything with the attributes of a lesson
    and of its face, and the kinds of block the face has (sorted)."""
    return {
        "id": lesson.id,
        **_face_fields(face),
        "status": lesson.status,
        "author": author,
        "version": lesson.version,
        "draft_changes": working and lesson.revision != lesson.published_revision,
        "copied_from": copied_from(lesson),
        "copies": lesson.copies,
        "block_kinds": block_kinds,
        "updated_at": changed,
        "published_at": lesson.published_at,
    }


def lesson_full(visible: Visible, *, actor: User, author: User | None) -> LessonPublic:
    """A lesson as ``GET /lessons/{id}`` shows it: the face the actor sees, with blocks."""
    lesson, face = visible.lesson, visible.face
    working = visible.version is None
    summary = lesson_summary(lesson, face, author=author, working=working)
    return LessonPublic.model_validate(
        {
            **dict(summary),
            "revision": lesson.revision if working else None,
            "shown_version": visible.version,
            "can_edit": working
            and lesson.author_id == actor.id
            and lesson.status != LessonStatus.archived,
            "created_at": lesson.created_at,
            "blocks": blocks_for_display(face.blocks, with_answers=sees_answer_keys(actor)),
        }
    )


async def lesson_read(
    session: AsyncSession, *, actor: User, lesson_id: int, version: int | None = None
) -> LessonPublic:
    """``GET /lessons/{id}`` (and ``…/versions/{n}`` when ``version`` is given)."""
    visible = await lesson_visible(session, actor=actor, lesson_id=lesson_id, version=version)
    author = await session.get(User, visible.lesson.author_id)
    return lesson_full(visible, actor=actor, author=author)


# --- versions -------------------------------------------------------------------------


async def lesson_versions(
    session: AsyncSession, *, actor: User, lesson_id: int
) -> list[LessonVersionPublic]:
    """``GET /lessons/{id}/versions``: the published versions, newest first."""
    lesson = await lesson_in_school(session, actor=actor, lesson_id=lesson_id)
    if not sees_working_copy(actor, lesson) and not may_read_versions(actor, lesson):
        raise NotFound(_("No such lesson."))
    rows = await session.exec(
        select(LessonVersion, User)
        .join(User, col(User.id) == LessonVersion.published_by)
        .where(LessonVersion.lesson_id == lesson_id)
        .order_by(col(LessonVersion.number).desc())
    )
    return [
        LessonVersionPublic(
            version=version.number,
            title=version.title,
            published_at=version.published_at,
            published_by=person_brief(publisher),
            blocks=len(version.blocks),
        )
        for version, publisher in rows.all()
    ]


async def lesson_version_get(
    session: AsyncSession, *, actor: User, lesson_id: int, version: int | None = None
) -> dict[str, Any]:
    """A published snapshot, as the live package starts it: the latest one when
    ``version`` is None. Teachers and admins get the answer keys; pupils do not.

    Returns ``{"lesson_id", "version", "title", "summary", "subject", "grades", "tags",
    "language", "licence", "credits", "author": {"id","name"}, "published_at",
    "blocks": [...]}`` (text blocks carry ``html``). 404 when the actor may not see it
    or it was never published; 403 for parents.
    """
    lesson = await lesson_in_school(session, actor=actor, lesson_id=lesson_id)
    number = version if version is not None else lesson.version
    if number is None or not may_read_versions(actor, lesson):
        raise NotFound(_("No such published lesson."))
    row = await version_row(session, lesson_id=lesson_id, number=number)
    author = await session.get(User, row.author_id)
    return {
        "lesson_id": lesson.id,
        "version": row.number,
        **_face_fields(row),
        "author": PersonBrief.model_validate(author).model_dump() if author else None,
        "published_at": iso(row.published_at),
        "blocks": blocks_for_display(row.blocks, with_answers=sees_answer_keys(actor)),
    }


# --- files ----------------------------------------------------------------------------


async def lesson_file_audience(session: AsyncSession, actor: User, sha256: str) -> bool:
    """The library's file audience (``app.state.file_audiences``): whether a lesson face the
    actor may see uses the stored file ``sha256`` — a working copy they may see, or a
    published version they may read — in their own school."""
    if actor.role not in LIBRARY_ROLES:
        return False
    refs = await session.exec(
        select(LessonAssetRef, Lesson)
        .join(Lesson, col(Lesson.id) == LessonAssetRef.lesson_id)
        .where(LessonAssetRef.sha256 == sha256, LessonAssetRef.school_id == actor.school_id)
    )
    for ref, lesson in refs.all():
        if ref.version is None:
            allowed = sees_working_copy(actor, lesson)
        else:
            allowed = may_read_versions(actor, lesson)
        if allowed:
            return True
    return False
