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
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, false
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.errors import Forbidden, NotFound
from eschool.i18n import gettext as _
from eschool.models import Role, User, id_from_text
from eschool.timeutil import iso
from lessons.blocks import blocks_for_display
from lessons.models import (
    Lesson,
    LessonAssetRef,
    LessonFace,
    LessonFilters,
    LessonStatus,
    LessonVersion,
    facet,
)
from lessons.public_models import (
    CopiedFrom,
    LessonPublic,
    LessonSummaryPublic,
    LessonVersionPublic,
    PersonBrief,
)
from lessons.search import match, match_values, prefer_narrow_indexes, search_terms
from lessons.search_page import SearchStatements, SortKeys, page_statements, search_page

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
    return LessonSummaryPublic.model_validate(
        _summary(lesson, face, author=person_brief(author), working=working, changed=changed)
    )


def _summary(
    lesson: Any,
    face: Any,
    *,
    author: PersonBrief | dict[str, Any] | None,
    working: bool,
    changed: Any,
) -> dict[str, Any]:
    """The fields of ``LessonSummaryPublic`` from anything with the attributes of a lesson
    and of its face."""
    return {
        "id": lesson.id,
        **_face_fields(face),
        "status": lesson.status,
        "author": author,
        "version": lesson.version,
        "draft_changes": working and lesson.revision != lesson.published_revision,
        "copied_from": copied_from(lesson),
        "copies": lesson.copies,
        "block_kinds": sorted({str(block.get("kind")) for block in face.blocks}),
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


# --- search ---------------------------------------------------------------------------


def _shows_working_copies(actor: User, filters: LessonFilters) -> bool:
    """Own lessons, drafts and archived lessons are listed by their working copies."""
    if actor.role == Role.pupil:
        return False
    return filters.author == "me" or filters.status in (LessonStatus.draft, LessonStatus.archived)


async def lessons_search(
    session: AsyncSession,
    *,
    actor: User,
    filters: LessonFilters,
    page: int = 1,
    per_page: int = 20,
) -> tuple[list[LessonSummaryPublic], int]:
    """Search the library of the actor's school; returns (one page of summaries, total).

    One statement: the matching rows are found, counted and sorted from the search index and
    narrow indexes (``lessons_0002``); only the page shown reads its lessons' rows. The
    statement is built once per shape of search (``_SearchShape``) and run with this search's
    values, so a request spends no time building SQL.
    """
    require_library(actor)
    working = _shows_working_copies(actor, filters)
    wanted = [
        facet(kind, value)
        for kind, value in (("subject", filters.subject), ("grade", filters.grade or ""))
        if value
    ]
    if filters.tag:
        wanted.append(facet("tag", filters.tag))
    terms = search_terms(filters.q)
    dialect = session.get_bind().dialect.name
    author_kind = "me" if filters.author == "me" else "id" if filters.author.isdigit() else ""
    shape = _SearchShape(
        dialect=dialect,
        working=working,
        own_only=working and actor.role != Role.admin,
        status=filters.status,
        author=author_kind,
        facets=len(wanted),
        terms=bool(terms),
        sort=filters.sort or ("relevance" if terms else "newest"),
    )
    values: dict[str, Any] = {
        "school_id": actor.school_id,
        "actor_id": actor.id,
        # an id; one beyond what the database holds names nobody
        "author_id": (id_from_text(filters.author) or 0) if author_kind == "id" else 0,
        **(match_values(dialect, terms, wanted) if terms or wanted else {}),
    }
    rows, total = await search_page(
        session, _search_statements(shape), values, page=page, per_page=per_page
    )
    items = [
        LessonSummaryPublic.model_validate(
            _summary(lesson, face, author=author, working=working, changed=changed)
        )
        for lesson, face, author, changed in rows
    ]
    return items, total


@dataclass(frozen=True)
class _SearchShape:
    """What the statement of a search depends on (its values aside)."""

    dialect: str
    working: bool  # lists working copies (else published versions)
    own_only: bool  # only the actor's own working copies
    status: LessonStatus | None
    author: str  # "me", "id" (an author's id) or ""
    facets: int  # how many filter keys
    terms: bool
    sort: str


@lru_cache(maxsize=256)
def _search_statements(shape: _SearchShape) -> SearchStatements:
    """The statements of searches of ``shape``, with named parameters: ``school_id``,
    ``actor_id``, ``author_id`` and those of ``lessons.search.match_values``."""
    working = shape.working
    face: type[Lesson] | type[LessonVersion] = Lesson if working else LessonVersion
    # Published lessons are found in their listed versions alone (``lessons_0003``).
    lesson_id = col(Lesson.id) if working else col(LessonVersion.lesson_id)
    query: Select[Any, Any] = select(lesson_id.label("lesson_id"), col(face.id).label("face_id"))
    query = query.select_from(face).where(col(face.school_id) == bindparam("school_id"))
    if working:
        if shape.own_only:
            query = query.where(col(Lesson.author_id) == bindparam("actor_id"))
        if shape.status is not None:
            query = query.where(col(Lesson.status) == shape.status)
        else:
            query = query.where(col(Lesson.status) != LessonStatus.archived)
    else:
        query = query.where(col(LessonVersion.listed))
        if shape.status not in (None, LessonStatus.published):
            query = query.where(false())
        if shape.sort == "copied":
            query = query.join(Lesson, col(Lesson.id) == LessonVersion.lesson_id)
    if shape.author == "me":
        query = query.where(col(face.author_id) == bindparam("actor_id"))
    elif shape.author == "id":
        query = query.where(col(face.author_id) == bindparam("author_id"))
    found = None
    if shape.terms or shape.facets:
        # Placeholders of the shape: the values come with each search.
        terms, keys = ["_"] if shape.terms else [], ["_"] * shape.facets
        found = match(shape.dialect, face, terms, keys, ranked=shape.sort == "relevance")
        query = prefer_narrow_indexes(found.apply(query, face), shape.dialect)
    newest = col(Lesson.updated_at) if working else col(LessonVersion.published_at)
    sort_keys: SortKeys
    if found is not None and found.rank is not None and found.title_hit is not None:
        sort_keys = [(found.title_hit, True), (found.rank, False)]
    elif shape.sort == "title":
        sort_keys = [(col(face.title), False)]
    elif shape.sort == "copied":
        sort_keys = [(col(Lesson.copies), True), (newest, True)]
    else:
        sort_keys = [(newest, True)]
    sort_keys.append((lesson_id, shape.sort != "title"))
    return page_statements(query, sort_keys, working=working)


async def library_subjects(session: AsyncSession, *, actor: User) -> list[str]:
    """The subjects of the published lessons (and the actor's own), for the filter menu."""
    require_library(actor)
    rows = await session.exec(
        select(Lesson.subject)
        .where(
            Lesson.school_id == actor.school_id,
            Lesson.subject != "",
            (Lesson.status == LessonStatus.published) | (Lesson.author_id == actor.id),
        )
        .distinct()
    )
    return sorted(set(rows.all()), key=str.casefold)


async def library_authors(session: AsyncSession, *, actor: User) -> list[PersonBrief]:
    """The people who have published lessons in the actor's school, for the filter menu."""
    require_library(actor)
    rows = await session.exec(
        select(User)
        .join(Lesson, col(Lesson.author_id) == User.id)
        .where(Lesson.school_id == actor.school_id, Lesson.status == LessonStatus.published)
        .distinct()
    )
    return [PersonBrief.model_validate(user) for user in sorted(rows.all(), key=lambda u: u.name)]


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
