"""Library search: one statement per shape of search finds, counts and sorts the matches
(``lessons.search``, ``lessons.search_page``); the API's answers are kept while the school's
library is unchanged (``lessons.search_cache``). Who sees which face is ``lessons.queries``'."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, false
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.direct_read import DirectReads
from eschool.models import Role, User, id_from_text
from eschool.web import json_list
from lessons.models import Lesson, LessonFilters, LessonStatus, LessonVersion, facet
from lessons.public_models import LessonSummaryPublic, PersonBrief
from lessons.queries import require_library, summary_fields
from lessons.search import match, match_values, prefer_narrow_indexes, search_terms
from lessons.search_cache import keep_answer, kept_answer, library_generation
from lessons.search_page import SearchStatements, SortKeys, page_statements, search_page

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

    One statement finds, counts and sorts the matching rows from the search index and narrow
    indexes (``lessons_0002``); only the page shown reads its lessons' rows. The statement is
    built once per shape of search (``_SearchShape``) and run with this search's values, so a
    request spends no time building SQL.
    """
    require_library(actor)
    shape, values = search_statement_of(session, actor=actor, filters=filters)
    return await _search_items(session, shape, values, page=page, per_page=per_page)


async def _search_items(
    session: AsyncSession,
    shape: _SearchShape,
    values: dict[str, Any],
    *,
    page: int,
    per_page: int,
) -> tuple[list[LessonSummaryPublic], int]:
    rows, total = await search_page(
        session, _search_statements(shape), values, page=page, per_page=per_page
    )
    items = [
        LessonSummaryPublic.model_validate(
            summary_fields(
                lesson,
                face,
                author=author,
                working=shape.working,
                changed=changed,
                block_kinds=face.block_kinds,
            )
        )
        for lesson, face, author, changed in rows
    ]
    return items, total


async def lessons_search_json(
    session: AsyncSession,
    *,
    actor: User,
    filters: LessonFilters,
    page: int = 1,
    per_page: int = 20,
    reads: DirectReads | None = None,
) -> bytes:
    """``GET /api/v1/lessons``: ``lessons_search`` as the JSON of ``eschool.web.json_list``.

    An answer read since the last write to the school's library is sent again
    (``lessons.search_cache``, for a request that has written nothing: a GET); the library's
    generation is read straight on the driver with ``reads`` (``eschool.direct_read``).
    """
    require_library(actor)
    shape, values = search_statement_of(session, actor=actor, filters=filters)
    key = (shape, _key_values(shape, values), page, per_page)
    generation = await library_generation(session, actor.school_id, reads)
    answer = kept_answer(session, key, generation)
    if answer is None:
        items, total = await _search_items(session, shape, values, page=page, per_page=per_page)
        answer = bytes(json_list(items, total, page=page, per_page=per_page).body)
        keep_answer(session, key, generation, answer)
    return answer


def _key_values(shape: _SearchShape, values: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """What a search's answer depends on besides its shape: its values, with the actor's id
    only where the statement reads it (others of the school share the answer)."""
    personal = shape.own_only or shape.author == "me"
    return tuple(
        (name, tuple(value) if isinstance(value, list) else value)
        for name, value in sorted(values.items())
        if personal or name != "actor_id"
    )


def search_statement_of(
    session: AsyncSession, *, actor: User, filters: LessonFilters
) -> tuple[_SearchShape, dict[str, Any]]:
    """The shape of the actor's search for ``filters`` and the values its statement binds."""
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
    return shape, values


def search_statement(
    session: AsyncSession, *, actor: User, filters: LessonFilters
) -> tuple[Any, dict[str, Any]]:
    """The statement of the page of the actor's search for ``filters`` (its first page) and
    its values, for ``EXPLAIN``."""
    shape, values = search_statement_of(session, actor=actor, filters=filters)
    return _search_statements(shape).page, {**values, "page_offset": 0, "page_limit": 20}


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
    return page_statements(query, sort_keys, working=working, dialect=shape.dialect)


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
