"""Writes of the lesson library: each function checks permissions and owns its commit.

Editing is optimistic: a save names the revision it started from and is refused with
409 ``conflict`` when someone saved in between (the check and the write are one UPDATE,
so two saves of the same revision cannot both win). Publishing freezes the working copy
into an immutable version; later edits change only the working copy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import require_role
from eschool.errors import Conflict, Forbidden, Invalid, NotFound
from eschool.i18n import gettext as _
from eschool.models import Role, User
from eschool.timeutil import utcnow
from eschool.uploads.queries import upload_for, uploads_info
from eschool.uploads.services import upload_store_bytes
from eschool.uploads.store import read_stored
from lessons import queries
from lessons.blocks import block_assets, block_search_text, blocks_to_json
from lessons.exchange.cc13 import write_cc13
from lessons.exchange.detect import read_any
from lessons.exchange.eschool_zip import ExchangeError, pack_lesson
from lessons.exchange.qti3 import write_qti3
from lessons.exchange.report import ImportReport
from lessons.models import (
    DEFAULT_LANGUAGE,
    MAX_GRADE,
    MAX_TITLE,
    MIN_GRADE,
    Lesson,
    LessonAssetRef,
    LessonCreate,
    LessonFace,
    LessonFields,
    LessonStatus,
    LessonUpdate,
    LessonVersion,
    facet,
)

AUTHOR_ROLES = (Role.admin, Role.teacher)
FACE_COLUMNS = (
    "title",
    "summary",
    "subject",
    "grades",
    "tags",
    "language",
    "licence",
    "credits",
    "blocks",
    "facets",
    "search_text",
)


# --- faces ----------------------------------------------------------------------------


def face_values(
    data: LessonFields, *, language: str, credits: list[str] | None = None
) -> dict[str, Any]:
    """The stored columns of a lesson face, derived filter keys and search words included."""
    blocks = blocks_to_json(data.blocks)
    keys = [facet("grade", grade) for grade in data.grades]
    keys += [facet("tag", tag) for tag in data.tags]
    if data.subject:
        keys.append(facet("subject", data.subject))
    return {
        "title": data.title,
        "summary": data.summary,
        "subject": data.subject,
        "grades": list(data.grades),
        "tags": list(data.tags),
        "language": data.language or language,
        "licence": data.licence,
        "credits": list(credits or []),
        "blocks": blocks,
        "facets": "\n" + "".join(f"{key}\n" for key in keys),
        "search_text": "\n".join(
            part for part in (data.subject, " ".join(data.tags), block_search_text(blocks)) if part
        ),
    }


def copy_face(face: LessonFace) -> dict[str, Any]:
    """The face columns of a lesson or version, ready to store on another row."""
    return {name: getattr(face, name) for name in FACE_COLUMNS}


def _default_language(actor: User) -> str:
    return actor.lang or DEFAULT_LANGUAGE


async def _check_assets(
    session: AsyncSession, *, actor: User, wanted: set[str], known: set[str]
) -> None:
    """Refuse blocks that use a file the actor may not use: a block may use the actor's own
    uploads and the files of lessons they may see (unknown or someone else's private file:
    422)."""
    for sha256 in sorted(wanted - known):
        found = await upload_for(
            session, actor=actor, sha256=sha256, audiences=(queries.lesson_file_audience,)
        )
        if found is None:
            raise Invalid(
                _("A block uses a file that is not in the library: {id}.", id=sha256),
                code="unknown_asset",
                details=[{"loc": ["blocks"], "message": f"unknown asset {sha256}"}],
            )


async def _set_refs(
    session: AsyncSession, *, lesson: Lesson, shas: set[str], version: int | None
) -> None:
    if version is None:
        await session.exec(
            delete(LessonAssetRef).where(
                col(LessonAssetRef.lesson_id) == lesson.id,
                col(LessonAssetRef.version).is_(None),
            )
        )
    for sha256 in sorted(shas):
        session.add(
            LessonAssetRef(
                school_id=lesson.school_id,
                lesson_id=lesson.id or 0,
                version=version,
                sha256=sha256,
            )
        )


async def _working_refs(session: AsyncSession, lesson_id: int) -> set[str]:
    rows = await session.exec(
        select(LessonAssetRef.sha256).where(
            LessonAssetRef.lesson_id == lesson_id, col(LessonAssetRef.version).is_(None)
        )
    )
    return set(rows.all())


async def _own_lesson(session: AsyncSession, *, actor: User, lesson_id: int) -> Lesson:
    """The actor's own lesson, for editing: 404 when unseen, 403 when someone else's."""
    lesson = await queries.lesson_in_school(session, actor=actor, lesson_id=lesson_id)
    if lesson.author_id != actor.id:
        if not queries.sees_working_copy(actor, lesson) and not queries.may_read_versions(
            actor, lesson
        ):
            raise NotFound(_("No such lesson."))
        raise Forbidden(_("Only the author may change this lesson. Copy it to adapt it."))
    if lesson.status == LessonStatus.archived:
        raise Conflict(_("This lesson is archived and can no longer change."), code="archived")
    return lesson


# --- lessons --------------------------------------------------------------------------


async def lesson_create(
    session: AsyncSession,
    *,
    actor: User,
    data: LessonCreate,
    credits: list[str] | None = None,
    known_assets: set[str] | None = None,
) -> Lesson:
    """A new draft lesson of the actor's (teachers and admins)."""
    require_role(actor, *AUTHOR_ROLES)
    values = face_values(data, language=_default_language(actor), credits=credits)
    shas = block_assets(values["blocks"])
    await _check_assets(session, actor=actor, wanted=shas, known=known_assets or set())
    lesson = Lesson(school_id=actor.school_id, author_id=actor.id or 0, **values)
    session.add(lesson)
    await session.flush()
    await _set_refs(session, lesson=lesson, shas=shas, version=None)
    await session.commit()
    return lesson


async def lesson_update(
    session: AsyncSession, *, actor: User, lesson_id: int, data: LessonUpdate
) -> Lesson:
    """Replace the working copy (the author only); 409 ``conflict`` for a stale revision."""
    lesson = await _own_lesson(session, actor=actor, lesson_id=lesson_id)
    values = face_values(data, language=lesson.language, credits=list(lesson.credits))
    shas = block_assets(values["blocks"])
    await _check_assets(
        session, actor=actor, wanted=shas, known=await _working_refs(session, lesson_id)
    )
    result = await session.exec(
        update(Lesson)
        .where(col(Lesson.id) == lesson_id, col(Lesson.revision) == data.revision)
        .values(**values, revision=col(Lesson.revision) + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        await session.rollback()
        await session.refresh(lesson)
        raise Conflict(
            _(
                "Someone saved this lesson after you opened it (now revision {revision}). "
                "Reload it to see the latest version.",
                revision=lesson.revision,
            ),
            code="conflict",
            details={"revision": lesson.revision},
        )
    await _set_refs(session, lesson=lesson, shas=shas, version=None)
    await session.commit()
    await session.refresh(lesson)
    return lesson


async def lesson_archive(session: AsyncSession, *, actor: User, lesson_id: int) -> Lesson:
    """Take a lesson out of the library (its author or the admin). Versions stay readable
    where they are used; archiving twice is harmless."""
    lesson = await queries.lesson_in_school(session, actor=actor, lesson_id=lesson_id)
    if not queries.sees_working_copy(actor, lesson):
        if not queries.may_read_versions(actor, lesson):
            raise NotFound(_("No such lesson."))
        raise Forbidden(_("Only the author may archive this lesson."))
    if lesson.status != LessonStatus.archived:
        lesson.status = LessonStatus.archived
        lesson.updated_at = utcnow()
        session.add(lesson)
        await session.commit()
    return lesson


async def lesson_publish(session: AsyncSession, *, actor: User, lesson_id: int) -> int:
    """Freeze the working copy as the next version (the author only); returns its number.

    Publishing an unchanged lesson again returns the current version.
    """
    lesson = await _own_lesson(session, actor=actor, lesson_id=lesson_id)
    if lesson.version is not None and lesson.published_revision == lesson.revision:
        return lesson.version
    if not lesson.blocks:
        raise Invalid(_("Add at least one block before publishing."), code="empty_lesson")
    number = (lesson.version or 0) + 1
    now = utcnow()
    session.add(
        LessonVersion(
            lesson_id=lesson_id,
            school_id=lesson.school_id,
            number=number,
            author_id=lesson.author_id,
            published_by=actor.id or 0,
            published_at=now,
            **copy_face(lesson),
        )
    )
    lesson.version = number
    lesson.published_revision = lesson.revision
    lesson.published_at = now
    lesson.status = LessonStatus.published
    session.add(lesson)
    await _set_refs(session, lesson=lesson, shas=block_assets(lesson.blocks), version=number)
    try:
        await session.commit()
    except IntegrityError as error:
        await session.rollback()
        raise Conflict(_("The lesson was published at the same moment. Reload it.")) from error
    return number


def copy_title(title: str) -> str:
    """A copy's title in the copier's language ("Copy of …", "Копия: …"), shortened with an
    ellipsis to fit the title's length limit."""
    titled = _("Copy of {title}", title=title)
    if len(titled) <= MAX_TITLE:
        return titled
    room = MAX_TITLE - (len(titled) - len(title)) - 1
    return _("Copy of {title}", title=title[: max(room, 0)].rstrip() + "…")[:MAX_TITLE]


async def lesson_copy(session: AsyncSession, *, actor: User, lesson_id: int) -> Lesson:
    """A draft copy in the actor's library of what the actor sees of a lesson, with
    attribution to the original (teachers and admins), titled as a copy (``copy_title``)."""
    require_role(actor, *AUTHOR_ROLES)
    visible = await queries.lesson_visible(session, actor=actor, lesson_id=lesson_id)
    source = visible.lesson
    author = await session.get(User, source.author_id)
    copy = Lesson(
        school_id=actor.school_id,
        author_id=actor.id or 0,
        copied_from_id=source.id,
        copied_from_version=visible.version,
        copied_from_title=visible.face.title,
        copied_from_author=author.name if author else "",
        **{**copy_face(visible.face), "title": copy_title(visible.face.title)},
    )
    session.add(copy)
    await session.exec(
        update(Lesson)
        .where(col(Lesson.id) == source.id)
        .values(copies=col(Lesson.copies) + 1)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    await _set_refs(session, lesson=copy, shas=block_assets(copy.blocks), version=None)
    await session.commit()
    await session.refresh(source)
    return copy


# --- exchange -------------------------------------------------------------------------


# format → (its writer, the file name's ending, the media type)
EXPORTS: dict[str, tuple[Callable[[dict, dict[str, tuple[str, bytes]]], bytes], str, str]] = {
    "eschool": (pack_lesson, ".zip", "application/zip"),
    "qti3": (write_qti3, "-qti3.zip", "application/zip"),
    "cc13": (write_cc13, ".imscc", "application/vnd.ims.imsccv1p3"),
}


async def lesson_export(
    session: AsyncSession,
    *,
    actor: User,
    lesson_id: int,
    uploads_dir: Path,
    format: str = "eschool",
) -> tuple[str, str, bytes]:
    """What the actor sees of a lesson (teachers and admins) in an exchange ``format``
    (``EXPORTS``: our zip, a QTI 3.0 package, a Common Cartridge): returns (a file name,
    its media type, the file). An unknown format is 422 with the allowed ones."""
    require_role(actor, *AUTHOR_ROLES)
    if format not in EXPORTS:
        raise Invalid(
            _(
                "Unknown export format “{format}”; use one of: {allowed}.",
                format=format[:40],
                allowed=", ".join(EXPORTS),
            ),
            code="unsupported_format",
            details={"allowed": list(EXPORTS)},
        )
    visible = await queries.lesson_visible(session, actor=actor, lesson_id=lesson_id)
    face = visible.face
    author = await session.get(User, visible.lesson.author_id)
    document = {
        **{name: getattr(face, name) for name in ("title", "summary", "subject", "grades")},
        "tags": list(face.tags),
        "language": face.language,
        "licence": face.licence,
        "authors": [*face.credits, *([author.name] if author else [])],
        "blocks": face.blocks,
    }
    infos = await uploads_info(session, school_id=actor.school_id, shas=block_assets(face.blocks))
    files: dict[str, tuple[str, bytes]] = {}
    for sha256, info in infos.items():
        try:
            content = await asyncio.to_thread(read_stored, uploads_dir, sha256)
        except FileNotFoundError:
            continue  # a file lost from the store: export the rest rather than nothing
        files[sha256] = (info["mime"], content)
    writer, ending, media_type = EXPORTS[format]
    exported = await asyncio.to_thread(writer, document, files)
    suffix = f"-v{visible.version}" if visible.version else ""
    return f"lesson-{visible.lesson.id}{suffix}{ending}", media_type, exported


def _imported_fields(lesson: dict[str, Any]) -> LessonCreate:
    """The archive's lesson as our own model, or 400: checked before anything is stored."""
    raw = {
        **lesson,
        "grades": [g for g in lesson.get("grades", []) if MIN_GRADE <= g <= MAX_GRADE],
        "language": lesson.get("language") or None,
    }
    try:
        return LessonCreate.model_validate(raw)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "lesson"
        message = _(
            "The lesson in the archive is not valid: {where}: {message}",
            where=where,
            message=problem["msg"],
        )
        raise ExchangeError("invalid_lesson", message) from error


async def import_read(
    session: AsyncSession, *, actor: User, data: bytes, filename: str, max_total: int
) -> ImportReport:
    """What an uploaded file would import as (teachers and admins), its format told from its
    content (``detect.read_any``): nothing is stored. The lesson is checked as
    ``lesson_import_report`` will store it (fields, and files it uses that are not in the
    file: the actor's own or the library's only), so a dry run refuses what the import would,
    and the import refuses before it stores a file."""
    require_role(actor, *AUTHOR_ROLES)
    report = await asyncio.to_thread(read_any, data, filename, max_total=max_total)
    fields = _imported_fields(report.lesson)
    wanted = block_assets(blocks_to_json(fields.blocks))
    await _check_assets(session, actor=actor, wanted=wanted, known=set(report.assets))
    return report


async def lesson_import_report(
    session: AsyncSession, *, actor: User, uploads_dir: Path, report: ImportReport
) -> Lesson:
    """A new draft of the actor's from a report ``import_read`` gave: its files stored, then
    the lesson, in one commit."""
    data = _imported_fields(report.lesson)
    for sha256, (_mime, content) in report.assets.items():
        # The readers checked every hash and type; the record joins the lesson's commit.
        stored = await upload_store_bytes(
            session, actor=actor, uploads_dir=uploads_dir, content=content, commit=False
        )
        assert stored.sha256 == sha256
    return await lesson_create(
        session,
        actor=actor,
        data=data,
        credits=list(report.lesson.get("authors", [])),
        known_assets=set(report.assets),
    )


async def lesson_import(
    session: AsyncSession,
    *,
    actor: User,
    uploads_dir: Path,
    archive: bytes,
    max_total: int,
    filename: str = "lesson.zip",
) -> Lesson:
    """A new draft of the actor's from an uploaded file in any format we read (teachers and
    admins).

    Everything is checked before anything is stored: a refused file (400 malformed or
    hostile, 413 too big, 415 a forbidden file type or an unknown format) leaves no lesson
    and no file.
    """
    report = await import_read(
        session, actor=actor, data=archive, filename=filename, max_total=max_total
    )
    return await lesson_import_report(session, actor=actor, uploads_dir=uploads_dir, report=report)
